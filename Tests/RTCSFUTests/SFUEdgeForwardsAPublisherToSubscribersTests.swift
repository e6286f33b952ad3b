import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCSFU
import RTCTestSupport
import SwiftRTC
import Testing

/// The server's own data path: a SwiftRTC publisher and two SwiftRTC subscribers, each with one
/// `RTCSession` of an `SFUEdge` on one socket; the publisher's tracks are published from its
/// session and sent on transceivers the server added to the subscribers' sessions (the server
/// offers), forwarded by the edge's router without leaving the event loop. The subscribers'
/// frames are the publisher's, all of them, in order.
@Suite(.heavyPeers) struct SFUEdgeForwardsAPublisherToSubscribersTests {
    @Test func aPublishersTracksReachTwoSubscribersThroughTheEdge() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let seen = NIOLockedValueBox<[(SFUSessionKey, SessionEvent)]>([])
        let edge = SFUEdge { event in seen.withLockedValue { $0.append((event.session, event.event)) } }
        _ = try #require(await edge.bind(TransportAddress(ip: IPAddress("10.99.0.1")!, port: 0)))
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        let client = WebRTCClient(engine: .native)

        // The publisher offers its two tracks to its session.
        let publisher = try await client.createPeerConnection()
        let video = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let audio = try await client.createAudioTrack(source: .frames(codec: .opus))
        _ = try await publisher.addTrack(video, streamIDs: ["pub"])
        _ = try await publisher.addTrack(audio, streamIDs: ["pub"])
        try await publisher.setLocalDescription(try await publisher.createOffer())
        try await withTimeout(10, "gathering") { try await publisher.awaitIceGatheringComplete() }
        let offer = try #require(await publisher.localDescription)
        let publisherKey = await edge.addSession(RTCSession(certificate: certificate))
        let answer = try await edge.withSession(publisherKey) { s throws(SessionError) -> SessionDescription? in
            try s.setRemoteDescription(offer, now: .now())
            try s.setLocalDescription(try s.createAnswer(), now: .now())
            return s.localDescription
        }
        try await publisher.setRemoteDescription(try #require(answer ?? nil))
        let added = seen.withLockedValue { events in
            events.compactMap { key, event -> SessionRemoteTrack? in
                if key == publisherKey, case .media(.trackAdded(let track)) = event { return track }
                return nil
            }
        }
        #expect(added.count == 2)
        var tracks: [RTPCodec.Kind: SFUTrackID] = [:]
        for track in added {
            tracks[track.kind] = try await edge.publish(SFUTransceiver(session: publisherKey, handle: track.handle),
                                                        codec: track.kind == .video ? .vp8 : .opus)
        }

        // Each subscriber: the server adds a sending transceiver per track and offers.
        var subscribers: [PeerConnection] = []
        var received: [Task<[RTPCodec.Kind: [Int]], Never>] = []
        for _ in 0..<2 {
            let key = await edge.addSession(RTCSession(certificate: certificate))
            let made = try await edge.withSession(key) { s throws(SessionError) -> ([Int], SessionDescription?) in
                let handles = [
                    try s.addTransceiver(kind: .video, direction: .sendonly,
                                         sender: SessionMediaSender(trackID: "pub-video", streamIDs: ["pub"], codec: .vp8), now: .now()),
                    try s.addTransceiver(kind: .audio, direction: .sendonly,
                                         sender: SessionMediaSender(trackID: "pub-audio", streamIDs: ["pub"], codec: .opus), now: .now()),
                ]
                try s.setLocalDescription(try s.createOffer(), now: .now())
                return (handles, s.localDescription)
            }
            let (handles, serverOffer) = try #require(made)
            let subscriber = try await client.createPeerConnection()
            subscribers.append(subscriber)
            let arriving = Task { () -> [RemoteTrack] in
                var found: [RemoteTrack] = []
                for await event in subscriber.trackEvents {
                    if case .add(let t) = event { found.append(t) }
                    if found.count == 2 { break }
                }
                return found
            }
            try await subscriber.setRemoteDescription(try #require(serverOffer))
            try await subscriber.setLocalDescription(try await subscriber.createAnswer())
            try await withTimeout(10, "gathering") { try await subscriber.awaitIceGatheringComplete() }
            let subscriberAnswer = try #require(await subscriber.localDescription)
            _ = try await edge.withSession(key) { s throws(SessionError) in try s.setRemoteDescription(subscriberAnswer, now: .now()) }
            try await edge.subscribe(SFUTransceiver(session: key, handle: handles[0]), to: try #require(tracks[.video]))
            try await edge.subscribe(SFUTransceiver(session: key, handle: handles[1]), to: try #require(tracks[.audio]))
            let remote = try await withTimeout(15, "the subscriber's tracks") { await arriving.value }
            received.append(Task {
                await withTaskGroup(of: (RTPCodec.Kind, [Int]).self) { group in
                    for track in remote {
                        group.addTask {
                            var indexes: [Int] = []
                            do {
                                for try await frame in track {
                                    indexes.append(SFUForwardsBetweenSwiftPeersTests.index(of: frame))
                                    if indexes.last == (track.kind == .video ? 74 : 149) { break }
                                }
                            } catch {}
                            return (track.kind, indexes)
                        }
                    }
                    var out: [RTPCodec.Kind: [Int]] = [:]
                    for await (kind, indexes) in group { out[kind] = indexes }
                    return out
                }
            })
        }
        let everyone = [publisher] + subscribers
        try await withTimeout(15, "everyone connected") {
            for pc in everyone {
                for await state in pc.connectionStateUpdates where state == .connected { break }
            }
        }
        try await Task.sleep(for: .milliseconds(300))  // negotiation settled on every side

        // 3 s of 25 fps video (a key frame first and every second) and 50 fps audio.
        let start = NIODeadline.now()
        for tick in 0..<150 {
            let at = start + .milliseconds(Int64(tick) * 20)
            let wait = at - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            audio.write(SFUForwardsBetweenSwiftPeersTests.frame(tick, key: true, size: 80), isKeyFrame: true, captureTime: at)
            if tick % 2 == 0 {
                let v = tick / 2
                video.write(SFUForwardsBetweenSwiftPeersTests.frame(v, key: v % 25 == 0, size: v % 25 == 0 ? 12_000 : 3_000),
                            isKeyFrame: v % 25 == 0, captureTime: at)
            }
        }
        for (i, task) in received.enumerated() {
            let frames = try await withTimeout(10, "subscriber \(i)'s frames") { await task.value }
            #expect(frames[.video] == Array(0...74), "subscriber \(i)'s video")
            #expect(frames[.audio] == Array(0...149), "subscriber \(i)'s audio")
        }
        let statistics = await edge.routerStatistics
        #expect(statistics.packetsReceived > 0 && statistics.packetsForwarded >= 2 * statistics.packetsReceived - 10,
                "\(statistics)")
        for pc in everyone { await pc.close() }
        await edge.close()
    }
}
