import Testing
import RTCCore
import RTCSDP

@Suite struct ICECandidateParsingTests {
    @Test func udpHostCandidate() throws {
        let c = try ICECandidateAttribute(parsing: "candidate:2679876008 1 udp 2122260223 127.0.0.1 55326 typ host generation 0 network-id 1 network-cost 50")
        #expect(c.foundation == "2679876008")
        #expect(c.component == 1)
        #expect(c.isUDP && !c.isTCP)
        #expect(c.priority == 2_122_260_223)
        #expect(c.ipAddress == .loopbackV4)
        #expect(c.port == 55326)
        #expect(c.type == .host)
        #expect(c.generation == 0 && c.networkID == 1 && c.networkCost == 50)
        #expect(c.relatedAddress == nil && c.tcpType == nil && c.extensions.isEmpty)
    }

    @Test func serverReflexiveWithRelatedAddress() throws {
        let text = "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.1.20 rport 54321 generation 0 ufrag EsAw network-cost 999"
        let c = try ICECandidateAttribute(parsing: text)
        #expect(c.type == .serverReflexive)
        #expect(c.relatedAddress == "192.168.1.20" && c.relatedPort == 54321)
        #expect(c.ipAddress == IPAddress("203.0.113.7"))
        #expect(c.ufrag == "EsAw" && c.networkCost == 999)
        #expect(c.candidateString == text)
    }

    @Test func relayAndPeerReflexiveTypes() throws {
        #expect(try ICECandidateAttribute(parsing: "candidate:1 1 udp 5 10.0.0.1 3478 typ relay raddr 0.0.0.0 rport 0").type == .relay)
        #expect(try ICECandidateAttribute(parsing: "candidate:1 1 udp 5 10.0.0.1 3478 typ prflx").type == .peerReflexive)
        let odd = try ICECandidateAttribute(parsing: "candidate:1 1 udp 5 10.0.0.1 3478 typ futuretype")
        #expect(odd.type == .other("futuretype"))
        #expect(odd.sdpValue.hasSuffix("typ futuretype"))
    }

    @Test func tcpActiveCandidate() throws {
        let c = try ICECandidateAttribute(parsing: "a=candidate:3782495024 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50\r\n")
        #expect(c.isTCP)
        #expect(c.tcpType == .active)
        #expect(c.port == 9)
        #expect(c.sdpValue == "3782495024 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 network-id 1 network-cost 50")
    }

    @Test func tcpPassiveAndSimultaneousOpenUpperCaseTransport() throws {
        let p = try ICECandidateAttribute(parsing: "candidate:1 1 TCP 2105524479 10.0.0.2 9000 typ host tcptype passive")
        #expect(p.isTCP && p.tcpType == .passive && p.transport == "TCP")
        let so = try ICECandidateAttribute(parsing: "candidate:1 1 tcp 2105524479 10.0.0.2 9001 typ host tcptype so")
        #expect(so.tcpType == .so)
    }

    @Test func unknownExtensionsArePreservedInOrder() throws {
        let text = "candidate:1 1 udp 100 10.0.0.1 5000 typ host generation 2 zeta 1 alpha two ufrag abcd"
        let c = try ICECandidateAttribute(parsing: text)
        #expect(c.extensions == [.init(name: "zeta", value: "1"), .init(name: "alpha", value: "two")])
        #expect(c.generation == 2 && c.ufrag == "abcd")
        // Known keys are written first, unknown ones after, still in their order.
        #expect(c.candidateString == "candidate:1 1 udp 100 10.0.0.1 5000 typ host generation 2 ufrag abcd zeta 1 alpha two")
        #expect(try ICECandidateAttribute(parsing: c.candidateString) == c)
    }

    @Test func mdnsHostCandidateKeepsTheHostName() throws {
        let c = try ICECandidateAttribute(parsing: "candidate:3348406335 1 udp 2113937151 2f7e3a3c-2f19-4b36-9e39-1f3d1c9e1f6a.local 54203 typ host generation 0 network-cost 999")
        #expect(c.address == "2f7e3a3c-2f19-4b36-9e39-1f3d1c9e1f6a.local")
        #expect(c.isMDNS)
        #expect(c.ipAddress == nil)
        #expect(c.port == 54203)
    }

    @Test func ipv6Candidate() throws {
        let c = try ICECandidateAttribute(parsing: "candidate:9 1 udp 2122262783 ::1 40000 typ host")
        #expect(c.ipAddress == .loopbackV6)
    }

    @Test func candidateAttributeInsideSDPIsTyped() throws {
        let a = try Attribute(parsing: "candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 39610 typ host")
        guard case .candidate(let c) = a else { Issue.record("not a candidate: \(a)"); return }
        #expect(c.foundation == "16572de626da4e5384a0ce2d0d93678a")
        #expect(a.sdpLine == "candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 39610 typ host")
    }

    @Test(arguments: [
        ("candidate:1 1 udp 100 10.0.0.1 5000 typ", "fieldCount"),
        ("candidate:1 1 udp 100 10.0.0.1 5000 type host", "invalidValue"),
        ("candidate:1 x udp 100 10.0.0.1 5000 typ host", "invalidNumber"),
        ("candidate:1 1 udp 99999999999 10.0.0.1 5000 typ host", "invalidNumber"),
        ("candidate:1 1 udp 100 10.0.0.1 70000 typ host", "invalidNumber"),
        ("candidate:1 1 udp 100 10.0.0.1 -1 typ host", "invalidNumber"),
        ("candidate:1 1 udp 100 10.0.0.1 5000 typ host generation", "fieldCount"),
        ("candidate:1 1 tcp 100 10.0.0.1 5000 typ host tcptype sideways", "invalidValue"),
        ("candidate:1 1 udp 100 10.0.0.1 5000 typ srflx raddr 1.2.3.4 rport x", "invalidNumber"),
        ("1 1 udp 100 10.0.0.1 5000 typ host", "invalidValue"),
        ("", "invalidValue"),
        ("candidate:1 1 udp 100 10.0.0.1 5000 typ host ufrag a\rb generation 0", "invalidValue"),
    ])
    func malformedCandidatesGiveTypedErrors(text: String, kind: String) {
        do {
            _ = try ICECandidateAttribute(parsing: text)
            Issue.record("parsed malformed candidate \(text)")
        } catch {
            #expect(error.line == 1)
            let found: String
            switch error.reason {
            case .fieldCount: found = "fieldCount"
            case .invalidValue: found = "invalidValue"
            case .invalidNumber: found = "invalidNumber"
            default: found = "\(error.reason)"
            }
            #expect(found == kind, "\(text): \(error)")
        }
    }
}
