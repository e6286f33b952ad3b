import Testing
import RTCCore

@Suite struct AddressParsingTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("fe80::1%eth0", "fe80::1"),
        ("[2001:db8::5]", "2001:db8::5"), ("::ffff:192.0.2.1", "::ffff:c000:201"), ("::", "::"),
    ])
    func parsesAndPrintsCanonically(input: String, expected: String) throws {
        let ip = try #require(IPAddress(input))
        #expect(ip.description == expected)
        #expect(IPAddress(ip.description) == ip)
        #expect(IPAddress(bytes: ip.bytes) == ip)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", ":::", "1::2::3",
                      "12345::", "1:2:3:4:5:6:7:8:9", "host.example", "1:2:3:4:5:6:7::8"])
    func rejectsMalformed(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func transportAddressRoundTrips() throws {
        let v4 = try #require(TransportAddress("192.0.2.7:3478"))
        #expect(v4.ip == .v4(0xc000_0207) && v4.port == 3478)
        #expect(v4.description == "192.0.2.7:3478")
        let v6 = try #require(TransportAddress("[::1]:9"))
        #expect(v6.ip == .loopbackV6 && v6.description == "[::1]:9")
        #expect(TransportAddress("::1:9") == nil)
        #expect(TransportAddress("1.2.3.4:70000") == nil)
    }

    @Test func classifiesLoopbackAndLinkLocal() throws {
        #expect(IPAddress("127.9.9.9")!.isLoopback)
        #expect(IPAddress("::1")!.isLoopback)
        #expect(!IPAddress("10.0.0.1")!.isLoopback)
        #expect(IPAddress("fe80::abcd")!.isLinkLocal)
        #expect(IPAddress("169.254.1.1")!.isLinkLocal)
        #expect(!IPAddress("2001:db8::1")!.isLinkLocal)
    }
}

@Suite struct PacketDemuxTests {
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

    @Test func hexRoundTrips() {
        #expect(Hex.encode([0xde, 0xad, 0x01], separator: ":", uppercase: true) == "DE:AD:01")
        #expect(Hex.decode("DE:AD:01") == [0xde, 0xad, 0x01])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func seededRandomIsReproducible() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let x = a.bytes(37), y = b.bytes(37), z = c.bytes(37)
        #expect(x == y)
        #expect(x != z)
        #expect(x.count == 37)
    }
}
