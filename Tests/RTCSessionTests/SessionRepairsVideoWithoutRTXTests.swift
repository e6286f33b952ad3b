import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// A peer that does not negotiate RTX still gets its losses repaired: a NACKed packet goes out
/// again as the very SRTP bytes sent before (the send stream caches what SRTP made), which the
/// receiver accepts because the original never arrived. Virtual time, 3 % loss each way.
@Suite struct SessionRepairsVideoWithoutRTXTests {
    /// The offer without RTX: its rtpmap and fmtp lines, its payload types in the m= line and
    /// the FID groups with their RTX SSRCs removed.
    static func withoutRTX(_ sdp: String) -> String {
        let lines = sdp.components(separatedBy: "\r\n")
        var rtxTypes: Set<String> = []
        var rtxSSRCs: Set<String> = []
        for line in lines {
            if line.hasPrefix("a=rtpmap:"), line.contains(" rtx/") {
                rtxTypes.insert(String(line.dropFirst("a=rtpmap:".count).prefix { $0 != " " }))
            }
            if line.hasPrefix("a=ssrc-group:FID ") { rtxSSRCs.insert(String(line.split(separator: " ")[2])) }
        }
        return lines.compactMap { line -> String? in
            if line.hasPrefix("m=video") {
                return line.split(separator: " ").filter { !rtxTypes.contains(String($0)) }.joined(separator: " ")
            }
            for type in rtxTypes where line.hasPrefix("a=rtpmap:\(type) ") || line.hasPrefix("a=fmtp:\(type) ") || line.hasPrefix("a=rtcp-fb:\(type) ") {
                return nil
            }
            if line.hasPrefix("a=ssrc-group:FID ") { return nil }
            for ssrc in rtxSSRCs where line.hasPrefix("a=ssrc:\(ssrc) ") { return nil }
            return line
        }.joined(separator: "\r\n")
    }

    @Test func lostVideoPacketsAreResentAsTheySentAndEveryFrameArrives() throws {
        var pair = try SessionPair(conditions: LinkConditions(loss: 0.03, delay: .milliseconds(20)), seed: 11)
        let video = SessionMediaSender(trackID: "a-video", streamIDs: ["a"], codec: .vp8)
        let aVideo = try pair.a.addTransceiver(kind: .video, direction: .sendonly, sender: video, now: pair.now)
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.withA { a, now in
            let offer = try a.createOffer()
            try a.setLocalDescription(offer, now: now)
            a.addLocalAddresses([SessionPair.addressA], now: now)
            return offer
        }
        #expect(offer.sdp.contains(" rtx/90000"), "the offer had RTX to remove")
        let munged = SessionDescription(type: .offer, sdp: Self.withoutRTX(pair.a.localDescription!.sdp))
        #expect(!munged.sdp.contains("rtx") && !munged.sdp.contains("FID"))
        try pair.withB { b, now in
            try b.setRemoteDescription(munged, now: now)
            try b.setLocalDescription(try b.createAnswer(), now: now)
            b.addLocalAddresses([SessionPair.addressB], now: now)
        }
        let bVideo = try #require(SessionMediaTests.tracksAdded(pair.takeEventsB()).first { $0.kind == .video }).handle
        let answer = pair.b.localDescription!
        #expect(!answer.sdp.contains("rtx"))
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        let opened = pair.run(until: { p in
            p.eventsA.contains { if case .dataChannel(.opened) = $0 { true } else { false } }
        }, for: .seconds(10))
        #expect(opened)

        let frames = 150
        let start = pair.now
        for n in 0..<frames {
            let at = start + .milliseconds(Int64(n) * 100 / 3)
            pair.run(for: at - pair.now)
            let frame = SessionMediaTests.vp8Frame(n, key: n % 60 == 0)
            try pair.withA { a, now in try a.sendFrame(frame, on: aVideo, captureTime: at, now: now) }
        }
        pair.run(for: .seconds(3))

        let received = SessionMediaTests.frames(pair.eventsB, handle: bVideo)
        #expect(received.count == frames)
        #expect(received.enumerated().allSatisfy { $0.element.frame.data == SessionMediaTests.vp8Frame($0.offset, key: $0.offset % 60 == 0) })
        let sent = try #require(pair.a.mediaStatistics(of: aVideo))
        let got = try #require(pair.b.mediaStatistics(of: bVideo))
        #expect(got.nacksSent > 0 && sent.retransmittedPacketsSent > 0, "losses were NACKed and resent")
        #expect(pair.a.statistics.mediaPacketsDropped == 0, "no resend was dropped")
    }
}
