import NIOConcurrencyHelpers
import NIOCore
import RTCSFU
import RTCTestSupport
import SwiftRTC
import Testing

/// An active-speaker switch at the server: a subscriber receiving publisher A's video is
/// switched to publisher B's. Its one remote track goes on — A's frames up to B's key frame,
/// then B's — with no packet lost in its receive statistics, because the router kept the
/// sequence numbers gapless and the timestamps continuous.
@Suite(.heavyPeers) struct SFUEdgeSwitchesASubscriberBetweenPublishersTests {
    @Test func aSubscriberSwitchedToAnotherPublisherSeesOneUnbrokenStream() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let harness = try await SFUEdgeHarness()
        let client = harness.client
        let alice = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let bob = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let (alicePC, aliceTracks) = try await harness.connectPublisher([alice])
        let (bobPC, bobTracks) = try await harness.connectPublisher([bob])
        let (subscriberPC, transceivers, remote) = try await harness.connectSubscriber([.vp8])
        let leg = try await harness.edge.subscribe(transceivers[0], to: try #require(aliceTracks[.video]))
        try await SFUEdgeHarness.connected([alicePC, bobPC, subscriberPC])

        let received = NIOLockedValueBox<[(index: Int, key: Bool)]>([])
        let reader = Task {
            do {
                for try await frame in remote[0] {
                    received.withLockedValue { $0.append((SFUForwardsBetweenSwiftPeersTests.index(of: frame), frame.frame.isKeyFrame)) }
                }
            } catch {}
        }
        // Bob encodes a key frame when asked (the asks of connecting are forgotten).
        let bobKeyWanted = NIOLockedValueBox(false)
        let bobRequests = Task { for await _ in bob.keyFrameRequests { bobKeyWanted.withLockedValue { $0 = true } } }
        try await Task.sleep(for: .milliseconds(100))
        bobKeyWanted.withLockedValue { $0 = false }

        // 25 fps each: Alice's frames v = 0, 1, … (key frames every 25), Bob's 1000 + v. Once the
        // subscriber has 20 of Alice's frames, it is switched to Bob; the publishers go on until
        // Bob has answered the switch's key-frame request and sent 15 frames more. (Paced by
        // events, not by a fixed schedule: a loaded machine delays the connection and the
        // request, which is no failure.)
        let start = NIODeadline.now()
        var bobKeys: [Int] = []
        var switchedAt: Int?
        var v = 0
        while v < 500 {
            let at = start + .milliseconds(Int64(v) * 40)
            let wait = at - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if switchedAt == nil, received.withLockedValue({ $0.count { $0.index < 1_000 } }) >= 20 {
                try await harness.edge.switchSource(of: leg, to: try #require(bobTracks[.video]))
                switchedAt = v
            }
            alice.write(SFUForwardsBetweenSwiftPeersTests.frame(v, key: v % 25 == 0, size: v % 25 == 0 ? 8_000 : 2_500),
                        isKeyFrame: v % 25 == 0, captureTime: at)
            let bobKey = v == 0 || bobKeyWanted.withLockedValue { wanted in defer { wanted = false }; return wanted }
            if bobKey { bobKeys.append(1_000 + v) }
            bob.write(SFUForwardsBetweenSwiftPeersTests.frame(1_000 + v, key: bobKey, size: bobKey ? 8_000 : 2_500),
                      isKeyFrame: bobKey, captureTime: at)
            v += 1
            if let switchedAt, let key = bobKeys.last, key >= 1_000 + switchedAt, v >= key - 1_000 + 15 { break }
        }
        let lastBob = 1_000 + v - 1
        try? await waitUntil(10, "Bob's last frame at the subscriber") { received.withLockedValue { $0.last?.index == lastBob } }
        reader.cancel()
        bobRequests.cancel()
        let frames = received.withLockedValue { $0 }
        let switched = try #require(switchedAt, "the subscriber never had 20 of Alice's frames: \(frames.map(\.index))")
        let switchKey = try #require(bobKeys.first { $0 >= 1_000 + switched }, "Bob was asked for a key frame at the switch: \(bobKeys)")
        let aliceRun = frames.prefix { $0.index < 1_000 }.map(\.index)
        let bobRun = frames.dropFirst(aliceRun.count).map(\.index)
        // Alice's frames run until Bob's key frame reaches the router; under load that can overtake
        // her last frames (then dropped: Bob's stream has begun).
        #expect(aliceRun == Array(0..<aliceRun.count) && aliceRun.count >= 20, "Alice's frames until the switch: \(aliceRun)")
        #expect(bobRun == Array(switchKey...lastBob), "Bob's frames from his key frame: \(bobRun)")
        #expect(frames.dropFirst(aliceRun.count).first?.key == true)
        let stats = try #require(await remote[0].stats())
        // No packet lost: the numbering is gapless. At most Alice's frame in flight at the switch
        // can be cut short (the router switches at Bob's key frame, not at Alice's frame end).
        #expect(stats.packetsLost == 0 && stats.framesDropped <= 1, "\(stats)")
        for pc in [alicePC, bobPC, subscriberPC] { await pc.close() }
        await harness.edge.close()
    }
}
