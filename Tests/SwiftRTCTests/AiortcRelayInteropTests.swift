import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// SwiftRTC against aiortc with both sides relay-only through one coturn (RFC 8656 over UDP):
/// every path goes through the relay, so both stacks' TURN clients (permissions, channels or
/// indications) have to interoperate with each other's relayed addresses.
@Suite(.serialized, .heavyPeers) struct AiortcRelayInteropTests {
    @Test func relayOnlySwiftOffersRelayOnlyAiortcAnswersAndEchoes() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, server) = try SwiftToSwiftRelayTests.coturn(.longTerm)
        defer { coturn.stop() }
        let url = try #require(server.urls.first)
        let peer = try AiortcDataChannelInteropTests.startPeer("answer", options: ["--turn", url, "alice", "wonderland", "--relay"])
        defer { peer.terminate() }
        let client = WebRTCClient(engine: .native)
        let pc = try await SwiftToSwiftRelayTests.relayOnly(client, server)
        let channel = try await pc.createDataChannel("chat")
        try await pc.setLocalDescription(try await pc.createOffer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        #expect(try await SwiftToSwiftRelayTests.candidates(pc).allSatisfy { $0.contains(" typ relay ") })
        try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
        let answer = try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer")
        let theirs = answer.sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }
        #expect(!theirs.isEmpty && theirs.allSatisfy { $0.contains(" typ relay ") }, "aiortc relay only: \(theirs)")
        try await pc.setRemoteDescription(answer)
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(opened === channel)
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 200)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 16 << 10)
        let stats = await pc.stats()
        #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay",
                "selected \(stats.selectedCandidatePair ?? "none")")
        await pc.close()
    }

    @Test func relayOnlyAiortcOffersRelayOnlySwiftAnswersAndEchoes() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, server) = try SwiftToSwiftRelayTests.coturn(.rest)
        defer { coturn.stop() }
        let url = try #require(server.urls.first)
        let peer = try AiortcDataChannelInteropTests.startPeer("offer", options: ["--turn", url, try #require(server.username),
                                                                                  try #require(server.credential), "--relay"])
        defer { peer.terminate() }
        let client = WebRTCClient(engine: .native)
        let pc = try await SwiftToSwiftRelayTests.relayOnly(client, server)
        let offer = try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer")
        #expect(offer.sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }.allSatisfy { $0.contains(" typ relay ") })
        try await pc.setRemoteDescription(offer)
        try await pc.setLocalDescription(try await pc.createAnswer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        let ours = try await SwiftToSwiftRelayTests.candidates(pc)
        #expect(!ours.isEmpty && ours.allSatisfy { $0.contains(" typ relay ") })
        try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
        let channel = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(channel.label == "chat")
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 200)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 16 << 10)
        let stats = await pc.stats()
        #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay",
                "selected \(stats.selectedCandidatePair ?? "none")")
        await pc.close()
    }
}
