import Testing
import RTCCore

/// RFC 7983 demultiplexing of a datagram by its first byte (and RTCP by its second).
@Suite struct PacketsAreClassifiedByFirstByteTests {
    @Test func classifiesByFirstByteAsRFC7983Says() {
        #expect(PacketKind(firstByte: 0) == .stun)
        #expect(PacketKind(firstByte: 3) == .stun)
        #expect(PacketKind(firstByte: 4) == .unknown)
        #expect(PacketKind(firstByte: 17) == .zrtp)
        #expect(PacketKind(firstByte: 20) == .dtls)
        #expect(PacketKind(firstByte: 22) == .dtls)
        #expect(PacketKind(firstByte: 63) == .dtls)
        #expect(PacketKind(firstByte: 64) == .turnChannel)
        #expect(PacketKind(firstByte: 79) == .turnChannel)
        #expect(PacketKind(firstByte: 80) == .unknown)
        #expect(PacketKind(firstByte: 0x80) == .rtpOrRTCP)
        #expect(PacketKind(firstByte: 191) == .rtpOrRTCP)
        #expect(PacketKind(firstByte: 192) == .unknown)
        #expect(PacketKind(datagram: [UInt8]()) == .unknown)
        #expect(PacketKind.isRTCP(secondByte: 200))
        #expect(!PacketKind.isRTCP(secondByte: 96))
        #expect(!PacketKind.isRTCP(secondByte: 96 | 0x80))
    }
}
