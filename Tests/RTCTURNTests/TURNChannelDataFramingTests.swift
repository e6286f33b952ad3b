import NIOCore
import Testing
@testable import RTCTURN

/// ChannelData framing (RFC 8656 §12.4, §12.5): 4-byte header, optional padding over UDP.
@Suite struct TURNChannelDataFramingTests {
    @Test func roundTripsWithAndWithoutPadding() throws {
        let m = TURNChannelData(channel: 0x4ABC, data: ByteBuffer(bytes: [1, 2, 3, 4, 5]))
        let plain = m.encoded()
        #expect(Array(plain.readableBytesView) == [0x4A, 0xBC, 0x00, 0x05, 1, 2, 3, 4, 5])
        #expect(try TURNChannelData(parsing: plain) == m)
        let padded = m.encoded(pad: true)
        #expect(padded.readableBytes == 12)
        #expect(try TURNChannelData(parsing: padded) == m)
        let empty = TURNChannelData(channel: 0x4FFF, data: ByteBuffer())
        #expect(try TURNChannelData(parsing: empty.encoded(pad: true)) == empty)
    }

    @Test func rejectsMalformedFrames() {
        #expect(throws: TURNChannelDataError.truncatedHeader(length: 3)) { try TURNChannelData(parsing: ByteBuffer(bytes: [0x40, 0, 0])) }
        #expect(throws: TURNChannelDataError.channelNumberOutOfRange(0x5000)) { try TURNChannelData(parsing: ByteBuffer(bytes: [0x50, 0, 0, 0])) }
        #expect(throws: TURNChannelDataError.channelNumberOutOfRange(0x3FFF)) { try TURNChannelData(parsing: ByteBuffer(bytes: [0x3F, 0xFF, 0, 0])) }
        #expect(throws: TURNChannelDataError.lengthExceedsDatagram(declared: 8, available: 4)) {
            try TURNChannelData(parsing: ByteBuffer(bytes: [0x40, 0, 0, 8, 1, 2, 3, 4]))
        }
        #expect(throws: TURNChannelDataError.trailingBytes(count: 4)) {
            try TURNChannelData(parsing: ByteBuffer(bytes: [0x40, 0, 0, 1, 1, 0, 0, 0, 0]))
        }
    }

    @Test func demultiplexesByFirstByte() {
        #expect(TURNChannelData.looksLikeChannelData(ByteBuffer(bytes: [0x40])))
        #expect(TURNChannelData.looksLikeChannelData(ByteBuffer(bytes: [0x4F])))
        #expect(!TURNChannelData.looksLikeChannelData(ByteBuffer(bytes: [0x00])))
        #expect(!TURNChannelData.looksLikeChannelData(ByteBuffer(bytes: [0x50])))
        #expect(!TURNChannelData.looksLikeChannelData(ByteBuffer()))
    }

    @Test func parsedDataIsASliceOfTheInput() throws {
        var input = ByteBuffer(bytes: [0xFF, 0xFF, 0x40, 0x01, 0x00, 0x02, 7, 8])
        input.moveReaderIndex(forwardBy: 2)
        let m = try TURNChannelData(parsing: input)
        #expect(m.channel == 0x4001)
        #expect(Array(m.data.readableBytesView) == [7, 8])
    }
}
