import RTCCore
import Testing
import RTCSDP

/// The code of RTCSDP.docc/GettingStarted.md, kept compiling and passing.
@Suite struct SDPGettingStartedArticleTests {
    @Test func articleCodeWorks() throws {
        let remoteSDP = try SDPFixtures.text("chromium-offer-av-data.sdp")
        let certificateDigest: [UInt8] = Array(repeating: 0xAB, count: 32)

        let offer = try SDPDocument(parsing: remoteSDP)
        let mids = offer.bundleMids ?? []
        #expect(mids == ["0", "1", "2"])
        let found = offer.media.firstIndex(where: \.isDataChannel)
        let index = try #require(found)
        #expect(offer.media[index].sctpPort == 5000)
        #expect(offer.fingerprints(forMediaAt: index).first?.algorithm == "sha-256")
        #expect(offer.iceUfrag(forMediaAt: index) != nil)

        let transport = TransportParameters(
            iceUfrag: "abcd", icePwd: "0123456789abcdefghijkl",
            fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: certificateDigest)],
            setup: .actpass)
        let description = SDPDocument.jsep(
            sessionID: 4242, media: [.dataChannel(mid: "0", transport: transport)])
        let sdp = description.serialized()
        #expect(sdp.contains("a=group:BUNDLE 0\r\n"))
        #expect(sdp.contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"))

        let candidate = try ICECandidateAttribute(parsing: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host")
        #expect(!candidate.isTCP)
        var media = description.media[0]
        media.addCandidate(candidate)
        #expect(media.attributes.first == .candidate(candidate))
    }
}
