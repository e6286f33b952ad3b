@testable import SwiftRTC
import Testing

/// A cancelled receive stops waiting at once and loses nothing.
@Suite struct MessageQueueCancellationTests {
    @Test func aCancelledWaiterThrowsAndTheNextElementGoesToTheNextReader() async throws {
        let queue = MessageQueue<Int>()
        let waiting = Task { try await queue.next() }
        while queue.waitingCount == 0 { await Task.yield() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        queue.push(7)
        #expect(try await queue.next() == 7)
        queue.finish()
        #expect(try await queue.next() == nil)
    }

    @Test func manyCancelledWaitersLeaveTheQueueUsable() async throws {
        let queue = MessageQueue<Int>()
        let tasks = (0..<50).map { _ in Task { try await queue.next() } }
        while queue.waitingCount < 25 { await Task.yield() }  // some wait, some may be cancelled before waiting
        for t in tasks { t.cancel() }
        for t in tasks {
            do {
                _ = try await t.value
                Issue.record("a cancelled waiter returned a value")
            } catch is CancellationError {}
        }
        for i in 0..<10 { queue.push(i) }
        #expect(queue.waitingCount == 0)
        var got: [Int] = []
        for _ in 0..<10 { got.append(try #require(try await queue.next())) }
        #expect(got == Array(0..<10))
    }
}
