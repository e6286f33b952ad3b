import NIOCore
import RTCCore
import RTCTestSupport
import RTCICE
import Testing

/// `a=candidate` parsing and serialization (RFC 8839 §5.1) and priorities (RFC 8445 §5.1.2, §6.1.2.3).
@Suite struct ICECandidateSDPTests {
    @Test func parsesHostCandidateFromChromium() throws {
        let c = try ICECandidate(sdpAttributeValue: "candidate:3437657432 1 udp 2122260223 127.0.0.1 54321 typ host generation 0 ufrag abcd network-id 1")
        #expect(c.foundation == "3437657432" && c.component == 1 && c.transport == "udp")
        #expect(c.priority == 2_122_260_223)
        #expect(c.address == TransportAddress("127.0.0.1:54321"))
        #expect(c.type == .host)
        #expect(c.extensions.map(\.0) == ["generation", "ufrag", "network-id"])
        #expect(try ICECandidate(sdpAttributeValue: c.sdpAttributeValue) == c)
    }

    @Test func parsesReflexiveCandidateWithRelatedAddress() throws {
        let text = "candidate:2 1 udp 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.1 rport 5000"
        let c = try ICECandidate(sdpAttributeValue: "a=" + text)
        #expect(c.type == .serverReflexive)
        #expect(c.relatedAddress == TransportAddress("10.0.0.1:5000"))
        #expect(c.sdpAttributeValue == text)
    }

    @Test func parsesIPv6AndTCPCandidates() throws {
        let v6 = try ICECandidate(sdpAttributeValue: "candidate:1 1 UDP 2130706431 ::1 9999 typ host")
        #expect(v6.address == TransportAddress("[::1]:9999") && v6.transport == "udp")
        let tcp = try ICECandidate(sdpAttributeValue: "candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0")
        #expect(tcp.transport == "tcp")
        var agent = ICEAgent(role: .controlling, rng: SeededRandom(seed: 1))
        let accepted = agent.addRemoteCandidate(tcp, now: .virtualStart)
        #expect(!accepted, "TCP candidates are ignored")
    }

    @Test func rejectsMalformedCandidates() {
        #expect(throws: ICECandidateParseError.malformed("candidate: expected at least 8 fields, found 3")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp")
        }
        #expect(throws: ICECandidateParseError.unresolvedAddress("abc.local")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 abc.local 5 typ host")
        }
        #expect(throws: (any Error).self) { try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 1.2.3.4 70000 typ host") }
        #expect(throws: ICECandidateParseError.badType("bogus")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 1.2.3.4 7 typ bogus")
        }
    }

    /// Regression (scripts/fuzz.sh FuzzICECandidate, libFuzzer seed 3845241380): foundations
    /// outside RFC 8839's ice-char set — non-ASCII text, a `candidate:`-looking token — were
    /// accepted, and serialize → parse changed the candidate. The one parser now refuses them.
    @Test(arguments: ["candidate:candidate:1 1 udp 1 1.2.3.4 5 typ host",
                      "candidate:f\u{0301} 1 udp 1 1.2.3.4 5 typ host",
                      "candidate:\u{00e9}t\u{00e9} 1 udp 1 1.2.3.4 5 typ host",
                      "candidate:a=1 1 udp 1 1.2.3.4 5 typ host",
                      "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
                      "candidate:1 0 udp 1 1.2.3.4 5 typ host",
                      "candidate:1 257 udp 1 1.2.3.4 5 typ host",
                      "candidate:1 1 udp 12345678901 1.2.3.4 5 typ host",
                      "candidate:1 1 udp 1 1.2.3.4 5 typ host na\u{00ef}ve 1",
                      "candidate:1 1 udp 1 1.2.3.4 5 typ host name v\u{00e4}lue"])
    func foundationsAndFieldsOutsideTheGrammarAreRefused(_ text: String) {
        #expect(throws: ICECandidateParseError.self) { try ICECandidate(sdpAttributeValue: text) }
    }

    /// Seeded random candidates within the grammar round-trip exactly through the one parser,
    /// and random text either fails to parse or round-trips too.
    @Test func randomCandidatesRoundTrip() throws {
        var rng = SeededRandom(seed: 8839)
        let iceChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func word(_ chars: [Character], _ n: Int) -> String { String((0..<n).map { _ in chars[Int(rng.next() % UInt64(chars.count))] }) }
        let types: [ICECandidateType] = [.host, .serverReflexive, .peerReflexive, .relayed]
        for i in 0..<2_000 {
            let v6 = rng.next() % 2 == 0
            let ip: IPAddress = v6 ? IPAddress(bytes: rng.bytes(16))! : .v4(UInt32(truncatingIfNeeded: rng.next()))
            let type = types[Int(rng.next() % 4)]
            let related: TransportAddress? = type == .host ? nil : TransportAddress(ip: .v4(UInt32(truncatingIfNeeded: rng.next())), port: UInt16(truncatingIfNeeded: rng.next()))
            var exts: [(String, String)] = []
            if rng.next() % 2 == 0 { exts.append(("generation", "\(rng.next() % 10)")) }
            if rng.next() % 2 == 0 { exts.append(("ufrag", word(iceChars, 4 + Int(rng.next() % 8)))) }
            if rng.next() % 3 == 0 { exts.append(("x-ext\(i % 7)", word(Array("abc!#$%&'*+-.^_`{|}~:/=?"), 1 + Int(rng.next() % 9)))) }
            let c = ICECandidate(foundation: word(iceChars, 1 + Int(rng.next() % 32)), component: UInt16(1 + rng.next() % 256),
                                 transport: rng.next() % 4 == 0 ? "tcp" : "udp", priority: UInt32(truncatingIfNeeded: rng.next()),
                                 address: TransportAddress(ip: ip, port: UInt16(truncatingIfNeeded: rng.next())), type: type,
                                 relatedAddress: related, extensions: exts)
            let parsed = try ICECandidate(sdpAttributeValue: c.sdpAttributeValue)
            #expect(parsed == c, "\(c.sdpAttributeValue)")
            // Random bytes spliced into the text: whatever still parses must round-trip.
            var bytes = Array(c.sdpAttributeValue.utf8)
            for _ in 0..<1 + Int(rng.next() % 3) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if let mutated = try? ICECandidate(sdpAttributeValue: String(decoding: bytes, as: UTF8.self)) {
                #expect((try? ICECandidate(sdpAttributeValue: mutated.sdpAttributeValue)) == mutated)
            }
        }
    }

    @Test func prioritiesFollowRFC8445() {
        #expect(ICECandidate.priority(type: .host, localPreference: 65535) == 2_130_706_431)
        #expect(ICECandidate.priority(type: .serverReflexive, localPreference: 65535) == 1_694_498_815)
        #expect(ICECandidatePair.priority(controlling: 10, controlled: 20) == (10 << 32) + 40)
        #expect(ICECandidatePair.priority(controlling: 20, controlled: 10) == (10 << 32) + 40 + 1)
    }

    @Test mutating func mutatedCandidateLinesNeverCrash() {
        var rng = SeededRandom(seed: 4)
        let base = Array("candidate:2 1 udp 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.1 rport 5000 generation 0".utf8)
        let alphabet = Array(" :.0123456789abcdefrtyphosudpcan\t-".utf8)
        for _ in 0..<20_000 {
            var b = base
            for _ in 0..<Int(rng.next() % 5) + 1 { b[Int(rng.next() % UInt64(b.count))] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if let c = try? ICECandidate(sdpAttributeValue: String(decoding: b, as: UTF8.self)) {
                #expect((try? ICECandidate(sdpAttributeValue: c.sdpAttributeValue)) == c)
            }
        }
    }
}


