import DequeModule
import NIOConcurrencyHelpers

/// A multi-producer, single-consumer-at-a-time async queue with an end and an optional error.
///
/// Backs `DataChannel`'s receive side: both `for try await` iteration and `receive()` pull from
/// the same queue, so they can be mixed without losing messages. A waiting `next()` throws
/// `CancellationError` when its task is cancelled (so timeouts built on task groups work).
final class MessageQueue<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Element?, any Error>
    }
    private struct State {
        var items = Deque<Element>()
        var waiters = Deque<Waiter>()
        var nextWaiterID: UInt64 = 0
        var finished = false
        var error: (any Error)?
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

    /// The next element, waiting for one; `nil` once finished and drained. Throws
    /// `CancellationError` if the calling task is cancelled while waiting.
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
                    // Cancelled before we could wait: the handler found nothing to wake.
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
