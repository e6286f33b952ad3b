import NIOCore
import RTCMedia
import Testing

@Suite struct EBMLWriterTests {
    static func bytes(_ write: (inout ByteBuffer) -> Void) -> [UInt8] {
        var buffer = ByteBuffer()
        write(&buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func sizesUseTheShortestVIntThatIsNotUnknown() {
        #expect(EBMLWriter.sizeBytes(0, length: 1) == [0x80])
        #expect(Self.bytes { EBMLWriter.writeSize(126, into: &$0) } == [0xFE])
        #expect(Self.bytes { EBMLWriter.writeSize(127, into: &$0) } == [0x40, 0x7F], "0xFF would mean unknown")
        #expect(Self.bytes { EBMLWriter.writeSize(16_382, into: &$0) } == [0x7F, 0xFE])
        #expect(Self.bytes { EBMLWriter.writeSize(16_383, into: &$0) } == [0x20, 0x3F, 0xFF])
        #expect(EBMLWriter.sizeBytes(5, length: 8) == [0x01, 0, 0, 0, 0, 0, 0, 5])
        #expect(EBMLWriter.sizeLength(of: EBMLWriter.maximumSize) == 8)
        #expect(EBMLWriter.unknownSize == [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func elementsOfEachType() {
        #expect(Self.bytes { EBMLWriter.writeID(MatroskaElementID.ebml, into: &$0) } == [0x1A, 0x45, 0xDF, 0xA3])
        #expect(Self.bytes { EBMLWriter.writeID(MatroskaElementID.timestampScale, into: &$0) } == [0x2A, 0xD7, 0xB1])
        #expect(Self.bytes { EBMLWriter.writeUnsigned(0xD7, 0, into: &$0) } == [0xD7, 0x81, 0x00])
        #expect(Self.bytes { EBMLWriter.writeUnsigned(0x2AD7B1, 1_000_000, into: &$0) } == [0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40])
        #expect(Self.bytes { EBMLWriter.writeUnsigned(0xB0, 320, length: 4, into: &$0) } == [0xB0, 0x84, 0, 0, 0x01, 0x40])
        #expect(Self.bytes { EBMLWriter.writeSigned(0xFB, -1, into: &$0) } == [0xFB, 0x81, 0xFF])
        #expect(Self.bytes { EBMLWriter.writeSigned(0xFB, -129, into: &$0) } == [0xFB, 0x82, 0xFF, 0x7F])
        #expect(Self.bytes { EBMLWriter.writeSigned(0xFB, 128, into: &$0) } == [0xFB, 0x82, 0x00, 0x80])
        #expect(Self.bytes { EBMLWriter.writeFloat(0x4489, 2007, into: &$0) } == [0x44, 0x89, 0x88, 0x40, 0x9F, 0x5C, 0, 0, 0, 0, 0])
        #expect(Self.bytes { EBMLWriter.writeString(0x4282, "webm", into: &$0) } == [0x42, 0x82, 0x84] + Array("webm".utf8))
        #expect(Self.bytes { EBMLWriter.writeBinary(0x53AB, ByteBuffer(bytes: [1, 2]), into: &$0) } == [0x53, 0xAB, 0x82, 1, 2])
        #expect(Self.bytes { buffer in
            EBMLWriter.writeMaster(0xE0, into: &buffer) { EBMLWriter.writeUnsigned(0xB0, 2, into: &$0) }
        } == [0xE0, 0x83, 0xB0, 0x81, 0x02])
    }

    @Test(arguments: [2, 3, 128, 129, 130, 16_384, 20_000])
    func voidTakesExactlyTheSizeAsked(total: Int) throws {
        let written = Self.bytes { EBMLWriter.writeVoid(totalSize: total, into: &$0) }
        #expect(written.count == total)
        let header = try EBMLReader.readHeader(ByteBuffer(bytes: written), at: 0, end: total)
        #expect(header.id == MatroskaElementID.void && header.headerLength + Int(header.size ?? 0) == total)
    }

    /// The header ffmpeg 5.1 writes for `-f webm` (`1A45DFA3 9F 4286 81 01 …`): ours is the same.
    @Test func ebmlHeaderIsByteExactWithFFmpegs() throws {
        let ffmpeg: [UInt8] = [
            0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81,
            0x04, 0x42, 0xF3, 0x81, 0x08, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6D, 0x42, 0x87, 0x81, 0x04,
            0x42, 0x85, 0x81, 0x02,
        ]
        var writer = try WebMWriter(video: nil, audio: .init())
        var out = ByteBuffer()
        _ = try writer.finish(into: &out)
        #expect(Array(out.readableBytesView.prefix(ffmpeg.count)) == ffmpeg)
    }

    @Test func readerRefusesWhatTheWriterNeverWrites() throws {
        let file = ByteBuffer(bytes: [0x00, 0x81])
        #expect(throws: MediaReaderError.malformed("EBML variable-size integer longer than 8 bytes")) {
            _ = try EBMLReader.readVInt(file, at: 0, end: 2)
        }
        #expect(throws: MediaReaderError.malformed("EBML element ID with 5 bytes")) {
            _ = try EBMLReader.readID(ByteBuffer(bytes: [0x08, 0, 0, 0, 0]), at: 0, end: 5)
        }
        #expect(throws: MediaReaderError.truncated(needed: 2 + 5, available: 4)) {
            _ = try EBMLReader.readHeader(ByteBuffer(bytes: [0xA3, 0x85, 1, 2]), at: 0, end: 4)
        }
        #expect(try EBMLReader.readVInt(ByteBuffer(bytes: [0xFF]), at: 0, end: 1).value == nil, "all ones: unknown")
        #expect(try EBMLReader.readSigned(ByteBuffer(bytes: [0xFF, 0x7F]), at: 0, size: 2) == -129)
        #expect(throws: MediaReaderError.malformed("float of 3 bytes")) { _ = try EBMLReader.readFloat(ByteBuffer(bytes: [0, 0, 0]), at: 0, size: 3) }
    }
}
