import NIOCore
import RTCCore
import Testing
@testable import RTCSTUN

/// RFC 5769 test vectors: every sample is parsed, verified and re-encoded byte for byte.
@Suite struct STUNRFC5769VectorTests {
    static let tid = STUNTransactionID(bytes: Hex.decode("b7e7a701bc34d686fa87dfae")!)!
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"

    static let sampleRequest = Hex.decode("""
        000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74
        002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020
        000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf
        """)!
    static let sampleIPv4Response = Hex.decode("""
        0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
        80280004c07d4c96
        """)!
    static let sampleIPv6Response = Hex.decode("""
        010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9
        00080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c
        """)!
    static let sampleLongTerm = Hex.decode("""
        000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000
        0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700
        00080014f67024656dd64a3e02b8e0712e85c9a28ca89666
        """)!

    @Test func sampleRequestParsesAndVerifies() throws {
        let parsed = try STUNParsedMessage(bytes: Self.sampleRequest)
        #expect(parsed.message.type == .bindingRequest)
        #expect(parsed.message.transactionID == Self.tid)
        #expect(parsed.message.software == "STUN test client")
        #expect(parsed.message.priority == 0x6e0001ff)
        #expect(parsed.message.iceControlled == 0x932ff9b151263b36)
        #expect(parsed.message.username == "evtj:h6vY")
        #expect(parsed.verifyIntegrity(.shortTerm(password: Self.password)))
        #expect(!parsed.verifyIntegrity(.shortTerm(password: "wrong")))
        #expect(parsed.verifyFingerprint())
    }

    @Test func sampleRequestEncodesByteForByte() {
        let message = STUNMessage(type: .bindingRequest, transactionID: Self.tid, attributes: [
            .software("STUN test client"), .priority(0x6e0001ff), .iceControlled(0x932ff9b151263b36),
            .username("evtj:h6vY"),
        ])
        let encoded = message.encoded(integrity: .shortTerm(password: Self.password), fingerprint: true, paddingByte: 0x20)
        #expect(Array(encoded.readableBytesView) == Self.sampleRequest)
    }

    @Test func sampleIPv4ResponseRoundTrips() throws {
        let parsed = try STUNParsedMessage(bytes: Self.sampleIPv4Response)
        #expect(parsed.message.type == .bindingSuccess)
        #expect(parsed.message.software == "test vector")
        #expect(parsed.message.xorMappedAddress == TransportAddress("192.0.2.1:32853"))
        #expect(parsed.verifyIntegrity(.shortTerm(password: Self.password)))
        #expect(parsed.verifyFingerprint())
        let message = STUNMessage(type: .bindingSuccess, transactionID: Self.tid, attributes: [
            .software("test vector"), .xorMappedAddress(TransportAddress("192.0.2.1:32853")!, transactionID: Self.tid),
        ])
        let encoded = message.encoded(integrity: .shortTerm(password: Self.password), fingerprint: true, paddingByte: 0x20)
        #expect(Array(encoded.readableBytesView) == Self.sampleIPv4Response)
    }

    @Test func sampleIPv6ResponseRoundTrips() throws {
        let parsed = try STUNParsedMessage(bytes: Self.sampleIPv6Response)
        let expected = TransportAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853")!
        #expect(parsed.message.xorMappedAddress == expected)
        #expect(parsed.verifyIntegrity(.shortTerm(password: Self.password)))
        #expect(parsed.verifyFingerprint())
        let message = STUNMessage(type: .bindingSuccess, transactionID: Self.tid, attributes: [
            .software("test vector"), .xorMappedAddress(expected, transactionID: Self.tid),
        ])
        let encoded = message.encoded(integrity: .shortTerm(password: Self.password), fingerprint: true, paddingByte: 0x20)
        #expect(Array(encoded.readableBytesView) == Self.sampleIPv6Response)
    }

    /// RFC 5769 §2.4. The password "The<U+00AD>M<U+00AA>tr<U+2168>" is given here after
    /// SASLprep ("TheMatrIX"), as the RFC states it becomes.
    @Test func sampleLongTermRequestRoundTrips() throws {
        let parsed = try STUNParsedMessage(bytes: Self.sampleLongTerm)
        let m = parsed.message
        #expect(m.username == "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}")
        #expect(m.nonce == "f//499k954d6OL34oL9FSTvy64sA")
        #expect(m.realm == "example.org")
        let key = STUNIntegrityKey.longTerm(username: m.username!, realm: "example.org", password: "TheMatrIX")
        #expect(parsed.verifyIntegrity(key))
        #expect(!parsed.verifyIntegrity(.longTerm(username: m.username!, realm: "example.org", password: "TheMatrix")))
        #expect(!parsed.hasFingerprint)
        let encoded = STUNMessage(type: .bindingRequest, transactionID: m.transactionID, attributes: [
            .username(m.username!), .nonce("f//499k954d6OL34oL9FSTvy64sA"), .realm("example.org"),
        ]).encoded(integrity: key)
        #expect(Array(encoded.readableBytesView) == Self.sampleLongTerm)
    }
}
