import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Callers (the room commands of `swiftrtc`, for one) bound waits on `DataChannel.receive()`
/// with task-group timeouts: a cancelled `receive()` must return (throwing `CancellationError`)
/// and lose no message. (`MessageQueueCancellationTests` checks the queue behind it.)
@Suite("A waiting receive is cancellable", .serialized)
struct DataChannelReceiveCancellationTests {
    @Test func cancellingAWaitingReceiveThrowsAndLosesNoMessage() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("chat")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)

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

