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
        #expect(throws: ICECandidateParseError.tooFewFields(3)) { try ICECandidate(sdpAttributeValue: "candidate:1 1 udp") }
        #expect(throws: ICECandidateParseError.unresolvedAddress("abc.local")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 abc.local 5 typ host")
        }
        #expect(throws: ICECandidateParseError.badNumber(field: "port", value: "70000")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 1.2.3.4 70000 typ host")
        }
        #expect(throws: ICECandidateParseError.badType("typ bogus")) {
            try ICECandidate(sdpAttributeValue: "candidate:1 1 udp 1 1.2.3.4 7 typ bogus")
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


