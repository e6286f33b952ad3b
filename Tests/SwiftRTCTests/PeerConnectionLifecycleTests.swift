import SwiftRTC
import RTCTestSupport
import Testing

/// Creating, connecting and closing connections many times in one process leaves nothing
/// behind: every PeerConnection, DataChannel and socket handler is deinitialised (counted by
/// `LiveObjects`, which their `init`/`deinit` update).
@Suite(.serialized) struct PeerConnectionLifecycleTests {
    /// Waits (bounded) for NIO to finish tearing down closed sockets, then reads the counts.
    static func settledCounts(_ live: LiveObjects) async throws -> [LiveObjects.Kind: Int] {
        for _ in 0..<200 {
            if LiveObjects.Kind.allCases.allSatisfy({ live.count($0) == 0 }) { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        return Dictionary(uniqueKeysWithValues: LiveObjects.Kind.allCases.map { ($0, live.count($0)) })
    }

    @Test func twoHundredConnectCloseCyclesLeaveNothingAlive() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        for cycle in 0..<200 {
            let a = try await client.createPeerConnection()
            let b = try await client.createPeerConnection()
            let local = try await a.createDataChannel("cycle")
            try await SwiftToSwiftDataChannelTests.connect(a, b)
            _ = try await SwiftToSwiftDataChannelTests.opened(a, label: "cycle")
            let remote = try await SwiftToSwiftDataChannelTests.opened(b, label: "cycle")
            try await local.send("cycle \(cycle)")
            #expect(try await withTimeout(5, "message \(cycle)") { try await remote.receiveText() } == "cycle \(cycle)")
            // Alternate who closes first, and half the time leave the channel to the connection's close.
            if cycle % 2 == 0 { await local.close() }
            if cycle % 3 == 0 {
                await b.close()
                await a.close()
            } else {
                await a.close()
                await b.close()
            }
            #expect(local.state == .closed && remote.state == .closed)
        }
        let counts = try await Self.settledCounts(client.liveObjects)
        #expect(counts[.peerConnection] == 0)
        #expect(counts[.dataChannel] == 0)
        #expect(counts[.socketHandler] == 0)
    }

    @Test func aConnectionDroppedWithoutCloseIsReleased() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        do {
            let pc = try await client.createPeerConnection()
            try await pc.setLocalDescription(try await pc.createOffer())
            try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
            #expect(client.liveObjects.count(.socketHandler) > 0)
        }
        // Its deinit closed the sockets it had bound.
        let counts = try await Self.settledCounts(client.liveObjects)
        #expect(counts[.peerConnection] == 0)
        #expect(counts[.socketHandler] == 0)
    }
}
