import RTCCore
import Testing
import RTCSDP

/// The code of RTCSDP.docc/NegotiatingMedia.md, kept compiling and passing.
@Suite struct JSEPArticleTests {
    let transport = JSEPTestSupport.transport("abcd", setup: .active)

    @Test func answerABrowser() throws {
        let remoteSDP = try SDPFixtures.text("chromium-offer-av-data.sdp")

        let offer = try SDPDocument(parsing: remoteSDP)
        let answer = try JSEP.answer(
            to: offer,
            transceivers: [JSEPTransceiver(mid: "1", kind: .video, direction: .sendrecv,
                                           sender: JSEPSender(trackID: "cam", streamIDs: ["s"], ssrc: 21,
                                                              rtxSSRC: 22, cname: "swift"))],
            transport: transport, sessionID: 4242, previousVersion: nil)
        let sdp = answer.description.serialized()

        let negotiated = try JSEPNegotiation(offer: offer, answer: answer.description, localIsOfferer: false)
        let video = negotiated.media(mid: "1")
        let sendWith = video?.codecs.first            // the offerer's payload type, with its RTX one
        var demux = negotiated.demuxTable
        let route = demux.route(mid: nil, ssrc: 4_246_187_682, payloadType: 96)

        #expect(sdp.contains("a=ssrc-group:FID 21 22\r\n"))
        #expect(sendWith?.payloadType == 96 && sendWith?.rtxPayloadType == 97)
        let expected = BundleDemuxTable.Route(mid: "1", codecPayloadType: 96, isRTX: false)
        #expect(route == expected)
    }

    @Test func renegotiate() throws {
        var transceivers = [JSEPTransceiver(mid: "0", kind: .audio)]
        let first = try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "1"),
                                   transport: transport, sessionID: 4242, previousVersion: nil)
        transceivers.append(JSEPTransceiver(mid: "2", kind: .video, direction: .sendonly))
        let second = try JSEP.offer(transceivers: transceivers, data: JSEPDataSection(mid: "1"),
                                    transport: transport, sessionID: 4242,
                                    previousVersion: first.origin.sessionVersion)

        #expect(first.origin.sessionVersion == 1 && second.origin.sessionVersion == 2)
        #expect(second.media.map(\.mid) == ["0", "1", "2"] && second.bundleMids == ["0", "1", "2"])
    }
}
