import NIOCore
import RTCMedia
import Testing

@Suite struct IVFWriterTests {
    @Test func headerAndFrameHeadersAreByteExact() throws {
        var writer = IVFWriter(codec: .vp8, width: 640, height: 480)
        var out = ByteBuffer()
        try writer.write(frame: ByteBuffer(bytes: [0xAA, 0xBB, 0xCC]), timestamp: 0x0102, into: &out)
        #expect(Array(out.readableBytesView) == [
            0x44, 0x4B, 0x49, 0x46, 0x00, 0x00, 0x20, 0x00,  // "DKIF", version 0, header size 32
            0x56, 0x50, 0x38, 0x30, 0x80, 0x02, 0xE0, 0x01,  // "VP80", 640, 480
            0x90, 0x5F, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,  // time base 1/90000 (denominator first)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // frame count (patched on finish), unused
            0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // size 3, pts 0x0102
            0xAA, 0xBB, 0xCC,
        ])
        out.clear()
        try writer.write(frame: ByteBuffer(bytes: [1]), timestamp: 3000, into: &out)
        #expect(out.readableBytes == 12 + 1, "the file header is written once")
        let patches = try writer.finish(into: &out)
        #expect(patches == [MediaFilePatch(offset: 24, bytes: [2, 0, 0, 0])])
        #expect(throws: MediaWriterError.finished) { try writer.write(frame: ByteBuffer(bytes: [1]), timestamp: 0, into: &out) }
        #expect(throws: MediaWriterError.finished) { _ = try writer.finish(into: &out) }
    }

    @Test func fourCCsAndEmptyFile() throws {
        #expect(IVFWriter.Codec.vp9.fourCC == Array("VP90".utf8))
        #expect(IVFWriter.Codec.av1.fourCC == Array("AV01".utf8))
        var writer = IVFWriter(codec: .vp9, width: 1, height: 1, timebaseNumerator: 1, timebaseDenominator: 30)
        var out = ByteBuffer()
        #expect(throws: MediaWriterError.emptyFrame) { try writer.write(frame: ByteBuffer(), timestamp: 0, into: &out) }
        #expect(try writer.finish(into: &out) == [MediaFilePatch(offset: 24, bytes: [0, 0, 0, 0])])
        #expect(out.readableBytes == 32, "an empty file still has its header")
        let reader = try IVFReader(out)
        #expect(reader.header == .init(fourCC: "VP90", width: 1, height: 1, timebaseNumerator: 1, timebaseDenominator: 30, frameCount: 0))
    }

    @Test func av1FramesGetATemporalDelimiterOnce() throws {
        var writer = IVFWriter(codec: .av1, width: 16, height: 16)
        var out = ByteBuffer()
        try writer.write(frame: ByteBuffer(bytes: [0x0A, 0x01, 0x00]), timestamp: 0, into: &out)  // sequence header OBU
        try writer.write(frame: ByteBuffer(bytes: [0x12, 0x00, 0x32, 0x00]), timestamp: 1, into: &out)  // TD already there
        var reader = try IVFReader(out)
        #expect(try reader.nextFrame()?.data == ByteBuffer(bytes: [0x12, 0x00, 0x0A, 0x01, 0x00]))
        #expect(try reader.nextFrame()?.data == ByteBuffer(bytes: [0x12, 0x00, 0x32, 0x00]))
        #expect(try reader.nextFrame() == nil)
    }

    @Test func readerRoundTripAndRefusals() throws {
        var writer = IVFWriter(codec: .vp8, width: 320, height: 240)
        var out = ByteBuffer()
        let frames: [[UInt8]] = [Array(repeating: 7, count: 1_000), [1, 2, 3], [9]]
        for (i, frame) in frames.enumerated() { try writer.write(frame: ByteBuffer(bytes: frame), timestamp: UInt64(i * 3_000), into: &out) }
        let patch = try #require(try writer.finish(into: &out).first)
        out.setBytes(patch.bytes, at: patch.offset)
        var reader = try IVFReader(out)
        #expect(reader.header.frameCount == 3 && reader.header.fourCC == "VP80" && reader.header.width == 320)
        for (i, frame) in frames.enumerated() {
            #expect(try reader.nextFrame() == IVFReader.Frame(timestamp: UInt64(i * 3_000), data: ByteBuffer(bytes: frame)))
        }
        #expect(try reader.nextFrame() == nil)

        var cut = out
        cut.moveWriterIndex(to: out.writerIndex - 1)
        var cutReader = try IVFReader(cut)
        _ = try cutReader.nextFrame()
        _ = try cutReader.nextFrame()
        #expect(throws: MediaReaderError.truncated(needed: 13, available: 12)) { _ = try cutReader.nextFrame() }
        var bad = out
        bad.setBytes(Array("RIFF".utf8), at: 0)
        #expect(throws: MediaReaderError.badSignature(expected: "DKIF")) { _ = try IVFReader(bad) }
        #expect(throws: MediaReaderError.truncated(needed: 32, available: 31)) { _ = try IVFReader(out.getSlice(at: 0, length: 31)!) }
    }
}
