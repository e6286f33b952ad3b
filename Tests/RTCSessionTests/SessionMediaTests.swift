import Foundation
import NIOCore
import RTCCore
import RTCDTLS
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

/// Renegotiation: tracks coming and going, `negotiationNeeded`, growing `o=` versions, and an
/// offer whose codec we do not have.
@Suite struct SessionMediaRenegotiationTests {
    static func version(_ sdp: String) -> UInt64? {
        sdp.split(separator: "\r\n").first { $0.hasPrefix("o=") }.flatMap { UInt64($0.split(separator: " ")[2]) }
    }

    /// One full exchange with `offerer` offering; returns the offer and answer texts.
    static func exchange(_ pair: inout SessionPair, aOffers: Bool = true) throws -> (offer: String, answer: String) {
        if aOffers {
            let offer = try pair.withA { a, now in
                let o = try a.createOffer()
                try a.setLocalDescription(o, now: now)
                return o
            }
            let answer = try pair.withB { b, now in
                try b.setRemoteDescription(offer, now: now)
                let a = try b.createAnswer()
                try b.setLocalDescription(a, now: now)
                return a
            }
            try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
            return (offer.sdp, answer.sdp)
        }
        let offer = try pair.withB { b, now in
            let o = try b.createOffer()
            try b.setLocalDescription(o, now: now)
            return o
        }
        let answer = try pair.withA { a, now in
            try a.setRemoteDescription(offer, now: now)
            let ans = try a.createAnswer()
            try a.setLocalDescription(ans, now: now)
            return ans
        }
        try pair.withB { b, now in try b.setRemoteDescription(answer, now: now) }
        return (offer.sdp, answer.sdp)
    }

    @Test func tracksAddedAndRemovedLaterRenegotiateAndEndThePeersTrack() throws {
        var pair = try SessionPair(seed: 11)
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        try pair.negotiate()
        let connected = pair.run(until: { p in [p.eventsA, p.eventsB].allSatisfy { $0.contains { if case .connectionStateChanged(.connected) = $0 { true } else { false } } } }, for: .seconds(10))
        #expect(connected)
        let first = pair.a.localDescription!.sdp
        _ = pair.takeEventsB()
        _ = pair.takeEventsA()

        // B adds a video track mid-call: B needs negotiation, offers; A sees the track.
        let handle = try pair.withB { b, now in
            try b.addTransceiver(kind: .video, direction: .sendrecv, sender: SessionMediaSender(trackID: "cam", codec: .vp8), now: now)
        }
        #expect(SessionMediaTests.negotiationNeeded(pair.takeEventsB()) == 1)
        let (offer, answer) = try Self.exchange(&pair, aOffers: false)
        #expect(offer.contains("m=application") && offer.contains("m=video"))
        #expect(offer.range(of: "m=application")!.lowerBound < offer.range(of: "m=video")!.lowerBound, "m-line order kept, new last")
        #expect(answer.contains("a=recvonly"), "A has no track: it answers recvonly")
        let added = SessionMediaTests.tracksAdded(pair.eventsA)
        #expect(added.map(\.trackID) == ["cam"])
        #expect(SessionMediaTests.negotiationNeeded(pair.eventsB) == 0, "stable again: nothing more to negotiate")
        pair.run(for: .milliseconds(200))
        for i in 0..<30 {
            try pair.withB { b, now in try b.sendFrame(SessionMediaTests.vp8Frame(i, key: i == 0), on: handle, captureTime: now, now: now) }
            pair.run(for: .milliseconds(33))
        }
        pair.run(for: .milliseconds(500))
        let aHandle = try #require(added.first).handle
        #expect(SessionMediaTests.frames(pair.eventsA, handle: aHandle).count == 30)

        // A's o= version grew with its new (answer) description.
        let second = pair.a.localDescription!.sdp
        #expect(Self.version(second)! > Self.version(first)!)

        // B removes the track: negotiation needed, then A's track ends.
        _ = pair.takeEventsA()
        try pair.withB { b, now in try b.setSender(nil, on: handle, now: now) }
        #expect(SessionMediaTests.negotiationNeeded(pair.takeEventsB()) == 1)
        let (offer2, _) = try Self.exchange(&pair, aOffers: false)
        #expect(offer2.contains("a=recvonly") && !offer2.contains("a=msid:- cam"))
        #expect(SessionMediaTests.tracksEnded(pair.eventsA) == [aHandle])
        #expect(Self.version(offer2)! > Self.version(offer)!)

        // Stopping the transceiver rejects its m-section in the next offer.
        try pair.withB { b, now in try b.stopTransceiver(handle, now: now) }
        let (offer3, answer3) = try Self.exchange(&pair, aOffers: false)
        #expect(offer3.contains("m=video 0 ") && answer3.contains("m=video 0 "))
        #expect(pair.a.transceiverInfos.first { $0.mid == added.first?.mid }?.isStopped == true)
    }

    @Test func anOfferedCodecWeLackGetsACleanAnswerWithoutIt() throws {
        var pair = try SessionPair(seed: 12)
        // B can only do VP8 video; A offers H.264 only.
        var onlyVP8 = SessionConfiguration()
        onlyVP8.mediaCapabilities.videoCodecs = onlyVP8.mediaCapabilities.videoCodecs.filter { $0.name == "VP8" }
        pair.b = RTCSession(configuration: onlyVP8, certificate: try DTLSCertificate.generateSelfSigned(now: Date()), rng: SeededRandom(seed: 99))
        let h264 = try pair.withA { a, now in
            try a.addTransceiver(kind: .video, direction: .sendonly, sender: SessionMediaSender(trackID: "h", codec: .h264), now: now)
        }
        let audio = try pair.withA { a, now in
            try a.addTransceiver(kind: .audio, direction: .sendonly, sender: SessionMediaSender(trackID: "o", codec: .opus), now: now)
        }
        let (offer, answer) = try Self.exchange(&pair)
        #expect(offer.contains("H264/90000"))
        #expect(answer.contains("m=video 0 "), "the H.264 section is rejected")
        #expect(!answer.contains("H264"))
        #expect(answer.contains("m=audio 9 ") && answer.contains("a=recvonly"))
        #expect(pair.a.transceiverInfo(h264)?.isStopped == true)
        #expect(pair.a.transceiverInfo(audio)?.isStopped == false)
    }
}
