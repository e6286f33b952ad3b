import Testing
import RTCSDP

@Suite struct SDPFixtureRoundTripTests {
    @Test func everyExpectedFixtureIsPresent() {
        let names = Set(SDPFixtures.sdpNames)
        for required in ["chromium-offer-av-data.sdp", "chromium-answer.sdp", "aiortc-offer-data.sdp",
                         "aiortc-offer-av-data.sdp", "aiortc-answer.sdp", "chromium-offer-simulcast.sdp"] {
            #expect(names.contains(required), "missing fixture \(required)")
        }
    }

    @Test(arguments: SDPFixtures.sdpNames)
    func parseSerializeReparseIsEqual(name: String) throws {
        let text = try SDPFixtures.text(name)
        let parsed = try SDPDocument(parsing: text)
        let serialized = parsed.serialized()
        let reparsed = try SDPDocument(parsing: serialized)
        #expect(reparsed == parsed)
        #expect(reparsed.serialized() == serialized, "serialization is not stable")
        // Browsers' SDP is already in the canonical form: it comes back byte for byte.
        #expect(serialized == text)
        #expect(!parsed.media.isEmpty)
    }

    @Test(arguments: SDPFixtures.sdpNames)
    func lineFeedOnlyInputParsesToTheSameModel(name: String) throws {
        let text = try SDPFixtures.text(name)
        let lf = text.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(!lf.contains("\r"))
        #expect(try SDPDocument(parsing: lf) == SDPDocument(parsing: text))
    }

    @Test(arguments: SDPFixtures.sdpNames)
    func serializerWritesCRLFOnly(name: String) throws {
        let out = try SDPFixtures.description(name).serialized()
        #expect(out.hasSuffix("\r\n"))
        let bytes = Array(out.utf8)
        for (i, b) in bytes.enumerated() where b == 0x0A {
            #expect(i > 0 && bytes[i - 1] == 0x0D)
        }
    }

    @Test(arguments: SDPFixtures.sdpNames)
    func noFixtureAttributeOfAModelledKindFallsBackToOther(name: String) throws {
        let d = try SDPFixtures.description(name)
        let modelled: Set<String> = ["group", "ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup", "mid",
                                     "msid", "sendrecv", "sendonly", "recvonly", "inactive", "rtcp-mux", "rtcp-rsize",
                                     "rtpmap", "fmtp", "rtcp-fb", "extmap", "extmap-allow-mixed", "ssrc", "ssrc-group",
                                     "rid", "simulcast", "sctp-port", "max-message-size", "candidate", "end-of-candidates"]
        for a in d.attributes + d.media.flatMap(\.attributes) {
            if case .other(let n, _) = a { #expect(!modelled.contains(n), "a=\(n) was not typed") }
        }
    }
}
