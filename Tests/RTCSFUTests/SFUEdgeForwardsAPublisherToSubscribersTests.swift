import NIOConcurrencyHelpers
import NIOCore
import RTCCore
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
        let harness = try await SFUEdgeHarness()
        let edge = harness.edge
        let video = try await harness.client.createVideoTrack(source: .frames(codec: .vp8))
        let audio = try await harness.client.createAudioTrack(source: .frames(codec: .opus))
        let (publisher, tracks) = try await harness.connectPublisher([video, audio])

        // Each subscriber: the server adds a sending transceiver per track and offers.
        var subscribers: [PeerConnection] = []
        var received: [Task<[RTPCodec.Kind: [Int]], Never>] = []
        for _ in 0..<2 {
            let (subscriber, transceivers, remote) = try await harness.connectSubscriber([.vp8, .opus])
            subscribers.append(subscriber)
            try await edge.subscribe(transceivers[0], to: try #require(tracks[.video]))
            try await edge.subscribe(transceivers[1], to: try #require(tracks[.audio]))
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
        try await SFUEdgeHarness.connected(everyone)

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
