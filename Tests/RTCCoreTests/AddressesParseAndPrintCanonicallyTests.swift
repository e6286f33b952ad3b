import Testing
import RTCCore

/// IP and transport addresses parse from every textual form and print canonically (RFC 5952).
@Suite struct AddressesParseAndPrintCanonicallyTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("fe80::1%eth0", "fe80::1"),
        ("[2001:db8::5]", "2001:db8::5"), ("::ffff:192.0.2.1", "::ffff:c000:201"), ("::", "::"),
        ("010.000.0.1", "10.0.0.1"), ("255.255.255.255", "255.255.255.255"), ("[10.0.0.1]", "10.0.0.1"),
    ])
    func parsesAndPrintsCanonically(input: String, expected: String) throws {
        let ip = try #require(IPAddress(input))
        #expect(ip.description == expected)
        #expect(IPAddress(ip.description) == ip)
        #expect(IPAddress(bytes: ip.bytes) == ip)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", ":::", "1::2::3",
                      "12345::", "1:2:3:4:5:6:7:8:9", "host.example", "1:2:3:4:5:6:7::8",
                      "1..2.3", "1.2.3.4.", ".1.2.3", "1.2.3.1000", "1.2.3.0004", "1.2.3.4 ", "1.2.3.٤"])
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
