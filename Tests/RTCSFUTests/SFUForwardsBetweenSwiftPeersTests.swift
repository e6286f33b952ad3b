import NIOConcurrencyHelpers
import NIOCore
import RTCSFU
import RTCTestSupport
import SwiftRTC
import Testing

/// A Swift publisher, a forwarder in this process (one peer connection per member, an
/// `SFURouter` between them, RTP-fed tracks towards the subscribers) and two Swift subscribers,
/// over real loopback sockets: the subscribers' frames decode from the publisher's, in order and
/// without a gap; the one that joins late starts at a key frame the router asked the publisher
/// for (PLI through the publisher's packets-only connection).
@Suite(.heavyPeers) struct SFUForwardsBetweenSwiftPeersTests {
    /// A frame whose bytes say which track and index it is; byte 0 is VP8's P bit.
    static func frame(_ index: Int, key: Bool, size: Int) -> ByteBuffer {
        var bytes = [UInt8](repeating: 0x5A, count: size)
        bytes[0] = key ? 0x10 : 0x11
        bytes[1] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: index)
        return ByteBuffer(bytes: bytes)
    }

    static func index(of frame: ReceivedMediaFrame) -> Int {
        let d = frame.frame.data
        return Int(d.getInteger(at: d.readerIndex + 1, as: UInt8.self)!) << 8 | Int(d.getInteger(at: d.readerIndex + 2, as: UInt8.self)!)
    }

    /// Offer/answer between two connections, full gathering first.
    static func negotiate(_ offerer: PeerConnection, _ answerer: PeerConnection) async throws {
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await withTimeout(10, "gathering") { try await offerer.awaitIceGatheringComplete() }
        try await answerer.setRemoteDescription(try #require(await offerer.localDescription))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await withTimeout(10, "gathering") { try await answerer.awaitIceGatheringComplete() }
        try await offerer.setRemoteDescription(try #require(await answerer.localDescription))
        try await withTimeout(15, "connected") {
            for await state in offerer.connectionStateUpdates where state == .connected { return }
        }
    }

    static func remoteTracks(_ pc: PeerConnection, count: Int) -> Task<[RemoteTrack], Never> {
        Task {
            var found: [RemoteTrack] = []
            for await event in pc.trackEvents {
                if case .add(let t) = event { found.append(t) }
                if found.count == count { break }
            }
            return found.sorted { $0.kind == .video && $1.kind != .video }
        }
    }

    /// The forwarder: one router behind a lock, shared by the packet pumps and the key-frame
    /// request readers; what the router asks for is done here.
    final class Forwarder: Sendable {
        let router: NIOLockedValueBox<SFURouter>
        let legs = NIOLockedValueBox<[SFUSubscriptionID: LocalMediaTrack]>([:])
        let publishers: [SFUTrackID: RemoteTrack]
        let keyFrameRequestsToPublisher = NIOLockedValueBox(0)

        init(router: SFURouter, publishers: [SFUTrackID: RemoteTrack]) {
            self.router = NIOLockedValueBox(router)
            self.publishers = publishers
        }

        /// Subscribes a subscriber's two leg tracks (video, audio) and feeds its key-frame requests in.
        func subscribe(video: (SFUTrackID, LocalMediaTrack), audio: (SFUTrackID, LocalMediaTrack), firstSequenceNumber: UInt16) throws -> Task<Void, Never> {
            var ids: [SFUSubscriptionID] = []
            try run { r in
                let now = NIODeadline.now()
                ids.append(try r.subscribe(to: SFUSource(track: video.0), ssrc: 0, payloadType: 96,
                                           initialSequenceNumber: firstSequenceNumber, initialTimestamp: 77, now: now))
                ids.append(try r.subscribe(to: SFUSource(track: audio.0), ssrc: 0, payloadType: 111, now: now))
            }
            legs.withLockedValue { $0[ids[0]] = video.1; $0[ids[1]] = audio.1 }
            let id = ids[0]
            return Task {
                for await _ in video.1.keyFrameRequests { self.run { $0.handleKeyFrameRequest(from: id, now: .now()) } }
            }
        }

        func run(_ body: (inout SFURouter) throws -> Void) rethrows {
            let outputs: [SFURouterOutput] = try router.withLockedValue { r in
                try body(&r)
                let now = NIODeadline.now()
                if let d = r.nextDeadline, d <= now { r.handleTimeout(now: now) }
                var out: [SFURouterOutput] = []
                while let o = r.poll() { out.append(o) }
                return out
            }
            let legs = self.legs.withLockedValue { $0 }
            for output in outputs {
                switch output {
                case .forward(let leg, let packet):
                    legs[leg]?.writeRTP(packet)
                case .requestKeyFrame(let source):
                    keyFrameRequestsToPublisher.withLockedValue { $0 += 1 }
                    if let track = publishers[source.track] { Task { await track.requestKeyFrame() } }
                case .retransmit, .requestRetransmission:
                    break  // the legs' send streams cache what they sent; loopback loses nothing
                }
            }
        }
    }

    @Test func aSubscriberAndALateJoinerReceiveThePublishersFramesThroughTheRouter() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        // Publisher → the SFU's connection for it.
        let publisher = try await client.createPeerConnection()
        let fromPublisher = try await client.createPeerConnection()
        let video = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let audio = try await client.createAudioTrack(source: .frames(codec: .opus))
        _ = try await publisher.addTrack(video, streamIDs: ["pub"])
        _ = try await publisher.addTrack(audio, streamIDs: ["pub"])
        let published = Self.remoteTracks(fromPublisher, count: 2)
        try await Self.negotiate(publisher, fromPublisher)
        let publishedTracks = try await withTimeout(15, "published tracks") { await published.value }
        var connections: [PeerConnection] = [publisher, fromPublisher]

        // The SFU offers each subscriber the publisher's tracks, fed with RTP.
        var legTracks: [(video: LocalMediaTrack, audio: LocalMediaTrack)] = []
        var subscriberTracks: [[RemoteTrack]] = []
        for i in 0..<2 {
            let toSubscriber = try await client.createPeerConnection()
            let subscriber = try await client.createPeerConnection()
            connections += [toSubscriber, subscriber]
            let legVideo = try await client.createVideoTrack(source: .rtp(codec: .vp8))
            let legAudio = try await client.createAudioTrack(source: .rtp(codec: .opus))
            #expect(legVideo.carriesRTP && !video.carriesRTP)
            _ = try await toSubscriber.addTrack(legVideo, streamIDs: ["pub"])
            _ = try await toSubscriber.addTrack(legAudio, streamIDs: ["pub"])
            let arriving = Self.remoteTracks(subscriber, count: 2)
            try await Self.negotiate(toSubscriber, subscriber)
            subscriberTracks.append(try await withTimeout(15, "subscriber \(i)'s tracks") { await arriving.value })
            legTracks.append((legVideo, legAudio))
        }

        // The router: one track per published track, one leg per subscriber and track.
        var router = SFURouter(configuration: {
            var c = SFURouterConfiguration()
            c.legCacheCapacity = 0  // each leg's RTCSession send stream caches what it sends
            return c
        }())
        let videoID = try router.publish(codec: .vp8)
        let audioID = try router.publish(codec: .opus)
        let forwarder = Forwarder(router: router, publishers: [videoID: publishedTracks[0], audioID: publishedTracks[1]])
        var pumps: [Task<Void, Never>] = []
        pumps.append(try forwarder.subscribe(video: (videoID, legTracks[0].video), audio: (audioID, legTracks[0].audio),
                                             firstSequenceNumber: 1_000))
        // Packets in: each published track's raw RTP into the router.
        for (track, id) in [(publishedTracks[0], videoID), (publishedTracks[1], audioID)] {
            let packets = try await track.rtpPackets()
            pumps.append(Task {
                for await packet in packets { forwarder.run { $0.handleRTP(packet, from: SFUSource(track: id), now: .now()) } }
            })
        }
        // What each subscriber's tracks deliver: [subscriber][video, audio] → frame indexes.
        let received = NIOLockedValueBox([[[Int]]](repeating: [[], []], count: 2))
        for (i, tracks) in subscriberTracks.enumerated() {
            for (k, track) in tracks.enumerated() {
                pumps.append(Task {
                    do {
                        for try await frame in track { received.withLockedValue { $0[i][k].append(Self.index(of: frame)) } }
                    } catch {}
                })
            }
        }
        // The publisher encodes a key frame first and then only when asked (the asks of addTrack
        // and negotiation come before playing and are forgotten).
        let keyFrameWanted = NIOLockedValueBox(false)
        pumps.append(Task {
            for await _ in video.keyFrameRequests { keyFrameWanted.withLockedValue { $0 = true } }
        })
        try await Task.sleep(for: .milliseconds(300))  // negotiation settled on every side
        keyFrameWanted.withLockedValue { $0 = false }

        // 3 s of 25 fps video and 50 fps audio; the second subscriber joins after 1 s (frame 25).
        let start = NIODeadline.now()
        var keyFrames: [Int] = []
        var requestsBeforeJoin = 0
        for tick in 0..<150 {
            let at = start + .milliseconds(Int64(tick) * 20)
            let wait = at - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if tick == 50 {
                requestsBeforeJoin = forwarder.keyFrameRequestsToPublisher.withLockedValue { $0 }
                pumps.append(try forwarder.subscribe(video: (videoID, legTracks[1].video), audio: (audioID, legTracks[1].audio),
                                                     firstSequenceNumber: 30_000))
            }
            audio.write(Self.frame(tick, key: true, size: 80), isKeyFrame: true, captureTime: at)
            if tick % 2 == 0 {
                let v = tick / 2
                let key = v == 0 || keyFrameWanted.withLockedValue { wanted in defer { wanted = false }; return wanted }
                if key { keyFrames.append(v) }
                video.write(Self.frame(v, key: key, size: key ? 12_000 : 3_000), isKeyFrame: key, captureTime: at)
            }
        }
        try? await waitUntil(5, "the last frames at the subscribers") {
            received.withLockedValue { r in r.allSatisfy { $0[0].last == 74 && $0[1].last == 149 } }
        }
        let results = received.withLockedValue { $0 }
        for pump in pumps { pump.cancel() }
        let statistics = forwarder.router.withLockedValue { $0.statistics }
        // The first subscriber has everything from the first key frame on.
        #expect(results[0][0] == Array(0...74), "subscriber 0's video: \(results[0][0]), \(statistics)")
        #expect(results[0][1] == Array(0...149), "subscriber 0's audio: \(results[0][1].count) frames")
        // The late joiner starts at the key frame its joining asked for, then has every frame.
        let joinKey = try #require(keyFrames.first { $0 >= 25 }, "a key frame after the join: \(keyFrames), \(statistics)")
        #expect(joinKey < 55, "the key frame came within a second of the join: \(keyFrames)")
        #expect(results[1][0] == Array(joinKey...74), "subscriber 1's video: \(results[1][0])")
        #expect(results[1][1].count >= 95 && results[1][1] == Array((results[1][1].first ?? 0)...149), "subscriber 1's audio")
        #expect(forwarder.keyFrameRequestsToPublisher.withLockedValue { $0 } > requestsBeforeJoin)
        #expect(statistics.dropped(.waitingForKeyFrame) > 0, "the joiner waited for the key frame")
        for pc in connections { await pc.close() }
    }
}
