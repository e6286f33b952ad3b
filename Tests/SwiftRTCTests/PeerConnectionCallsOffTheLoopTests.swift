import RTCTestSupport
import SwiftRTC
import Testing

/// The quick negotiation calls run on the caller's thread under the session's lock, while the
/// connection's loop handles datagrams and timers: many callers at once, and calls after
/// `close()`, behave as they did when every call went to the loop.
@Suite(.serialized) struct PeerConnectionCallsOffTheLoopTests {
    /// 32 tasks create channels at once while others read the description and create offers:
    /// every channel gets its own id, each object the caller got is the one that opens (its
    /// registration on the loop came before anything about it), and the peer sees all 32.
    @Test func channelsCreatedByManyTasksAtOnceAllOpen() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let count = 32
        let created = try await withThrowingTaskGroup(of: DataChannel?.self) { group in
            for i in 0..<count {
                group.addTask { try await a.createDataChannel("c\(i)") }
                group.addTask {
                    _ = try await a.createOffer()
                    _ = await a.localDescription
                    return nil
                }
            }
            var channels: [DataChannel] = []
            for try await channel in group { if let channel { channels.append(channel) } }
            return channels
        }
        #expect(created.count == count)
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        let opened = try await withTimeout(20, "\(count) channels to open at the offerer") {
            var opened: [DataChannel] = []
            for await event in a.dataChannelEvents {
                if case .open(let channel) = event { opened.append(channel) }
                if opened.count == count { return opened }
            }
            throw TestTimeout(what: "dataChannelEvents ended")
        }
        for channel in created {
            #expect(opened.contains { $0 === channel }, "\(channel.label): the object created is not the one that opened")
        }
        #expect(Set(opened.compactMap(\.id)).count == count, "stream ids are unique")
        let remote = try await withTimeout(20, "\(count) channels to open at the answerer") {
            var remote: [String: DataChannel] = [:]
            for await event in b.dataChannelEvents {
                if case .open(let channel) = event { remote[channel.label] = channel }
                if remote.count == count { return remote }
            }
            throw TestTimeout(what: "dataChannelEvents ended")
        }
        #expect(Set(remote.keys) == Set((0..<count).map { "c\($0)" }))
        for channel in created {
            try await channel.send("on \(channel.label)")
            let text = try await withTimeout(5, "a message on \(channel.label)") { try await remote[channel.label]!.receiveText() }
            #expect(text == "on \(channel.label)")
        }
        await a.close()
        await b.close()
    }

    /// After `close()`, every call that now runs off the loop throws `WebRTCError.closed`,
    /// as the loop's checks did.
    @Test func callsAfterCloseThrowClosed() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        _ = try await a.createDataChannel("x")
        let offer = try await a.createOffer()
        await a.close()
        await #expect(throws: WebRTCError.closed) { try await a.createOffer() }
        await #expect(throws: WebRTCError.closed) { try await a.createAnswer() }
        await #expect(throws: WebRTCError.closed) { try await a.createDataChannel("y") }
        await #expect(throws: WebRTCError.closed) { try await a.awaitIceGatheringComplete() }
        await #expect(throws: WebRTCError.closed) { try await a.setRemoteDescription(offer) }
        #expect(await a.localDescription == nil, "nothing was applied")
        #expect(await a.remoteDescription == nil)
    }

    /// A channel created off the loop while `close()` runs is closed too, never left waiting
    /// to open: its registration on the loop may come after the close.
    @Test func aChannelCreatedWhileClosingEndsClosed() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        for round in 0..<50 {
            let a = try await client.createPeerConnection()
            async let closing: Void = a.close()
            let channel = try? await a.createDataChannel("race \(round)")
            await closing
            guard let channel else { continue }  // refused: the close came first
            // Fails (times out) if the channel was left open-pending.
            try await withTimeout(5, "channel \(round) to close") {
                while channel.state != .closed { try await Task.sleep(for: .milliseconds(5)) }
            }
        }
    }
}
