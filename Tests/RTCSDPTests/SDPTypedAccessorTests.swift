import Testing
import RTCSDP

@Suite struct SDPTypedAccessorTests {
    @Test func chromiumOfferCarriesBundleIceDtlsAndCodecs() throws {
        let d = try SDPFixtures.description("chromium-offer-av-data.sdp")
        #expect(d.version == 0)
        #expect(d.origin.username == "-" && d.origin.networkType == "IN" && d.origin.sessionVersion == 2)
        #expect(d.sessionName == "-")
        #expect(d.timing == [Timing(start: 0, stop: 0)])
        #expect(d.bundleMids == ["0", "1", "2"])
        #expect(d.attributes.contains(.extmapAllowMixed))
        #expect(d.media.map(\.kind) == ["audio", "video", "application"])
        #expect(d.media.map(\.mid) == ["0", "1", "2"])

        let audio = d.media[0]
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.payloadTypes.first == 111)
        #expect(audio.rtpMap(payloadType: 111) == RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.formatParameters(payloadType: 111)?.value(for: "useinbandfec") == "1")
        #expect(audio.formatParameters(payloadType: 111)?.value(for: "minptime") == "10")
        #expect(audio.rtcpFeedback(payloadType: 111).map(\.type) == ["transport-cc"])
        #expect(audio.isRTCPMux && audio.isRTCPReducedSize)
        #expect(audio.direction == .sendrecv)
        #expect(audio.extensionMaps.contains(ExtensionMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid")))
        #expect(audio.msids.count == 1 && audio.msids[0].trackID != nil)
        #expect(audio.ssrcAttributes.contains { $0.attribute == "cname" })

        for i in d.media.indices {
            let fp = d.fingerprints(forMediaAt: i)
            #expect(fp.count == 1 && fp[0].algorithm == "sha-256" && fp[0].digest.count == 32)
            #expect(d.setup(forMediaAt: i) == .actpass)
            #expect(d.iceUfrag(forMediaAt: i) == d.iceUfrag(forMediaAt: 0) && (d.iceUfrag(forMediaAt: i)?.count ?? 0) >= 4)
            #expect(d.icePwd(forMediaAt: i)?.count == 24)
            #expect(d.media[i].attributes.iceOptions == ["trickle"])
        }

        let video = d.media[1]
        #expect(video.rtpMap(payloadType: 96)?.encodingName == "VP8")
        #expect(video.rtpMap(payloadType: 96)?.clockRate == 90000)
        #expect(video.rtpMap(payloadType: 96)?.channels == nil)
        #expect(video.formatParameters(payloadType: 97)?.value(for: "apt") == "96")
        #expect(video.rtcpFeedback(payloadType: 96).contains(RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli")))
        #expect(video.ssrcGroups.first?.semantics == "FID" && video.ssrcGroups.first?.ssrcs.count == 2)

        let data = d.media[2]
        #expect(data.isDataChannel)
        #expect(data.proto == "UDP/DTLS/SCTP" && data.formats == ["webrtc-datachannel"])
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262144)
    }

    @Test func chromiumOfferCandidatesIncludeUDPAndTCP() throws {
        let d = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let candidates = d.allCandidates
        #expect(candidates.count == 6)
        let udp = candidates.filter { $0.candidate.isUDP }
        let tcp = candidates.filter { $0.candidate.isTCP }
        #expect(udp.count == 3 && tcp.count == 3)
        #expect(tcp.allSatisfy { $0.candidate.tcpType == .active && $0.candidate.port == 9 })
        #expect(udp.allSatisfy { $0.candidate.type == .host && $0.candidate.ipAddress == .loopbackV4 })
        #expect(udp.map(\.mid) == ["0", "1", "2"])
        // The m= port is the UDP candidate's port.
        for c in udp { #expect(d.media[c.mLineIndex].port == c.candidate.port) }
        #expect(candidates.allSatisfy { $0.candidate.generation == 0 && $0.candidate.networkCost == 50 })
    }

    @Test func chromiumAnswerIsActiveAndBundled() throws {
        let d = try SDPFixtures.description("chromium-answer.sdp")
        #expect(d.bundleMids == ["0", "1", "2"])
        for i in d.media.indices { #expect(d.setup(forMediaAt: i) == .active) }
        #expect(d.media[2].sctpPort == 5000)
    }

    /// The fingerprint that identifies a description's endpoint: the session's, else the first
    /// media section's first; none without any.
    @Test func firstCertificateFingerprintPrefersTheSessionLevel() throws {
        let chromium = try SDPFixtures.description("chromium-offer-av-data.sdp")
        #expect(chromium.firstCertificateFingerprint == chromium.fingerprints(forMediaAt: 0).first)
        #expect(chromium.firstCertificateFingerprint != nil)
        let aiortc = try SDPFixtures.description("aiortc-offer-av-data.sdp")
        #expect(aiortc.firstCertificateFingerprint?.algorithm == "sha-256")
        let session = String(repeating: "AB:", count: 31) + "AB"
        let media = String(repeating: "CD:", count: 31) + "CD"
        let both = try SDPDocument(parsing: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 \(session)\r\n"
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=fingerprint:sha-256 \(media)\r\n")
        #expect(both.firstCertificateFingerprint?.digest == [UInt8](repeating: 0xAB, count: 32))
        let none = try SDPDocument(parsing: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n")
        #expect(none.firstCertificateFingerprint == nil)
    }

    @Test func aiortcOfferHasEndOfCandidatesAndThreeFingerprints() throws {
        let d = try SDPFixtures.description("aiortc-offer-av-data.sdp")
        #expect(d.bundleMids == ["0", "1", "2"])
        for (i, m) in d.media.enumerated() {
            #expect(m.hasEndOfCandidates)
            #expect(m.attributes.candidates.count == 1)
            #expect(m.attributes.candidates[0].type == .host)
            #expect(d.fingerprints(forMediaAt: i).map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
            #expect(d.fingerprints(forMediaAt: i).map { $0.digest.count } == [32, 48, 64])
        }
        #expect(d.media[0].rtpMap(payloadType: 96)?.encodingName == "opus")
        #expect(d.media[2].isDataChannel && d.media[2].sctpPort == 5000 && d.media[2].maxMessageSize == 262144)
        // a=msid-semantic is not modelled: it is kept verbatim.
        #expect(d.attributes.values(ofUnknown: "msid-semantic") == ["WMS *"])
    }

    @Test func aiortcDataOnlyOfferHasOneApplicationSection() throws {
        let d = try SDPFixtures.description("aiortc-offer-data.sdp")
        #expect(d.media.count == 1 && d.media[0].isDataChannel)
        #expect(d.bundleMids == ["0"])
        #expect(TransportParameters(from: d, mediaAt: 0)?.setup == .actpass)
    }

    @Test func aiortcAnswerAnswersChromiumsOffer() throws {
        let offer = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let answer = try SDPFixtures.description("aiortc-answer.sdp")
        #expect(answer.media.map(\.mid) == offer.media.map(\.mid))
        for i in answer.media.indices { #expect([SetupRole.active, .passive].contains(answer.setup(forMediaAt: i))) }
    }

    @Test func chromiumSimulcastOfferHasRidsAndSimulcast() throws {
        let d = try SDPFixtures.description("chromium-offer-simulcast.sdp")
        let video = try #require(d.media.first { $0.kind == "video" })
        #expect(video.rids.map(\.id) == ["h", "m", "l"])
        #expect(video.rids.allSatisfy { $0.direction == .send })
        #expect(video.simulcast == Simulcast(sending: ["h", "m", "l"]))
        #expect(video.direction == .sendonly)
        #expect(video.extensionMaps.contains { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id" })
    }

    @Test func trickledChromiumCandidatesParseOnTheirOwn() throws {
        let lines = try SDPFixtures.text("chromium-trickled-candidates.txt").split(separator: "\n").map(String.init)
        #expect(lines.count >= 2)
        let candidates = try lines.map { try ICECandidateAttribute(parsing: $0) }
        #expect(candidates.contains { $0.isTCP && $0.tcpType == .active })
        #expect(candidates.contains { $0.isUDP && $0.type == .host })
        let offer = try SDPFixtures.description("chromium-offer-av-data.sdp")
        #expect(candidates.allSatisfy { $0.ufrag != nil && $0.ufrag == offer.iceUfrag(forMediaAt: 0) })
        for (line, c) in zip(lines, candidates) { #expect(c.candidateString == line) }
    }
}
