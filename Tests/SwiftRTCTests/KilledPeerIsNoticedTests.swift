import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// A peer killed with SIGKILL sends nothing more — no DTLS close_notify, no SCTP ABORT. The
/// connection must notice by itself (RFC 7675 consent): `disconnected` after about 5 s of
/// silence, `failed` after about 30 s, and then its channels close with a reason that a
/// waiting `receive()` throws — never a silent hang. aiortc is the peer (a real process).
@Suite(.serialized) struct KilledPeerIsNoticedTests {
    @Test func aKilledPeerIsDisconnectedThenFailedAndItsChannelsCloseWithAReason() async throws {
        let peer = try AiortcDataChannelInteropTests.startPeer("answer")
        defer { peer.terminate() }
        let (pc, channel, _) = try await AiortcDataChannelInteropTests.offerChat(to: peer)
        try await channel.send("ping")
        #expect(try await withTimeout(10, "echo") { try await channel.receiveText() } == "ping")

        // A receiver waits; the peer dies.
        let waiting = Task { try await channel.receive() }
        peer.killAbruptly()
        let killed = ContinuousClock.now
        try await waitUntil(12, "disconnected") { await pc.iceConnectionState == .disconnected }
        let disconnectedAfter = ContinuousClock.now - killed
        #expect(disconnectedAfter >= .seconds(2) && disconnectedAfter <= .seconds(8), "disconnected after \(disconnectedAfter)")
        #expect(await pc.connectionState == .disconnected)
        #expect(channel.state == .open, "a disconnected connection may come back: channels stay open")

        try await waitUntil(40, "failed") { await pc.connectionState == .failed }
        let failedAfter = ContinuousClock.now - killed
        #expect(failedAfter >= .seconds(25) && failedAfter <= .seconds(36), "failed after \(failedAfter)")
        let reason = try #require(await pc.failureReason)
        #expect(reason.contains("consent"), "\(reason)")
        #expect(channel.state == .closed)
        #expect(channel.closeReason == reason)
        await #expect(throws: WebRTCError.dataChannelFailed(label: "chat", reason: reason)) { try await waiting.value }
        await #expect(throws: (any Error).self) { try await channel.send("too late") }
        await pc.close()
    }
}
