import RTCCore
import Testing
import RTCSDP

/// Answers to the audio+video+data offers real Chromium and aiortc wrote: the offerer's payload
/// types and extension ids are kept, RTX stays paired, unsupported codecs are dropped, the
/// BUNDLE group lists every accepted mid, and the answer reads back as the same negotiation.
@Suite struct JSEPAnswersBrowserOffersTests {
    static let answerer = JSEPTestSupport.transport("bbbb", setup: .active)

    @Test func answersChromiumKeepingPayloadTypesAndExtensionIDs() throws {
        let offer = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let result = try JSEP.answer(to: offer, transceivers: [], transport: Self.answerer, sessionID: 99, previousVersion: nil)
        let answer = try SDPDocument(parsing: result.description.serialized())
        #expect(result.rejections.isEmpty)
        #expect(answer.bundleMids == ["0", "1", "2"])
        #expect(answer.origin.sessionID == 99 && answer.origin.sessionVersion == 1)
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        #expect(answer.attributes.contains(.extmapAllowMixed))

        let audio = try JSEPTestSupport.section(answer, 0)
        #expect(audio.codecs.map(\.payloadType) == [111])
        #expect(audio.codecs[0].parameters == "minptime=10;useinbandfec=1")
        #expect(audio.codecs[0].feedback == [.transportCC])
        #expect(audio.headerExtensions.map(\.id) == [1, 2, 3, 4])
        #expect(audio.direction == .recvonly)
        #expect(audio.rtcpMux && audio.rtcpReducedSize)
        #expect(audio.sources.isEmpty && audio.msids.isEmpty)

        let video = try JSEPTestSupport.section(answer, 1)
        // VP8, H.264 42001f/42e01f/4d001f with packetization-mode=1, AV1, VP9 profile 0 — each with its RTX.
        #expect(video.codecs.map(\.payloadType) == [96, 102, 108, 116, 45, 98])
        #expect(video.codecs.map(\.rtxPayloadType) == [97, 103, 109, 117, 46, 99])
        #expect(answer.media[1].formats == ["96", "97", "102", "103", "108", "109", "116", "117", "45", "46", "98", "99"])
        // packetization-mode=0 (104, 114, 39), VP9 profile 2 (100), red/ulpfec (118-120) are dropped.
        for dropped: UInt8 in [104, 107, 114, 115, 39, 40, 100, 101, 118, 119, 120] {
            #expect(video.codec(payloadType: dropped) == nil && video.codec(rtxPayloadType: dropped) == nil, "\(dropped)")
        }
        #expect(video.codec(payloadType: 108)?.parameter("profile-level-id") == "42e01f")
        #expect(video.codec(payloadType: 116)?.parameter("profile-level-id") == "4d001f")
        #expect(video.codecs.filter { $0.name == "H264" }.map { $0.parameter("packetization-mode") } == ["1", "1", "1"])
        #expect(video.codecs[0].feedback == [.remb, .transportCC, .fir, .nack, .pli])
        // toffset (14), video-orientation (13), playout-delay… (5–8) are unknown here and dropped.
        #expect(video.headerExtensions.map(\.id) == [2, 3, 4, 10, 11])
        #expect(video.extensionID(JSEPHeaderExtension.midURI) == 4)
        #expect(video.extensionID(JSEPHeaderExtension.repairedRIDURI) == 11)

        #expect(answer.media[2].isDataChannel && answer.media[2].sctpPort == 5000 && answer.media[2].port == 9)
        #expect(answer.setup(forMediaAt: 1) == .active && answer.iceUfrag(forMediaAt: 2) == "bbbb")
    }

    @Test func answeringWithSendersWritesMsidAndFID() throws {
        let offer = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let transceivers = [
            JSEPTransceiver(mid: "0", kind: .audio, sender: JSEPSender(trackID: "mic", streamIDs: ["s"], ssrc: 11, cname: "me")),
            JSEPTransceiver(mid: "1", kind: .video, direction: .sendonly,
                            sender: JSEPSender(trackID: "cam", streamIDs: ["s"], ssrc: 21, rtxSSRC: 22, cname: "me")),
        ]
        let answer = try JSEP.answer(to: offer, transceivers: transceivers, transport: Self.answerer,
                                     sessionID: 5, previousVersion: 3).description
        #expect(answer.origin.sessionVersion == 4)
        let audio = try JSEPTestSupport.section(answer, 0)
        #expect(audio.direction == .sendrecv)
        #expect(audio.msids == [MediaStreamID(streamID: "s", trackID: "mic")])
        #expect(audio.sources == [JSEPSource(ssrc: 11, cname: "me", msid: MediaStreamID(streamID: "s", trackID: "mic"))])
        #expect(audio.ssrcGroups.isEmpty)
        let video = try JSEPTestSupport.section(answer, 1)
        #expect(video.direction == .sendonly)
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [21, 22])])
        #expect(video.mediaSSRCs == [21])

        // Read back from the answerer's side: the negotiation and the BUNDLE demux.
        let negotiation = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
        #expect(negotiation.media.map(\.mid) == ["0", "1"] && negotiation.dataMid == "2")
        let v = try #require(negotiation.media(mid: "1"))
        #expect(v.direction == .sendonly)
        #expect(v.remoteSSRCs == [4_246_187_682] && v.remoteRTXSSRC(for: 4_246_187_682) == 546_144_323)
        #expect(v.localSSRCs?.media == 21 && v.localSSRCs?.rtx == 22)
        #expect(negotiation.media(mid: "0")?.remoteSSRCs == [3_874_368_036])
        #expect(negotiation.media(mid: "0")?.remote.msids.first?.trackID == "621d5bdb-9ca4-46b5-8d44-f1255650115a")
        // Video is sendonly from here, so only audio is demultiplexed.
        var demux = negotiation.demuxTable
        #expect(demux.mids == ["0"] && demux.midExtensionID == 4)
        #expect(demux.route(mid: nil, ssrc: 3_874_368_036, payloadType: 111) == .init(mid: "0", codecPayloadType: 111, isRTX: false))
        #expect(demux.route(mid: "1", ssrc: 4_246_187_682, payloadType: 96) == nil)
    }

    @Test func answersAiortcKeepingItsIDsAndPayloadTypes() throws {
        let offer = try SDPFixtures.description("aiortc-offer-av-data.sdp")
        let result = try JSEP.answer(to: offer, transceivers: [JSEPTransceiver(mid: "1", kind: .video, direction: .sendrecv)],
                                     transport: Self.answerer, sessionID: 1, previousVersion: nil)
        let answer = try SDPDocument(parsing: result.description.serialized())
        #expect(result.rejections.isEmpty && answer.bundleMids == ["0", "1", "2"])
        #expect(!answer.attributes.contains(.extmapAllowMixed))
        let audio = try JSEPTestSupport.section(answer, 0)
        #expect(audio.codecs.map(\.payloadType) == [96] && audio.codecs[0].name == "opus")
        #expect(audio.codecs[0].feedback.isEmpty)  // aiortc offers no rtcp-fb for Opus
        #expect(audio.headerExtensions == [JSEPHeaderExtension(id: 1, uri: JSEPHeaderExtension.midURI),
                                           JSEPHeaderExtension(id: 2, uri: JSEPHeaderExtension.audioLevelURI)])
        #expect(!audio.rtcpReducedSize)  // not offered
        let video = try JSEPTestSupport.section(answer, 1)
        #expect(video.codecs.map(\.payloadType) == [97, 99, 101] && video.codecs.map(\.rtxPayloadType) == [98, 100, 102])
        #expect(video.codecs[0].feedback == [.nack, .pli, .remb])
        #expect(video.headerExtensions.map(\.id) == [1, 3] && video.direction == .sendrecv)

        let negotiation = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
        let v = try #require(negotiation.media(mid: "1"))
        #expect(v.direction == .sendrecv)  // the transceiver may send once it has a track, without renegotiation
        #expect(v.localSSRCs == nil)
        #expect(v.remoteRTXSSRC(for: 3_331_454_429) == 1_040_323_848)
        var demux = negotiation.demuxTable
        #expect(demux.midExtensionID == 1)
        #expect(demux.route(mid: nil, ssrc: 1_040_323_848, payloadType: 98) == .init(mid: "1", codecPayloadType: 97, isRTX: true))
        #expect(demux.route(mid: nil, ssrc: 305_108_862, payloadType: 96) == .init(mid: "0", codecPayloadType: 96, isRTX: false))
    }

    @Test func acceptsChromiumSimulcastWhenAsked() throws {
        let offer = try SDPFixtures.description("chromium-offer-simulcast.sdp")
        let plain = try JSEP.answer(to: offer, transceivers: [], transport: Self.answerer, sessionID: 1, previousVersion: nil)
        let plainVideo = try JSEPTestSupport.section(plain.description, 0)
        #expect(plainVideo.simulcast == nil && plainVideo.rids.isEmpty && plainVideo.direction == .recvonly)

        let answer = try JSEP.answer(to: offer, transceivers: [], transport: Self.answerer,
                                     options: JSEPAnswerOptions(acceptsSimulcast: true), sessionID: 1, previousVersion: nil).description
        let video = try JSEPTestSupport.section(answer, 0)
        #expect(video.rids.map(\.id) == ["h", "m", "l"] && video.rids.map(\.direction) == [.recv, .recv, .recv])
        #expect(video.simulcast == Simulcast(recv: [[.init(rid: "h")], [.init(rid: "m")], [.init(rid: "l")]]))
        let negotiation = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
        #expect(negotiation.media[0].remoteRIDs == ["h", "m", "l"])
        #expect(negotiation.media[0].direction == .recvonly)
        #expect(negotiation.demuxTable.ridExtensionID == 10 && negotiation.demuxTable.repairedRIDExtensionID == 11)
    }
}

/// Real offer/answer pairs captured between Chromium and aiortc read as the negotiation each side
/// saw; our answer to aiortc's offer agrees with the one Chromium wrote for it.
@Suite struct JSEPReadsRealExchangesTests {
    @Test func chromiumAnswerToAiortcOfferMatchesOurs() throws {
        let offer = try SDPFixtures.description("aiortc-offer-av-data.sdp")
        let chromium = try SDPFixtures.description("chromium-answer.sdp")
        let ours = try JSEP.answer(to: offer, transceivers: [], transport: JSEPTestSupport.transport("cccc", setup: .active),
                                   sessionID: 1, previousVersion: nil).description
        for index in 0..<2 {
            let theirs = try JSEPTestSupport.section(chromium, index)
            let mine = try JSEPTestSupport.section(ours, index)
            let supported = theirs.codecs.filter { c in mine.codecs.contains { $0.matches(c) } }
            #expect(mine.codecs.map(\.payloadType) == supported.map(\.payloadType), "m=\(index)")
            #expect(mine.codecs.map(\.rtxPayloadType) == supported.map(\.rtxPayloadType), "m=\(index)")
            #expect(Set(mine.headerExtensions.map { "\($0.id) \($0.uri)" }) == Set(theirs.headerExtensions.map { "\($0.id) \($0.uri)" }))
        }
    }

    @Test func readsBothSidesOfAChromiumAiortcCall() throws {
        let offer = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let answer = try SDPFixtures.description("aiortc-answer.sdp")
        let asAiortc = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
        let asChromium = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true)
        #expect(asAiortc.bundleMids == ["0", "1", "2"] && asAiortc.dataMid == "2")
        for n in [asAiortc, asChromium] {
            let video = try #require(n.media(mid: "1"))
            #expect(video.codecs.map(\.payloadType) == [96, 102, 108] && video.codecs.map(\.rtxPayloadType) == [97, 103, 109])
            #expect(video.extensionID(JSEPHeaderExtension.midURI) == 4 && video.direction == .sendrecv)
            #expect(!video.rtcpReducedSize)  // aiortc did not answer rtcp-rsize
        }
        #expect(asAiortc.media(mid: "1")?.remoteRTXSSRC(for: 4_246_187_682) == 546_144_323)
        #expect(asChromium.media(mid: "1")?.remoteRTXSSRC(for: 2_328_898_559) == 255_477_658)
        var demux = asChromium.demuxTable
        #expect(demux.route(mid: "0", ssrc: 1, payloadType: 111)?.mid == "0")
        #expect(demux.route(mid: nil, ssrc: 1, payloadType: 96) == nil)  // SSRC 1 is now bound to mid 0, which has no PT 96
        #expect(demux.route(mid: nil, ssrc: 255_477_658, payloadType: 97) == .init(mid: "1", codecPayloadType: 96, isRTX: true))
    }
}
