import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// SwiftRTC against headless Chromium (libwebrtc, usrsctp/dcsctp, BoringSSL) over 127.0.0.1,
/// in both offer/answer roles.
@Suite(.serialized, .heavyPeers) struct ChromiumDataChannelInteropTests {
    static func startPeer(_ role: String) throws -> PeerProcess {
        try InteropEnvironment.requirePrivateNamespace()
        _ = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/chromium_peer.py").path
        return try PeerProcess("chromium", executable: python, arguments: ["-u", script, role])
    }

    @Test func swiftOffersChromiumAnswersAndEchoes() async throws {
        let peer = try Self.startPeer("answer")
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        let channel = try await pc.createDataChannel("chat")
        try await pc.setLocalDescription(try await pc.createOffer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
        try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer"))
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(opened === channel)
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"open\"") }
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 1000)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 64 << 10)
        await channel.close()
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"close\"") }
        await pc.close()
    }

    @Test func chromiumOffersSwiftAnswersAndEchoes() async throws {
        let peer = try Self.startPeer("offer")
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection(AiortcDataChannelInteropTests.slowEarlyINITResend)
        try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer"))
        try await pc.setLocalDescription(try await pc.createAnswer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
        let channel = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(channel.label == "chat")
        AiortcDataChannelInteropTests.expectEarlyINITTaken(pc, by: "Chromium (BoringSSL)")
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 1000)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 64 << 10)
        try await channel.send("close")
        let ended = try await withTimeout(15, "channel close") { () -> Bool in
            for try await _ in channel {}
            return true
        }
        #expect(ended)
        await pc.close()
    }
}
