import NIOCore
import RTCMedia
import RTCRTP
import Testing

@Suite struct OggOpusWriterTests {
    /// The first page of an Ogg Opus file made by Debian's ffmpeg 5.1 (libavformat's Ogg
    /// muxer, libopus, mono): `ffmpeg -f lavfi -i sine=duration=0.1 -c:a libopus known.ogg`.
    static let ffmpegFirstPage: [UInt8] = [
        0x4F, 0x67, 0x67, 0x53, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD6, 0x92,
        0x5D, 0x41, 0x00, 0x00, 0x00, 0x00, 0xBE, 0x28, 0x92, 0x57, 0x01, 0x13, 0x4F, 0x70, 0x75, 0x73,
        0x48, 0x65, 0x61, 0x64, 0x01, 0x01, 0x38, 0x01, 0x80, 0xBB, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    /// A 20 ms CELT fullband mono Opus packet (TOC config 31, code 0) of `size` bytes.
    static func opusPacket(size: Int, fill: UInt8 = 0x55) -> ByteBuffer {
        ByteBuffer(bytes: [0xF8] + Array(repeating: fill, count: size - 1))
    }

    @Test func crcMatchesTheCheckValueAndAPageFFmpegWrote() {
        #expect(OggCRC32.checksum(Array("123456789".utf8)) == 0x89A1_897F)
        var zeroed = Self.ffmpegFirstPage
        zeroed.replaceSubrange(22..<26, with: [0, 0, 0, 0])
        #expect(OggCRC32.checksum(zeroed) == 0x5792_28BE)  // stored little-endian at 22: BE 28 92 57
    }

    @Test func identificationPageIsByteExactWithFFmpegs() throws {
        var writer = try OggOpusWriter(serialNumber: 0x415D_92D6, channelCount: 1, preSkip: 312, inputSampleRate: 48_000)
        var out = ByteBuffer()
        try writer.write(packet: Self.opusPacket(size: 10), into: &out)
        #expect(Array(out.readableBytesView.prefix(Self.ffmpegFirstPage.count)) == Self.ffmpegFirstPage)
    }

    @Test func lacingOfPacketsAround255Bytes() throws {
        var pages = OggPageWriter(serialNumber: 1)
        var out = ByteBuffer()
        pages.append(packet: ByteBuffer(repeating: 1, count: 300), granulePosition: 10, into: &out)
        pages.append(packet: ByteBuffer(repeating: 2, count: 255), granulePosition: 20, into: &out)
        pages.append(packet: ByteBuffer(repeating: 3, count: 0), granulePosition: 30, into: &out)
        #expect(out.readableBytes == 0, "the page stays pending until flushed")
        pages.flush(into: &out)
        var reader = OggReader(out)
        let page = try #require(try reader.nextPage())
        #expect(page.segmentTable == [255, 45, 255, 0, 0])
        #expect(page.granulePosition == 30 && page.isBeginningOfStream && !page.isContinued && !page.isEndOfStream)
        var packets = OggReader(out)
        #expect(try packets.nextPacket()?.packet == ByteBuffer(repeating: 1, count: 300))
        #expect(try packets.nextPacket()?.packet == ByteBuffer(repeating: 2, count: 255))
        #expect(try packets.nextPacket()?.packet.readableBytes == 0)
        #expect(try packets.nextPacket() == nil)
    }

    @Test func aPacketLargerThanAPageContinuesOnTheNext() throws {
        var pages = OggPageWriter(serialNumber: 7)
        var out = ByteBuffer()
        let big = ByteBuffer(bytes: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 31) })  // 274 × 255 + 130
        pages.append(packet: ByteBuffer(bytes: [9]), granulePosition: 5, into: &out)
        pages.append(packet: big, granulePosition: 99, into: &out)
        pages.flush(endOfStream: true, into: &out)
        var reader = OggReader(out)
        let first = try #require(try reader.nextPage())
        let second = try #require(try reader.nextPage())
        #expect(try reader.nextPage() == nil)
        #expect(first.segmentTable.count == 255 && first.segmentTable.first == 1 && first.granulePosition == 5)
        #expect(second.isContinued && second.isEndOfStream && !second.isBeginningOfStream)
        #expect(second.segmentTable.count == 21 && second.segmentTable.last == 130 && second.granulePosition == 99)
        #expect(second.sequenceNumber == 1 && second.serialNumber == 7)
        var packets = OggReader(out)
        #expect(try packets.nextPacket()?.packet == ByteBuffer(bytes: [9]))
        let joined = try #require(try packets.nextPacket())
        #expect(joined.packet == big && joined.granulePosition == 99)
    }

    @Test func pagesGranulePositionsAndEndOfStream() throws {
        var writer = try OggOpusWriter(serialNumber: 42, channelCount: 2, maximumPageDuration: 3 * 960)
        var out = ByteBuffer()
        for i in 0..<7 { try writer.write(packet: Self.opusPacket(size: 40 + i, fill: UInt8(i)), into: &out) }
        #expect(try writer.finish(into: &out) == [])
        #expect(writer.granulePosition == 7 * 960 && writer.packetCount == 7)
        var reader = OggReader(out)
        var pages: [OggPage] = []
        while let page = try reader.nextPage() { pages.append(page) }
        #expect(pages.map(\.segmentTable.count) == [1, 1, 3, 3, 1])
        #expect(pages.map(\.granulePosition) == [0, 0, 2_880, 5_760, 6_720])
        #expect(pages.map(\.sequenceNumber) == [0, 1, 2, 3, 4])
        #expect(pages.map(\.isBeginningOfStream) == [true, false, false, false, false])
        #expect(pages.map(\.isEndOfStream) == [false, false, false, false, true])
        #expect(pages[0].body == writer.identificationHeader)
        #expect(pages[1].body.getString(at: pages[1].body.readerIndex, length: 8) == "OpusTags")
        #expect(pages[1].body.getString(at: pages[1].body.readerIndex + 12, length: 8) == "SwiftRTC")

        var corrupted = out
        corrupted.setInteger(UInt8(0xFF), at: out.writerIndex - 1)
        var corruptedReader = OggReader(corrupted)
        for _ in 0..<4 { _ = try corruptedReader.nextPage() }
        #expect(throws: MediaReaderError.self) { _ = try corruptedReader.nextPage() }
    }

    @Test func refusals() throws {
        #expect(throws: MediaWriterError.invalidParameter("channelCount 3: family 0 has 1 or 2")) {
            _ = try OggOpusWriter(serialNumber: 1, channelCount: 3)
        }
        var writer = try OggOpusWriter(serialNumber: 1)
        var out = ByteBuffer()
        #expect(throws: MediaWriterError.emptyFrame) { try writer.write(packet: ByteBuffer(), into: &out) }
        #expect(throws: MediaWriterError.invalidOpusPacket(.invalidField("Opus code 3 with zero frames"))) {
            try writer.write(packet: ByteBuffer(bytes: [0xFB, 0x00]), into: &out)
        }
        #expect(out.readableBytes == 0, "a refused packet writes nothing")
        _ = try writer.finish(into: &out)
        var reader = OggReader(out)
        var pages: [OggPage] = []
        while let page = try reader.nextPage() { pages.append(page) }
        #expect(pages.count == 3 && pages[2].isEndOfStream && pages[2].segmentTable.isEmpty, "headers and an empty last page")
        #expect(throws: MediaWriterError.finished) { try writer.write(packet: Self.opusPacket(size: 3), into: &out) }
    }
}
