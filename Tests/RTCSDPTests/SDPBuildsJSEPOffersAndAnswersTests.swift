import RTCCore
import Testing
import RTCSDP

/// The JSEP builder writes offers and answers with every line RFC 8829 asks for.
@Suite struct SDPBuildsJSEPOffersAndAnswersTests {
    static let digest: [UInt8] = (0..<32).map { UInt8($0 * 7 & 0xff) }
    static let transport = TransportParameters(iceUfrag: "abcd", icePwd: "0123456789abcdefghijkl",
                                               fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: digest)],
                                               setup: .actpass)

    @Test func dataChannelOfferHasEveryJSEPLine() throws {
        let offer = SDPDocument.jsep(sessionID: 4242, media: [.dataChannel(mid: "0", transport: Self.transport)])
        let text = offer.serialized()
        for line in ["v=0", "o=- 4242 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
                     "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0",
                     "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdefghijkl", "a=ice-options:trickle",
                     "a=setup:actpass", "a=mid:0", "a=sctp-port:5000", "a=max-message-size:262144"] {
            #expect(text.contains(line + "\r\n"), "missing \(line)")
        }
        let fp = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("a=fingerprint:sha-256 ") })
        #expect(fp.hasSuffix("00:07:0E:15:1C:23:2A:31:38:3F:46:4D:54:5B:62:69:70:77:7E:85:8C:93:9A:A1:A8:AF:B6:BD:C4:CB:D2:D9"))
        let reparsed = try SDPDocument(parsing: text)
        #expect(reparsed == offer)
        #expect(reparsed.fingerprints(forMediaAt: 0).first?.digest == Self.digest)
        #expect(TransportParameters(from: reparsed, mediaAt: 0) == Self.transport)
    }

    @Test func answerWithCandidatesAndEndOfCandidates() throws {
        var transport = Self.transport
        transport.setup = .passive
        let host = try ICECandidateAttribute(parsing: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host")
        var m = MediaDescription.dataChannel(mid: "0", transport: transport, port: 40000,
                                             connection: Connection(address: "127.0.0.1"), candidates: [host], endOfCandidates: true)
        let trickled = try ICECandidateAttribute(parsing: "candidate:2 1 udp 1694498815 198.51.100.4 40001 typ srflx raddr 127.0.0.1 rport 40000")
        m.addCandidate(trickled)
        #expect(m.attributes.candidates == [host, trickled])
        let answer = SDPDocument.jsep(sessionID: 1, media: [m])
        let reparsed = try SDPDocument(parsing: answer.serialized())
        #expect(reparsed.media[0].hasEndOfCandidates)
        #expect(reparsed.setup(forMediaAt: 0) == .passive)
        #expect(reparsed.media[0].port == 40000)
        #expect(reparsed.allCandidates.map(\.candidate) == [host, trickled])
        #expect(reparsed.allCandidates.allSatisfy { $0.mid == "0" && $0.mLineIndex == 0 })
    }

    @Test func builtOfferIsAcceptedShapeOfChromiumsDataSection() throws {
        // The data section we build has the same typed content as Chromium's, apart from values.
        let chromium = try SDPFixtures.description("chromium-offer-av-data.sdp").media[2]
        let ours = MediaDescription.dataChannel(mid: "2", transport: Self.transport)
        #expect(ours.kind == chromium.kind && ours.proto == chromium.proto && ours.formats == chromium.formats)
        #expect(ours.sctpPort == chromium.sctpPort && ours.maxMessageSize == chromium.maxMessageSize)
        #expect(ours.attributes.map(\.name).filter { $0 != "candidate" } == chromium.attributes.map(\.name).filter { $0 != "candidate" })
    }
}
