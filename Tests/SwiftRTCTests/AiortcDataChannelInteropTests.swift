import Foundation
import RTCTestSupport
@testable import SwiftRTC
import Testing

/// SwiftRTC against aiortc (an independent WebRTC stack in Python) over 127.0.0.1, in both
/// offer/answer roles: ICE, DTLS, SCTP and DCEP all have to agree for the channel to open.
@Suite(.serialized) struct AiortcDataChannelInteropTests {
    struct Described: Decodable { var type: String; var sdp: String }

    /// Starts `aiortc_peer.py role`; `options` are its further switches (`--turn URL USER PASS`, `--relay`).
    static func startPeer(_ role: String, options: [String] = []) throws -> PeerProcess {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/aiortc_peer.py").path
        return try PeerProcess("aiortc", executable: python, arguments: ["-u", script, role] + options)
    }

    static func readDescription(_ peer: PeerProcess, type: String) async throws -> SessionDescription {
        let line = try await peer.waitForLine(timeout: 40) { $0.hasPrefix("{\"type\": \"\(type)\"") }
        let d = try JSONDecoder().decode(Described.self, from: Data(line.utf8))
        return SessionDescription(type: type == "offer" ? .offer : .answer, sdp: d.sdp)
    }

    static func write(_ peer: PeerProcess, _ description: SessionDescription) throws {
        let data = try JSONEncoder().encode(["type": description.type.rawValue, "sdp": description.sdp])
        peer.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    /// Echoes on `channel`: texts and binaries come back intact and in order.
    static func exerciseEcho(_ channel: DataChannel, count: Int) async throws {
        for i in 0..<count {
            if i % 2 == 0 {
                try await channel.send("message \(i) ✓")
            } else {
                try await channel.send((0..<(i % 300 + 1)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) })
            }
        }
        for i in 0..<count {
            let message = try await withTimeout(10, "echo \(i)") { try await channel.receive() }
            if i % 2 == 0 {
                #expect(message == .text("message \(i) ✓"))
            } else {
                #expect(message == .binary((0..<(i % 300 + 1)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }))
            }
        }
        let big = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await channel.send(big)
        #expect(try await withTimeout(20, "256 KiB echo") { try await channel.receiveBinary() } == big)
    }

    /// Offers a "chat" channel to an answering aiortc `peer` (non-trickle: our offer carries
    /// every candidate) and waits for a channel to open; returns the connection, the channel we
    /// created and the first one that opened.
    static func offerChat(to peer: PeerProcess) async throws -> (pc: PeerConnection, created: DataChannel, opened: DataChannel) {
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection()
        let channel = try await pc.createDataChannel("chat")
        try await pc.setLocalDescription(try await pc.createOffer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        try write(peer, try #require(await pc.localDescription))
        try await pc.setRemoteDescription(try await readDescription(peer, type: "answer"))
        return (pc, channel, try await SwiftToSwiftDataChannelTests.firstOpen(pc))
    }

    @Test func swiftOffersAiortcAnswersAndEchoes() async throws {
        let peer = try Self.startPeer("answer")
        defer { peer.terminate() }
        let (pc, channel, opened) = try await Self.offerChat(to: peer)
        #expect(opened === channel)
        try await peer.waitForLine { $0.contains("\"event\": \"open\"") }
        try await Self.exerciseEcho(channel, count: 1000)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 16 << 10)

        // Closing on our side is seen by aiortc.
        await channel.close()
        try await peer.waitForLine { $0.contains("\"event\": \"close\"") }
        await pc.close()
    }

    /// The INIT sent with our DTLS Finished goes again only a second after the handshake if
    /// unanswered (2 ms by default): a slow peer's INIT-ACK, a few ms behind its Finished,
    /// then still shows that it took the first one.
    static let slowEarlyINITResend: @Sendable (inout ConnectionConfiguration) -> Void = { $0.earlyINITResendDelay = .seconds(1) }

    /// We answered, so we are the DTLS client: SCTP's INIT went behind our Finished (False
    /// Start, RFC 7918), and the peer's DTLS server took it (it did not have to go again).
    /// The connection must be made with ``slowEarlyINITResend``.
    static func expectEarlyINITTaken(_ pc: PeerConnection, by peer: String) {
        let early = pc.session.withCore { $0.earlySCTPStart }
        #expect(early.started, "SCTP did not start before the DTLS handshake completed")
        #expect(early.initResends == 0, "\(peer) dropped the INIT sent behind our DTLS Finished")
    }

    @Test func aiortcOffersSwiftAnswersAndEchoes() async throws {
        let peer = try Self.startPeer("offer")
        defer { peer.terminate() }
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection(Self.slowEarlyINITResend)
        try await pc.setRemoteDescription(try await Self.readDescription(peer, type: "offer"))
        try await pc.setLocalDescription(try await pc.createAnswer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        try Self.write(peer, try #require(await pc.localDescription))
        let channel = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(channel.label == "chat")
        Self.expectEarlyINITTaken(pc, by: "aiortc (OpenSSL)")
        try await Self.exerciseEcho(channel, count: 1000)
        try await BulkTransfer.run(on: pc, total: 50 << 20, chunk: 16 << 10)

        // aiortc closing its channel is seen here: the message sequence ends.
        try await channel.send("close")
        let ended = try await withTimeout(10, "channel close") { () -> Bool in
            for try await _ in channel {}
            return true
        }
        #expect(ended)
        await pc.close()
    }
}
