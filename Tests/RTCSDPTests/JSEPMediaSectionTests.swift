import RTCCore
import Testing
import RTCSDP

/// The typed m-section model reads every real fixture and writes it back without losing an
/// attribute; codecs fold RTX by `apt`, SSRCs group with their cname/msid and FID pairs.
@Suite struct JSEPMediaSectionTests {
    @Test func readsChromiumVideoSection() throws {
        let d = try SDPFixtures.description("chromium-offer-av-data.sdp")
        let video = try JSEPTestSupport.section(d, 1)
        #expect(video.kind == .video && video.mid == "1" && video.direction == .sendrecv && video.port == 45078)
        #expect(video.codecs.count == 12)  // 23 payload types, 11 of them RTX
        #expect(video.codec(payloadType: 96)?.rtxPayloadType == 97)
        #expect(video.codec(rtxPayloadType: 119)?.name == "red")
        #expect(video.codec(payloadType: 120)?.rtxPayloadType == nil)
        #expect(video.codec(payloadType: 100)?.parameter("profile-id") == "2")
        #expect(video.rtcpMux && video.rtcpReducedSize)
        #expect(video.headerExtensions.count == 11)
        #expect(video.rtxPairs.map(\.media) == [4_246_187_682] && video.rtxPairs.map(\.rtx) == [546_144_323])
        #expect(video.mediaSSRCs == [4_246_187_682])
        let tagged = video.sources.filter { $0.cname == "LoCy3/iztiS2uEcQ" && $0.msid?.trackID == "c5a5f8b5-18d9-4b2b-a096-33a00c365486" }
        #expect(tagged.count == 2 && video.sources.count == 2)
        // Kept verbatim: candidates, ICE, DTLS, a=rtcp and a=rtcp-xr.
        #expect(video.otherAttributes.map(\.name) == ["rtcp", "candidate", "candidate", "ice-ufrag", "ice-pwd", "ice-options",
                                                      "fingerprint", "setup", "rtcp-xr"])
        let audio = try JSEPTestSupport.section(d, 0)
        #expect(audio.codecs.map(\.name) == ["opus", "red", "G722", "PCMU", "PCMA", "CN", "telephone-event", "telephone-event"])
        #expect(audio.codecs[0].channels == 2 && audio.codecs[0].parameter("useinbandfec") == "1")
        #expect(try JSEPMediaSection(d.media[2], mLineIndex: 2) == nil)  // the data section is not RTP
    }

    @Test func readsSimulcastRIDs() throws {
        let video = try JSEPTestSupport.section(try SDPFixtures.description("chromium-offer-simulcast.sdp"), 0)
        #expect(video.rids == [RIDAttribute(id: "h", direction: .send), RIDAttribute(id: "m", direction: .send),
                               RIDAttribute(id: "l", direction: .send)])
        #expect(video.simulcast?.send?.map { $0.map(\.rid) } == [["h"], ["m"], ["l"]])
        #expect(video.direction == .sendonly && video.sources.isEmpty)
    }

    /// Every RTP section of every fixture: typed → SDP → typed is the identity, and the written
    /// section has exactly the original's attributes and payload types.
    @Test(arguments: SDPFixtures.sdpNames)
    func writesBackWithoutLoss(name: String) throws {
        let d = try SDPFixtures.description(name)
        var checked = 0
        for (index, media) in d.media.enumerated() {
            guard let typed = try JSEPMediaSection(media, mLineIndex: index) else { continue }
            let written = typed.mediaDescription
            #expect(try JSEPMediaSection(written, mLineIndex: index) == typed)
            #expect(Set(written.attributes) == Set(media.attributes), "\(name) m=\(index)")
            #expect(written.attributes.count == media.attributes.count, "\(name) m=\(index)")
            #expect(Set(written.formats) == Set(media.formats) && written.port == media.port && written.proto == media.proto)
            let reparsed = try SDPDocument(parsing: SDPDocument(origin: d.origin, media: [written]).serialized())
            #expect(reparsed.media[0] == written)
            checked += 1
        }
        if name.contains("av-data") || name.contains("simulcast") { #expect(checked > 0) }
    }

    @Test func codecMatchingFollowsThePayloadFormats() {
        let h264 = { (pt: UInt8, fmtp: String) in JSEPCodec(payloadType: pt, name: "H264", clockRate: 90_000, parameters: fmtp) }
        let cb = h264(108, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
        #expect(cb.matches(h264(1, "packetization-mode=1;profile-level-id=42E034")))  // level differs, profile same
        #expect(!cb.matches(h264(1, "packetization-mode=0;profile-level-id=42e01f")))
        #expect(!cb.matches(h264(1, "packetization-mode=1;profile-level-id=42001f")))
        #expect(!cb.matches(h264(1, "packetization-mode=1;profile-level-id=zz")))
        #expect(h264(1, "").matches(h264(2, "profile-level-id=42000b")))  // defaults: mode 0, 42000A
        let vp9 = JSEPCodec(payloadType: 98, name: "VP9", clockRate: 90_000, parameters: "profile-id=0")
        #expect(vp9.matches(JSEPCodec(payloadType: 1, name: "vp9", clockRate: 90_000)))
        #expect(!vp9.matches(JSEPCodec(payloadType: 1, name: "VP9", clockRate: 90_000, parameters: "profile-id=2")))
        #expect(JSEPCapabilities.opus.matches(JSEPCodec(payloadType: 96, name: "OPUS", clockRate: 48_000, channels: 2)))
        #expect(!JSEPCapabilities.opus.matches(JSEPCodec(payloadType: 96, name: "opus", clockRate: 48_000)))
        #expect(!JSEPCapabilities.vp8.matches(JSEPCodec(payloadType: 96, name: "VP8", clockRate: 48_000)))
    }

    @Test func answerDirectionsFollowRFC8829() {
        let all: [MediaDirection] = [.sendrecv, .sendonly, .recvonly, .inactive]
        for offered in all {
            for local in all {
                let a = MediaDirection.answer(offered: offered, local: local)
                #expect(a.sends == (local.sends && offered.receives) && a.receives == (local.receives && offered.sends))
            }
        }
        #expect(MediaDirection.answer(offered: .sendonly, local: .sendrecv) == .recvonly)
        #expect(MediaDirection.answer(offered: .recvonly, local: .sendrecv) == .sendonly)
        #expect(MediaDirection.answer(offered: .recvonly, local: .recvonly) == .inactive)
        #expect(MediaDirection.sendonly.reversed == .recvonly && MediaDirection.sendrecv.reversed == .sendrecv)
    }
}
