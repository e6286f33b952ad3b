import Foundation
import Testing
import RTCCore
import RTCSDP
import RTCTestSupport

/// Real peers (aiortc, headless Chromium) accept the audio+video+data offer the JSEP builder
/// writes; their live answers read as a negotiation that keeps our payload types, RTX pairs and
/// extension ids. Runs only in a private loopback namespace; a missing peer fails.
@Suite(.serialized) struct JSEPInteropTests {
    static func offer() throws -> SDPDocument {
        var rng = SeededRandom(seed: 13)
        let transport = TransportParameters(iceUfrag: "swRT", icePwd: "swiftrtc-jsep-interop-pwd",
                                            fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: rng.bytes(32))],
                                            setup: .actpass)
        let transceivers = [
            JSEPTransceiver(mid: "0", kind: .audio, sender: JSEPSender(trackID: "mic", streamIDs: ["swift"], ssrc: 0x1111, cname: "swiftrtc")),
            JSEPTransceiver(mid: "1", kind: .video,
                            sender: JSEPSender(trackID: "cam", streamIDs: ["swift"], ssrc: 0x2222, rtxSSRC: 0x2223, cname: "swiftrtc")),
        ]
        return try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "2"), transport: transport,
                              sessionID: 7_000_000_000_000_000_013, previousVersion: nil)
    }

    func answer(from peer: String, offer: SDPDocument) async throws -> SDPDocument {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        if peer == "chromium" { _ = try InteropEnvironment.executable("chromium", installHint: "apt-get install -y chromium") }
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/sdp-answer-peer.py").path
        let offerFile = FileManager.default.temporaryDirectory.appendingPathComponent("jsep-offer-\(peer)-\(UUID().uuidString).sdp")
        try offer.serialized().write(to: offerFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: offerFile) }
        let process = try PeerProcess(peer, executable: python, arguments: [script, peer, offerFile.path])
        defer { process.terminate() }
        let line = try await process.waitForLine(timeout: 90) { $0.hasPrefix("RESULT ") }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("RESULT ".count).utf8)) as? [String: Any])
        if let error = json["error"] as? String {
            throw SDPInteropTests.PeerRejectedOffer(description: "\(peer) rejected our offer: \(error)\n\(process.allOutput)")
        }
        return try SDPDocument(parsing: try #require(json["answer"] as? String))
    }

    func check(_ answer: SDPDocument, offer: SDPDocument, peer: String) throws {
        let n = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true)
        #expect(n.bundleMids == ["0", "1", "2"] && n.dataMid == "2", "\(peer)")
        let audio = try #require(n.media(mid: "0"), "\(peer) rejected audio")
        let video = try #require(n.media(mid: "1"), "\(peer) rejected video")
        #expect(audio.codecs.first?.payloadType == 111 && audio.codecs.first?.name.lowercased() == "opus", "\(peer)")
        let vp8 = try #require(video.codecs.first { $0.name.uppercased() == "VP8" }, "\(peer) dropped VP8")
        #expect(vp8.payloadType == 96 && vp8.rtxPayloadType == 97, "\(peer)")
        let offered = try JSEPTestSupport.section(offer, 1)
        for codec in video.codecs {
            let ours = try #require(offered.codec(payloadType: codec.payloadType), "\(peer) answered PT \(codec.payloadType)")
            #expect(ours.matches(codec) && codec.rtxPayloadType == ours.rtxPayloadType, "\(peer) PT \(codec.payloadType)")
        }
        #expect(audio.extensionID(JSEPHeaderExtension.midURI) == 4 && video.extensionID(JSEPHeaderExtension.midURI) == 4, "\(peer)")
        // The peer adds no track, so it only receives what we send.
        #expect(audio.direction == .sendonly && video.direction == .sendonly, "\(peer)")
        #expect(answer.setup(forMediaAt: 0) == .active || answer.setup(forMediaAt: 0) == .passive)
    }

    @Test func aiortcAnswersOurAudioVideoDataOffer() async throws {
        let offer = try Self.offer()
        try check(try await answer(from: "aiortc", offer: offer), offer: offer, peer: "aiortc")
    }

    @Test func chromiumAnswersOurAudioVideoDataOffer() async throws {
        let offer = try Self.offer()
        let answer = try await answer(from: "chromium", offer: offer)
        try check(answer, offer: offer, peer: "chromium")
        let video = try #require(try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true).media(mid: "1"))
        // Debian's Chromium decodes VP9 and H.264 too; each keeps our payload type and RTX.
        #expect(video.codec(payloadType: 98)?.rtxPayloadType == 99)
        #expect(video.codec(payloadType: 108)?.rtxPayloadType == 109)
        #expect(video.rtcpReducedSize && video.extensionID(JSEPHeaderExtension.transportWideCCURI) == 3)
    }
}
