import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

@Suite struct RTPPacketParsingTests {
    private func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

    @Test func parsesFixedHeaderAndPayloadWithoutCopying() throws {
        // V=2, M=1, PT=96, seq=0x1234, ts=0xdeadbeef, ssrc=0x01020304, payload "abc".
        let buffer = ByteBuffer(bytes: bytes("80e01234deadbeef01020304616263"))
        let packet = try RTPPacket(parsing: buffer)
        #expect(packet.header.marker)
        #expect(packet.header.payloadType == 96)
        #expect(packet.header.sequenceNumber == 0x1234)
        #expect(packet.header.timestamp == 0xDEAD_BEEF)
        #expect(packet.header.ssrc == 0x0102_0304)
        #expect(packet.header.csrcs.isEmpty)
        #expect(packet.header.headerExtension == nil)
        #expect(packet.paddingLength == 0)
        #expect(String(buffer: packet.payload) == "abc")
        // The payload is a view into the parsed buffer's storage, not a copy.
        let same = buffer.withUnsafeReadableBytes { whole in
            packet.payload.withUnsafeReadableBytes { $0.baseAddress == whole.baseAddress! + 12 }
        }
        #expect(same)
    }

    @Test func parsesCSRCListAndPadding() throws {
        // CC=2, P=1: two CSRCs, payload 0xAA 0xBB, then 3 octets of padding (count 3).
        let packet = try RTPPacket(parsing: bytes("a2080001000000640000000a0000000b0000000caabb000003"))
        #expect(packet.header.csrcs == [0x0B, 0x0C])
        #expect(packet.paddingLength == 3)
        #expect(Array(packet.payload.readableBytesView) == [0xAA, 0xBB])
        #expect(!packet.header.marker)
        #expect(packet.header.payloadType == 8)
    }

    @Test func parsesOneByteHeaderExtensionsSkippingPadding() throws {
        // 0xBEDE, 2 words: id 1 len 1 (0x42), a padding byte, id 3 len 3 (0x010203), padding.
        let packet = try RTPPacket(parsing: bytes("9060000100000000000000ffbede00021042" + "00" + "32010203" + "00" + "ff"))
        let ext = try #require(packet.header.headerExtension)
        #expect(ext.form == .oneByte)
        #expect(ext.elements.map(\.id) == [1, 3])
        #expect(ext.value(forID: 1).map { Array($0.readableBytesView) } == [0x42])
        #expect(ext.value(forID: 3).map { Array($0.readableBytesView) } == [1, 2, 3])
        #expect(ext.value(forID: 2) == nil)
        #expect(Array(packet.payload.readableBytesView) == [0xFF])
    }

    @Test func oneByteIDFifteenStopsProcessing() throws {
        // id 1 len 1, then id 15 (reserved): everything after it is ignored (RFC 8285 §4.2).
        let packet = try RTPPacket(parsing: bytes("9060000100000000000000ffbede00011042f0ff"))
        #expect(packet.header.headerExtension?.elements.map(\.id) == [1])
    }

    @Test func parsesTwoByteHeaderExtensions() throws {
        // 0x1003 (app bits 3), 2 words: id 20 len 0; id 200 len 3 (0x0a0b0c); one padding byte.
        let packet = try RTPPacket(parsing: bytes("9060000100000000000000ff100300021400c8030a0b0c00"))
        let ext = try #require(packet.header.headerExtension)
        #expect(ext.form == .twoByte(appBits: 3))
        #expect(ext.elements.map(\.id) == [20, 200])
        #expect(ext.value(forID: 20)?.readableBytes == 0)
        #expect(ext.value(forID: 200).map { Array($0.readableBytesView) } == [10, 11, 12])
    }

    @Test func keepsProfileSpecificExtensionRaw() throws {
        let packet = try RTPPacket(parsing: bytes("9060000100000000000000ffabcd000111223344"))
        let ext = try #require(packet.header.headerExtension)
        #expect(ext.form == .profileSpecific)
        #expect(ext.profile == 0xABCD)
        #expect(Array(ext.data.readableBytesView) == [0x11, 0x22, 0x33, 0x44])
        #expect(ext.elements.isEmpty)
        #expect(packet.payload.readableBytes == 0)
    }

    @Test func rejectsMalformedPacketsWithTypedErrors() {
        #expect(throws: RTPParseError.truncatedFixedHeader(length: 11)) {
            try RTPPacket(parsing: bytes("8060000100000000000000"))
        }
        #expect(throws: RTPParseError.unsupportedVersion(1)) {
            try RTPPacket(parsing: bytes("406000010000000000000000"))
        }
        #expect(throws: RTPParseError.truncatedCSRCList(csrcCount: 2, available: 4)) {
            try RTPPacket(parsing: bytes("82600001000000000000000000000001"))
        }
        #expect(throws: RTPParseError.truncatedExtensionHeader(offset: 12)) {
            try RTPPacket(parsing: bytes("90600001000000000000000000"))
        }
        #expect(throws: RTPParseError.truncatedExtension(offset: 12, declared: 8, available: 4)) {
            try RTPPacket(parsing: bytes("906000010000000000000000bede000210420000"))
        }
        // id 2 claims 4 bytes but only 3 remain in the block.
        #expect(throws: RTPParseError.extensionElementOverrun(offset: 16, id: 2, length: 4)) {
            try RTPPacket(parsing: bytes("906000010000000000000000bede000123aabbcc"))
        }
        // Padding count 0 and padding count larger than what follows the header.
        #expect(throws: RTPParseError.invalidPaddingLength(declared: 0, available: 2)) {
            try RTPPacket(parsing: bytes("a060000100000000000000000100"))
        }
        #expect(throws: RTPParseError.invalidPaddingLength(declared: 9, available: 2)) {
            try RTPPacket(parsing: bytes("a060000100000000000000000109"))
        }
    }
}
