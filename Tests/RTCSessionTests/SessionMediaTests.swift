import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// Audio and video through two sessions on virtual time: negotiation with transceivers, SRTP
/// from the DTLS exporter, BUNDLE demux, NACK/RTX repair, renegotiation and track ends.
@Suite struct SessionMediaTests {
    static func tracksAdded(_ events: [SessionEvent]) -> [SessionRemoteTrack] {
        events.compactMap { if case .media(.trackAdded(let t)) = $0 { t } else { nil } }
    }

    static func tracksEnded(_ events: [SessionEvent]) -> [Int] {
        events.compactMap { if case .media(.trackEnded(let h)) = $0 { h } else { nil } }
    }

    static func frames(_ events: [SessionEvent], handle: Int) -> [ReceivedMediaFrame] {
        events.compactMap { if case .media(.frame(handle, let f)) = $0 { f } else { nil } }
    }

    static func sending(_ events: [SessionEvent]) -> [(handle: Int, codec: RTPCodec)] {
        events.compactMap { if case .media(.sending(let h, let c, _)) = $0 { (h, c) } else { nil } }
    }

    static func negotiationNeeded(_ events: [SessionEvent]) -> Int {
        events.filter { if case .negotiationNeeded = $0 { true } else { false } }.count
    }

    /// A VP8 payload whose first byte says key frame (P bit clear) or not, then `index` and filler.
    static func vp8Frame(_ index: Int, key: Bool, size: Int = 3_000) -> ByteBuffer {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        bytes[0] = key ? 0x10 : 0x11
        bytes[1] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: index)
        return ByteBuffer(bytes: bytes)
    }

    static func opusFrame(_ index: Int) -> ByteBuffer {
        ByteBuffer(bytes: [0x78, UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)] + [UInt8](repeating: 7, count: 60))
    }

    /// A offers audio+video+data with its tracks; B, on the offer, attaches tracks of its own to
    /// the transceivers the offer created and answers; both send for `seconds` over `conditions`.
    @Test(arguments: [0.0, 0.03])
    func audioVideoAndDataBothWaysOnOneBundle(loss: Double) throws {
        var pair = try SessionPair(conditions: LinkConditions(loss: loss, delay: .milliseconds(20)), seed: 7)
        let video = SessionMediaSender(trackID: "a-video", streamIDs: ["a"], codec: .vp8)
        let audio = SessionMediaSender(trackID: "a-audio", streamIDs: ["a"], codec: .opus)
        let aVideo = try pair.a.addTransceiver(kind: .video, direction: .sendrecv, sender: video, now: pair.now)
        let aAudio = try pair.a.addTransceiver(kind: .audio, direction: .sendrecv, sender: audio, now: pair.now)
        let channel = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        #expect(Self.negotiationNeeded(pair.a.drainEvents()) >= 1)

        let offer = try pair.withA { a, now in
            let offer = try a.createOffer()
            try a.setLocalDescription(offer, now: now)
            a.addLocalAddresses([SessionPair.addressA], now: now)
            return offer
        }
        #expect(offer.sdp.contains("m=video") && offer.sdp.contains("m=audio") && offer.sdp.contains("m=application"))
        #expect(offer.sdp.contains("a=rtpmap:96 VP8/90000") && !offer.sdp.contains("H264"), "a VP8 track offers VP8 only")
        #expect(offer.sdp.contains("a=ssrc-group:FID") && offer.sdp.contains("a=msid:a a-video"))
        let offered = pair.a.localDescription!
        try pair.withB { b, now in
            try b.setRemoteDescription(offered, now: now)
        }
        let added = Self.tracksAdded(pair.takeEventsB())
        #expect(added.map(\.trackID).sorted() == ["a-audio", "a-video"])
        #expect(added.allSatisfy { $0.streamIDs == ["a"] })
        let bVideo = try #require(added.first { $0.kind == .video }).handle
        let bAudio = try #require(added.first { $0.kind == .audio }).handle
        try pair.withB { b, now in
            try b.setSender(SessionMediaSender(trackID: "b-video", codec: .vp8), on: bVideo, now: now)
            try b.setSender(SessionMediaSender(trackID: "b-audio", codec: .opus), on: bAudio, now: now)
            let answer = try b.createAnswer()
            #expect(answer.sdp.components(separatedBy: "a=sendrecv").count == 3, "both media sections answer sendrecv")
            try b.setLocalDescription(answer, now: now)
            b.addLocalAddresses([SessionPair.addressB], now: now)
        }
        let answer = pair.b.localDescription!
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        let addedAtA = Self.tracksAdded(pair.eventsA)
        #expect(addedAtA.map(\.trackID).sorted() == ["b-audio", "b-video"])

        // Wait for DTLS (SRTP keys) and the data channel.
        let opened = pair.run(until: { p in
            p.eventsA.contains { if case .dataChannel(.opened) = $0 { true } else { false } }
                && p.eventsB.contains { if case .dataChannel(.opened) = $0 { true } else { false } }
        }, for: .seconds(10))
        #expect(opened)
        #expect(Set(Self.sending(pair.eventsA).map(\.codec)) == [.vp8, .opus])
        #expect(Set(Self.sending(pair.eventsB).map(\.codec)) == [.vp8, .opus])

        // Ten seconds of 30 fps video and 50 fps audio both ways, and chat.
        let videoFrames = 300
        let audioFrames = 500
        let start = pair.now
        var sentVideo = 0
        var sentAudio = 0
        while sentVideo < videoFrames || sentAudio < audioFrames {
            let nextVideo = start + .milliseconds(Int64(sentVideo) * 100 / 3)
            let nextAudio = start + .milliseconds(Int64(sentAudio) * 20)
            let next = min(sentVideo < videoFrames ? nextVideo : .distantFuture, sentAudio < audioFrames ? nextAudio : .distantFuture)
            pair.run(for: next - pair.now)
            if sentVideo < videoFrames, pair.now >= nextVideo {
                let frame = Self.vp8Frame(sentVideo, key: sentVideo % 60 == 0)
                try pair.withA { a, now in try a.sendFrame(frame, on: aVideo, captureTime: nextVideo, now: now) }
                try pair.withB { b, now in try b.sendFrame(frame, on: bVideo, captureTime: nextVideo, now: now) }
                sentVideo += 1
            }
            if sentAudio < audioFrames, pair.now >= nextAudio {
                let frame = Self.opusFrame(sentAudio)
                try pair.withA { a, now in try a.sendFrame(frame, on: aAudio, captureTime: nextAudio, now: now) }
                try pair.withB { b, now in try b.sendFrame(frame, on: bAudio, captureTime: nextAudio, now: now) }
                sentAudio += 1
            }
            if sentVideo == 150 { try pair.withA { a, now in try a.send(.text("halfway"), on: channel, now: now) } }
        }
        pair.run(for: .seconds(3))

        for (events, videoHandle, audioHandle) in [(pair.eventsB, bVideo, bAudio), (pair.eventsA, aVideo, aAudio)] {
            let video = Self.frames(events, handle: videoHandle)
            let audio = Self.frames(events, handle: audioHandle)
            #expect(video.allSatisfy { $0.codec == .vp8 } && audio.allSatisfy { $0.codec == .opus })
            // Video is repaired by NACK/RTX: every frame arrives, in order, byte for byte.
            #expect(video.count == videoFrames, "loss \(loss)")
            #expect(video.enumerated().allSatisfy { $0.element.frame.data == Self.vp8Frame($0.offset, key: $0.offset % 60 == 0) })
            #expect(video.filter(\.frame.isKeyFrame).count == 5)
            // Audio has no NACK: what the link lost stays lost.
            #expect(audio.count >= Int(Double(audioFrames) * (1 - loss * 3)) && audio.count <= audioFrames, "loss \(loss): \(audio.count)")
        }
        #expect(pair.eventsB.contains { if case .dataChannel(.message(_, .text("halfway"))) = $0 { true } else { false } })
        let stats = try #require(pair.b.mediaStatistics(of: bVideo))
        #expect(stats.framesReceived == videoFrames && stats.framesSent == videoFrames)
        if loss > 0 {
            #expect(stats.nacksSent > 0 && stats.retransmittedPacketsSent > 0)
        }
        #expect(pair.a.statistics.rtcpPacketsReceived > 0)
    }
}

extension RTCSession {
    /// Drains and returns the events queued so far (for direct calls outside the pair's steps).
    mutating func drainEvents() -> [SessionEvent] {
        var out: [SessionEvent] = []
        while let e = pollEvent() { out.append(e) }
        return out
    }
}
