import DequeModule
import NIOConcurrencyHelpers

/// A multi-producer, single-consumer-at-a-time async queue with an end and an optional error.
///
/// Backs `DataChannel`'s receive side: both `for try await` iteration and `receive()` pull from
/// the same queue, so they can be mixed without losing messages. A waiting `next()` whose task
/// is cancelled throws `CancellationError` at once; no element is lost by that.
final class MessageQueue<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Element?, any Error>
    }
    private struct State {
        var items = Deque<Element>()
        var waiters = Deque<Waiter>()
        var finished = false
        var error: (any Error)?
        var nextWaiterID: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())

    /// Adds an element, waking one waiting consumer.
    func push(_ element: Element) {
        let waiter: Waiter? = state.withLockedValue { s in
            guard !s.finished else { return nil }
            if let w = s.waiters.popFirst() { return w }
            s.items.append(element)
            return nil
        }
        waiter?.continuation.resume(returning: element)
    }

    /// Adds an element like ``push(_:)``, but keeps at most `limit` unread elements: beyond
    /// that the oldest is dropped. Returns whether one was dropped (a consumer that does not
    /// keep up loses old elements instead of growing memory without bound).
    @discardableResult
    func push(_ element: Element, limit: Int) -> Bool {
        var dropped = false
        let waiter: Waiter? = state.withLockedValue { s in
            guard !s.finished else { return nil }
            if let w = s.waiters.popFirst() { return w }
            if s.items.count >= limit {
                s.items.removeFirst()
                dropped = true
            }
            s.items.append(element)
            return nil
        }
        waiter?.continuation.resume(returning: element)
        return dropped
    }

    /// Ends the queue: consumers get the remaining elements, then `nil` (or `error` is thrown).
    func finish(throwing error: (any Error)? = nil) {
        let waiters: Deque<Waiter> = state.withLockedValue { s in
            guard !s.finished else { return [] }
            s.finished = true
            s.error = error
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters {
            if let error { w.continuation.resume(throwing: error) } else { w.continuation.resume(returning: nil) }
        }
    }

    /// How many consumers are waiting (for tests).
    var waitingCount: Int { state.withLockedValue { $0.waiters.count } }

    /// The next element, waiting for one; `nil` once finished and drained.
    func next() async throws -> Element? {
        let id = state.withLockedValue { s in
            s.nextWaiterID &+= 1
            return s.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Element?, any Error>) in
                let immediate: Result<Element?, any Error>? = state.withLockedValue { s in
                    if let first = s.items.popFirst() { return .success(first) }
                    if s.finished { return s.error.map { .failure($0) } ?? .success(nil) }
                    // Cancelled before we got here: the handler below found no waiter to remove.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters.append(Waiter(id: id, continuation: c))
                    return nil
                }
                if let immediate { c.resume(with: immediate) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLockedValue { s in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
