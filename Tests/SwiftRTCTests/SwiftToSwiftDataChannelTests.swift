import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Two SwiftRTC peer connections in one process, over real UDP sockets on loopback.
@Suite(.serialized) struct SwiftToSwiftDataChannelTests {
    /// Connects `offerer` to `answerer` without trickle: each side sends its complete description.
    static func connect(_ offerer: PeerConnection, _ answerer: PeerConnection) async throws {
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await withTimeout(10, "offerer gathering") { try await offerer.awaitIceGatheringComplete() }
        try await answerer.setRemoteDescription(try #require(await offerer.localDescription))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await withTimeout(10, "answerer gathering") { try await answerer.awaitIceGatheringComplete() }
        try await offerer.setRemoteDescription(try #require(await answerer.localDescription))
    }

    static func firstOpen(_ pc: PeerConnection) async throws -> DataChannel {
        try await withTimeout(15, "a data channel to open") {
            for await event in pc.dataChannelEvents {
                if case .open(let channel) = event { return channel }
            }
            throw TestTimeout(what: "dataChannelEvents ended")
        }
    }

    /// Waits for the channel labelled `label` to open, skipping other channels' events.
    static func opened(_ pc: PeerConnection, label: String) async throws -> DataChannel {
        try await withTimeout(15, "data channel \(label) to open") {
            for await event in pc.dataChannelEvents {
                if case .open(let channel) = event, channel.label == label { return channel }
            }
            throw TestTimeout(what: "dataChannelEvents ended")
        }
    }

    @Test func channelOpensAndMessagesComeBackIntact() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("chat")
        try await Self.connect(a, b)
        let opened = try await Self.firstOpen(a)
        #expect(opened === local)
        let remote = try await Self.firstOpen(b)
        #expect(remote.label == "chat")
        #expect(remote.id == local.id && local.id.map { $0 % 2 } == 1)  // the answerer is the DTLS client: the offerer (server) uses odd ids

        try await local.send("hello")
        #expect(try await withTimeout(5, "text") { try await remote.receiveText() } == "hello")
        try await remote.send([1, 2, 3])
        #expect(try await withTimeout(5, "binary") { try await local.receiveBinary() } == [1, 2, 3])
        try await local.send("")
        #expect(try await withTimeout(5, "empty text") { try await remote.receive() } == .text(""))
        try await local.send([UInt8]())
        #expect(try await withTimeout(5, "empty binary") { try await remote.receive() } == .binary([]))

        #expect(await a.connectionState == .connected)
        #expect(await b.connectionState == .connected)
        await a.close()
        await b.close()
        #expect(await a.connectionState == .closed)
    }
}
