import RTCCore
import Testing
import RTCSDP

/// Two of our own endpoints negotiate audio+video+data, then renegotiate as tracks come and go:
/// every new local description bumps `o=`, mids keep their m-lines, stopped sections leave the
/// BUNDLE group, and a re-offer from the answerer keeps the negotiated payload types.
@Suite struct JSEPRenegotiationTests {
    static let alice = JSEPTestSupport.transport("aaaa", setup: .actpass)
    static let bob = JSEPTestSupport.transport("bbbb", setup: .active)
    static let aliceMic = JSEPSender(trackID: "mic", streamIDs: ["a"], ssrc: 1001, cname: "alice")
    static let aliceCam = JSEPSender(trackID: "cam", streamIDs: ["a"], ssrc: 2001, rtxSSRC: 2002, cname: "alice")
    static let bobCam = JSEPSender(trackID: "bcam", streamIDs: [], ssrc: 3001, rtxSSRC: 3002, cname: "bob")

    static func aliceTransceivers() -> [JSEPTransceiver] {
        [JSEPTransceiver(mid: "0", kind: .audio, sender: aliceMic), JSEPTransceiver(mid: "1", kind: .video, sender: aliceCam)]
    }

    @Test func offerHasEveryJSEPMediaLine() throws {
        let offer = try JSEP.offer(transceivers: Self.aliceTransceivers(), data: JSEPDataSection(mid: "2"),
                                   transport: Self.alice, sessionID: 7, previousVersion: nil)
        let text = offer.serialized()
        for line in ["o=- 7 1 IN IP4 127.0.0.1", "a=group:BUNDLE 0 1 2",
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 108 109 116 117 112 113 45 46",
                     "a=rtpmap:45 AV1/90000", "a=fmtp:46 apt=45",
                     "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                     "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtcp-fb:111 transport-cc",
                     "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", "a=fmtp:98 profile-id=0", "a=rtcp-fb:96 nack pli",
                     "a=rtcp-fb:96 ccm fir", "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 transport-cc", "a=rtcp-fb:96 nack",
                     "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                     "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
                     "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
                     "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                     "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                     "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                     "a=rtcp-mux", "a=rtcp-rsize", "a=sendrecv", "a=msid:a cam", "a=ssrc-group:FID 2001 2002",
                     "a=ssrc:2001 cname:alice", "a=ssrc:2002 msid:a cam", "a=ssrc:1001 cname:alice", "a=setup:actpass"] {
            #expect(text.contains(line + "\r\n"), "missing \(line)")
        }
        #expect(!text.contains("a=ssrc-group:FID 1001"))
        let parsed = try JSEPDescription(parsing: text)
        #expect(parsed.mediaSections.map(\.mid) == ["0", "1"] && parsed.dataMid == "2")
    }

    @Test func offerAnswerOfferBetweenTwoOfOurEndpoints() throws {
        // 1. Alice offers audio+video+data; Bob answers with his camera and receives Alice's audio.
        let offer1 = try JSEP.offer(transceivers: Self.aliceTransceivers(), data: JSEPDataSection(mid: "2"),
                                    transport: Self.alice, sessionID: 7, previousVersion: nil)
        let bobTransceivers = [JSEPTransceiver(mid: "1", kind: .video, sender: Self.bobCam)]
        let answer1 = try JSEP.answer(to: try SDPDocument(parsing: offer1.serialized()), transceivers: bobTransceivers,
                                      transport: Self.bob, sessionID: 9, previousVersion: nil).description
        #expect(answer1.origin.sessionVersion == 1)
        let atAlice = try JSEPNegotiation(offer: offer1, answer: answer1, localIsOfferer: true)
        let atBob = try JSEPNegotiation(offer: offer1, answer: answer1, localIsOfferer: false)
        #expect(atAlice.media(mid: "0")?.direction == .sendonly && atBob.media(mid: "0")?.direction == .recvonly)
        #expect(atAlice.media(mid: "1")?.direction == .sendrecv && atBob.media(mid: "1")?.direction == .sendrecv)
        #expect(atAlice.media(mid: "1")?.codecs == atBob.media(mid: "1")?.codecs)
        #expect(atAlice.media(mid: "1")?.codecs.first?.payloadType == 96)
        #expect(atAlice.media(mid: "1")?.remoteRTXSSRC(for: 3001) == 3002)
        #expect(atBob.media(mid: "1")?.remoteRTXSSRC(for: 2001) == 2002)
        #expect(atBob.media(mid: "1")?.remote.msids == [MediaStreamID(streamID: "a", trackID: "cam")])
        #expect(atAlice.media(mid: "1")?.remote.msids == [MediaStreamID(streamID: "-", trackID: "bcam")])
        #expect(atAlice.dataMid == "2" && atBob.bundleMids == ["0", "1", "2"])
        #expect(atAlice.media.filter { !$0.rtcpReducedSize }.isEmpty && atAlice.media.count == 2)

        // Each side demultiplexes the other's packets: mid first, then SSRC, then payload type.
        var bobDemux = atBob.demuxTable
        #expect(bobDemux.route(mid: "0", ssrc: 1001, payloadType: 111) == .init(mid: "0", codecPayloadType: 111, isRTX: false))
        #expect(bobDemux.route(mid: nil, ssrc: 1001, payloadType: 111)?.mid == "0")
        #expect(bobDemux.route(mid: nil, ssrc: 2002, payloadType: 97) == .init(mid: "1", codecPayloadType: 96, isRTX: true))
        #expect(bobDemux.route(mid: nil, ssrc: 77, payloadType: 108) == .init(mid: "1", codecPayloadType: 108, isRTX: false))
        #expect(bobDemux.ssrcs[77] == "1")  // learned from the unique payload type
        #expect(bobDemux.route(mid: "9", ssrc: 78, payloadType: 96) == nil)  // unknown mid: drop
        var aliceDemux = atAlice.demuxTable
        #expect(aliceDemux.mids == ["1"])  // Alice only receives video
        #expect(aliceDemux.route(mid: nil, ssrc: 1001, payloadType: 111) == nil)

        // 2. Bob re-offers with what was negotiated: payload types and ids stay; o= grows.
        var bobAgain = bobTransceivers
        bobAgain[0].codecs = atBob.media(mid: "1")?.codecs
        bobAgain[0].headerExtensions = atBob.media(mid: "1")?.headerExtensions
        let reoffer = try JSEP.offer(sections: [.media(JSEPTransceiver(mid: "0", kind: .audio, direction: .recvonly)),
                                                .media(bobAgain[0]), .data(JSEPDataSection(mid: "2"))],
                                     transport: Self.bob, sessionID: 9, previousVersion: answer1.origin.sessionVersion)
        #expect(reoffer.origin.sessionVersion == 2 && reoffer.origin.sessionID == 9)
        let reanswer = try JSEP.answer(to: reoffer, transceivers: Self.aliceTransceivers(), transport: Self.alice,
                                       sessionID: 7, previousVersion: offer1.origin.sessionVersion).description
        #expect(reanswer.origin.sessionVersion == 2)
        let n = try JSEPNegotiation(offer: reoffer, answer: reanswer, localIsOfferer: false)
        #expect(n.media(mid: "1")?.codecs == atAlice.media(mid: "1")?.codecs)
        #expect(n.media(mid: "0")?.direction == .sendonly)  // Alice still sends her microphone
    }

    @Test func renegotiationAddsAndStopsTransceivers() throws {
        var transceivers = Self.aliceTransceivers()
        let offer1 = try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "2"),
                                    transport: Self.alice, sessionID: 7, previousVersion: nil)
        // A screen share arrives: a new sendonly video transceiver after the data section.
        transceivers.append(JSEPTransceiver(mid: "3", kind: .video, direction: .sendonly,
                                            sender: JSEPSender(trackID: "screen", ssrc: 4001, rtxSSRC: 4002, cname: "alice")))
        let offer2 = try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "2"),
                                    transport: Self.alice, sessionID: 7, previousVersion: offer1.origin.sessionVersion)
        #expect(offer2.origin.sessionVersion == 2)
        #expect(offer2.media.map(\.mid) == ["0", "1", "2", "3"] && offer2.bundleMids == ["0", "1", "2", "3"])
        let answer2 = try JSEP.answer(to: offer2, transceivers: [], transport: Self.bob, sessionID: 9, previousVersion: 1).description
        let n2 = try JSEPNegotiation(offer: offer2, answer: answer2, localIsOfferer: true)
        #expect(n2.media(mid: "3")?.direction == .sendonly && n2.media(mid: "3")?.localSSRCs?.rtx == 4002)
        #expect(try JSEPTestSupport.section(answer2, 3).direction == .recvonly)

        // The camera stops: its m-line keeps its place with port 0 and leaves the BUNDLE group.
        transceivers[1].isStopped = true
        let offer3 = try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "2"),
                                    transport: Self.alice, sessionID: 7, previousVersion: offer2.origin.sessionVersion)
        #expect(offer3.origin.sessionVersion == 3)
        #expect(offer3.media[1].port == 0 && offer3.media[1].mid == "1" && offer3.bundleMids == ["0", "2", "3"])
        let result = try JSEP.answer(to: try SDPDocument(parsing: offer3.serialized()), transceivers: [], transport: Self.bob,
                                     sessionID: 9, previousVersion: 2)
        #expect(result.rejections == [JSEPRejection(mLineIndex: 1, mid: "1", reason: .stoppedByOfferer)])
        #expect(result.description.media[1].port == 0 && result.description.bundleMids == ["0", "2", "3"])
        #expect(result.description.origin.sessionVersion == 3)
        let n3 = try JSEPNegotiation(offer: offer3, answer: result.description, localIsOfferer: true)
        #expect(n3.media.map(\.mid) == ["0", "3"] && n3.inactiveMids == ["1"] && n3.dataMid == "2")
    }

    @Test func answererRejectsWhatItStoppedOrCannotBundle() throws {
        let offer = try JSEP.offer(transceivers: Self.aliceTransceivers(), data: JSEPDataSection(mid: "2"),
                                   transport: Self.alice, sessionID: 7, previousVersion: nil)
        let stoppedVideo = [JSEPTransceiver(mid: "1", kind: .video, isStopped: true),
                            JSEPTransceiver(mid: "0", kind: .video)]
        let result = try JSEP.answer(to: offer, transceivers: stoppedVideo, transport: Self.bob,
                                     options: JSEPAnswerOptions(acceptsData: false), sessionID: 9, previousVersion: nil)
        #expect(result.rejections.map(\.reason) == [.kindMismatch, .stoppedLocally, .dataNotAccepted])
        #expect(result.description.media.map(\.port) == [0, 0, 0] && result.description.bundleMids == nil)
        #expect(result.description.media.map(\.mid) == ["0", "1", "2"])
        #expect(try JSEPNegotiation(offer: offer, answer: result.description, localIsOfferer: true).media.isEmpty)
    }
}
