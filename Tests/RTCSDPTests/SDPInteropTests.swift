import Foundation
import Testing
import RTCCore
import RTCSDP
import RTCTestSupport

/// Real peers (aiortc, headless Chromium) accept the data channel offer this module builds and
/// a trickled candidate it serializes; their live answers parse and round-trip. Runs only in a
/// private loopback namespace (scripts/test.sh or the rtc wrapper); a missing peer fails.
@Suite(.serialized) struct SDPInteropTests {
    struct PeerRejectedOffer: Error, CustomStringConvertible {
        var description: String
    }

    struct PeerAnswer {
        var answer: SDPDocument
        var candidateAdded: Bool?
    }

    static func makeOffer(port: UInt16) -> (SDPDocument, ICECandidateAttribute) {
        var rng = SeededRandom(seed: UInt64(port))
        let transport = TransportParameters(
            iceUfrag: "swRT", icePwd: "swiftrtc-sdp-interop-pwd",
            fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: rng.bytes(32))], setup: .actpass)
        let host = ICECandidateAttribute(foundation: "1", priority: 2_130_706_431, address: "127.0.0.1", port: port,
                                         type: .host, generation: 0)
        let offer = SDPDocument.jsep(sessionID: 7_000_000_000_000_000_001,
                                            media: [.dataChannel(mid: "0", transport: transport, port: port,
                                                                 connection: Connection(address: "127.0.0.1"),
                                                                 candidates: [host])])
        let trickled = ICECandidateAttribute(foundation: "2", priority: 1_694_498_815, address: "127.0.0.1",
                                             port: port &+ 1, type: .serverReflexive, relatedAddress: "127.0.0.1",
                                             relatedPort: port, generation: 0, ufrag: "swRT", networkCost: 10)
        return (offer, trickled)
    }

    func answer(from peer: String, offer: SDPDocument, trickle: ICECandidateAttribute) async throws -> PeerAnswer {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        if peer == "chromium" { _ = try InteropEnvironment.executable("chromium", installHint: "apt-get install -y chromium") }
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/sdp-answer-peer.py").path
        let offerFile = FileManager.default.temporaryDirectory.appendingPathComponent("sdp-offer-\(peer)-\(UUID().uuidString).sdp")
        try offer.serialized().write(to: offerFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: offerFile) }
        let process = try PeerProcess(peer, executable: python, arguments: [script, peer, offerFile.path, trickle.candidateString])
        defer { process.terminate() }
        let line = try await process.waitForLine(timeout: 90) { $0.hasPrefix("RESULT ") }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("RESULT ".count).utf8)) as? [String: Any])
        if let error = json["error"] as? String { throw PeerRejectedOffer(description: "\(peer) rejected our offer: \(error)\n\(process.allOutput)") }
        let text = try #require(json["answer"] as? String)
        return PeerAnswer(answer: try SDPDocument(parsing: text), candidateAdded: json["candidateAdded"] as? Bool)
    }

    func checkAnswer(_ result: PeerAnswer, peer: String) throws {
        let answer = result.answer
        #expect(result.candidateAdded == true, "\(peer) did not accept our trickled candidate")
        #expect(answer.bundleMids == ["0"])
        #expect(answer.media.count == 1)
        let data = try #require(answer.media.first)
        #expect(data.isDataChannel && data.mid == "0")
        #expect(data.sctpPort == 5000)
        #expect(answer.setup(forMediaAt: 0) == .active)
        #expect(answer.fingerprints(forMediaAt: 0).contains { $0.algorithm == "sha-256" && $0.digest.count == 32 })
        #expect((answer.iceUfrag(forMediaAt: 0)?.count ?? 0) >= 4)
        #expect(answer.allCandidates.contains { $0.candidate.isUDP && $0.candidate.ipAddress == .loopbackV4 })
        let reparsed = try SDPDocument(parsing: answer.serialized())
        #expect(reparsed == answer)
    }

    @Test func aiortcAnswersOurDataChannelOffer() async throws {
        let (offer, trickle) = Self.makeOffer(port: InteropEnvironment.freePort())
        try checkAnswer(try await answer(from: "aiortc", offer: offer, trickle: trickle), peer: "aiortc")
    }

    @Test func chromiumAnswersOurDataChannelOffer() async throws {
        let (offer, trickle) = Self.makeOffer(port: InteropEnvironment.freePort())
        try checkAnswer(try await answer(from: "chromium", offer: offer, trickle: trickle), peer: "chromium")
    }
}
