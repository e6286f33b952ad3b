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

        // 3 s at 25 fps each: Alice's frames 0…74 (key frames at 0, 25, 50), Bob's 1000…1074.
        // At frame 30 the subscriber is switched to Bob.
        let start = NIODeadline.now()
        var bobKeys: [Int] = []
        for v in 0..<75 {
            let at = start + .milliseconds(Int64(v) * 40)
            let wait = at - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if v == 30 { try await harness.edge.switchSource(of: leg, to: try #require(bobTracks[.video])) }
            alice.write(SFUForwardsBetweenSwiftPeersTests.frame(v, key: v % 25 == 0, size: v % 25 == 0 ? 8_000 : 2_500),
                        isKeyFrame: v % 25 == 0, captureTime: at)
            let bobKey = v == 0 || bobKeyWanted.withLockedValue { wanted in defer { wanted = false }; return wanted }
            if bobKey { bobKeys.append(1_000 + v) }
            bob.write(SFUForwardsBetweenSwiftPeersTests.frame(1_000 + v, key: bobKey, size: bobKey ? 8_000 : 2_500),
                      isKeyFrame: bobKey, captureTime: at)
        }
        try? await waitUntil(5, "Bob's last frame at the subscriber") { received.withLockedValue { $0.last?.index == 1_074 } }
        reader.cancel()
        bobRequests.cancel()
        let frames = received.withLockedValue { $0 }
        let switchKey = try #require(bobKeys.first { $0 >= 1_030 }, "Bob was asked for a key frame at the switch: \(bobKeys)")
        #expect(switchKey < 1_045)
        let aliceRun = frames.prefix { $0.index < 1_000 }.map(\.index)
        let bobRun = frames.dropFirst(aliceRun.count).map(\.index)
        // Alice's frames run until Bob's key frame reaches the router; under load that can overtake
        // her last frames (then dropped: Bob's stream has begun).
        #expect(aliceRun == Array(0..<aliceRun.count) && aliceRun.count >= 20, "Alice's frames until the switch: \(aliceRun)")
        #expect(bobRun == Array(switchKey...1_074), "Bob's frames from his key frame: \(bobRun)")
        #expect(frames.dropFirst(aliceRun.count).first?.key == true)
        let stats = try #require(await remote[0].stats())
        // No packet lost: the numbering is gapless. At most Alice's frame in flight at the switch
        // can be cut short (the router switches at Bob's key frame, not at Alice's frame end).
        #expect(stats.packetsLost == 0 && stats.framesDropped <= 1, "\(stats)")
        for pc in [alicePC, bobPC, subscriberPC] { await pc.close() }
        await harness.edge.close()
    }
}
