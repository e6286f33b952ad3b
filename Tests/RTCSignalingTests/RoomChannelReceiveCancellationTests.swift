import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// The room commands bound waits on `DataChannel.receive()` with task-group timeouts: a
/// cancelled `receive()` must return (throwing `CancellationError`) and lose no message.
@Suite("A waiting receive is cancellable", .serialized)
struct RoomChannelReceiveCancellationTests {
    @Test func cancellingAWaitingReceiveThrowsAndLosesNoMessage() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("chat")
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "a gathering") { try await a.awaitIceGatheringComplete() }
        try await b.setRemoteDescription(try #require(await a.localDescription))
        try await b.setLocalDescription(try await b.createAnswer())
        try await withTimeout(10, "b gathering") { try await b.awaitIceGatheringComplete() }
        try await a.setRemoteDescription(try #require(await b.localDescription))
        let remote = try await withTimeout(15, "b's channel") { () async throws -> DataChannel in
            for await event in b.dataChannelEvents { if case .open(let channel) = event { return channel } }
            throw TestTimeout(what: "b's channel (the channel events ended)")
        }

        let box = OutcomeBox()
        let waiting = Task {
            do { box.set(.success(try await remote.receive())) } catch { box.set(.failure(error)) }
        }
        try await Task.sleep(for: .milliseconds(100))  // let it start waiting (either way it must throw)
        waiting.cancel()
        // Polled, not awaited: a receive that ignores cancellation would hang an await.
        let outcome = try await waitForValue(5, "the cancelled receive to return") { box.value }
        #expect(throws: CancellationError.self) { try outcome.get() }

        try await local.send("after the cancel")
        #expect(try await withTimeout(10, "the next message") { try await remote.receiveText() } == "after the cancel")
        await a.close()
        await b.close()
    }
}

/// The outcome of a receive, set from another task.
private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<DataChannelMessage, any Error>?
    func set(_ value: Result<DataChannelMessage, any Error>) { lock.withLock { outcome = value } }
    var value: Result<DataChannelMessage, any Error>? { lock.withLock { outcome } }
}
