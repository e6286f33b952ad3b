import Foundation
import NIOCore
import NIOPosix
import RTCCore
import RTCSession
import RTCSFU
import RTCTestSupport
import SwiftRTC
import Testing

/// Bad input at the edge: while a SwiftRTC publisher's video goes through the edge to a
/// subscriber, another socket sprays the edge's port with garbage — random bytes, RTP-looking
/// headers with unknown SSRCs, STUN-looking headers without a known ufrag. Every datagram is
/// dropped and counted by reason, no session is created or disturbed, and the subscriber keeps
/// receiving.
@Suite(.heavyPeers) struct SFUEdgeShrugsOffGarbageTests {
    @Test func garbageIsCountedAndForwardingGoesOn() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let harness = try await SFUEdgeHarness()
        let edge = harness.edge
        let video = try await harness.client.createVideoTrack(source: .frames(codec: .vp8))
        let (publisher, tracks) = try await harness.connectPublisher([video])
        let (subscriber, transceivers, remote) = try await harness.connectSubscriber([.vp8])
        try await edge.subscribe(transceivers[0], to: try #require(tracks[.video]))
        try await SFUEdgeHarness.connected([publisher, subscriber])
        let track = try #require(remote.first)
        let writing = Task {
            var n = 0
            while !Task.isCancelled {
                video.write(SFUForwardsBetweenSwiftPeersTests.frame(n, key: n % 10 == 0, size: 1_500), isKeyFrame: n % 10 == 0, captureTime: .now())
                n += 1
                try? await Task.sleep(for: .milliseconds(30))
            }
        }
        let frames = Task { () -> Int in
            var count = 0
            do { for try await _ in track { count += 1; if count == 1_000_000 { break } } } catch {}
            return count
        }
        try await withTimeout(10, "the first frames") { while track.framesReceived < 5 { try await Task.sleep(for: .milliseconds(20)) } }

        // The spray: 3,000 datagrams from a socket no session knows.
        let target = try #require(await edge.localAddresses.first)
        let sprayer = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "10.99.0.1", port: 0).get()
        let destination = try SocketAddress(ipAddress: target.ip.description, port: Int(target.port))
        var rng = SeededRandom(seed: 15)
        let dropsBefore = await edge.drops.values.reduce(0, +)
        let framesBefore = track.framesReceived
        for i in 0..<3_000 {
            var bytes = (0..<Int.random(in: 1...1_200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            switch i % 3 {
            case 0: bytes[0] = 0x80; if bytes.count > 1 { bytes[1] = 96 }         // RTP-looking, unknown SSRC
            case 1: bytes[0] = 0x00; if bytes.count > 1 { bytes[1] = 0x01 }       // STUN-looking binding request
            default: break
            }
            try await sprayer.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: bytes)))
            // In bursts of 100, each counted before the next: 3,000 at once can outgrow the
            // socket's 4 MiB receive buffer (kernel memory per datagram is far more than its
            // bytes) when the edge's loop is slow under load, and what the kernel drops is
            // never counted.
            if i % 100 == 99 {
                try await withTimeout(10, "garbage datagrams up to #\(i + 1) counted") {
                    while await edge.drops.values.reduce(0, +) - dropsBefore < i + 1 { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
        }
        try await withTimeout(10, "every garbage datagram counted") {
            while await edge.drops.values.reduce(0, +) - dropsBefore < 3_000 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let drops = await edge.drops
        #expect(drops.values.reduce(0, +) - dropsBefore == 3_000, "\(drops)")
        // Forwarding went on: more frames after the spray, and the router still forwards.
        try await withTimeout(10, "frames after the spray") {
            while track.framesReceived < framesBefore + 20 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(await edge.routerStatistics.dropped(.unknownSSRC) == 0, "garbage never reached the router")
        try await sprayer.close()
        writing.cancel()
        for pc in [publisher, subscriber] { await pc.close() }
        _ = await frames.value
        await edge.close()
    }
}
