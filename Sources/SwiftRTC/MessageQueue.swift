import DequeModule
import NIOConcurrencyHelpers

/// A multi-producer, single-consumer-at-a-time async queue with an end and an optional error.
///
/// Backs `DataChannel`'s receive side: both `for try await` iteration and `receive()` pull from
/// the same queue, so they can be mixed without losing messages.
final class MessageQueue<Element: Sendable>: Sendable {
    private struct State {
        var items = Deque<Element>()
        var waiters = Deque<CheckedContinuation<Element?, any Error>>()
        var finished = false
        var error: (any Error)?
    }
    private let state = NIOLockedValueBox(State())

    /// Adds an element, waking one waiting consumer.
    func push(_ element: Element) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLockedValue { s in
            guard !s.finished else { return nil }
            if let w = s.waiters.popFirst() { return w }
            s.items.append(element)
            return nil
        }
        waiter?.resume(returning: element)
    }

    /// Ends the queue: consumers get the remaining elements, then `nil` (or `error` is thrown).
    func finish(throwing error: (any Error)? = nil) {
        let waiters: Deque<CheckedContinuation<Element?, any Error>> = state.withLockedValue { s in
            guard !s.finished else { return [] }
            s.finished = true
            s.error = error
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters {
            if let error { w.resume(throwing: error) } else { w.resume(returning: nil) }
        }
    }

    /// The next element, waiting for one; `nil` once finished and drained.
    func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Element?, any Error>) in
            let immediate: Result<Element?, any Error>? = state.withLockedValue { s in
                if let first = s.items.popFirst() { return .success(first) }
                if s.finished { return s.error.map { .failure($0) } ?? .success(nil) }
                s.waiters.append(c)
                return nil
            }
            if let immediate { c.resume(with: immediate) }
        }
    }
}
