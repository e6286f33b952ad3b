import Foundation

/// A test waited too long (wall clock) for something the other side should have done.
public struct TestTimeout: Error, CustomStringConvertible {
    /// What the test was waiting for.
    public var what: String
    /// How long it waited, in seconds (`nil` when what it waited on ended without it).
    public var seconds: Double?
    /// Creates the error.
    public init(what: String, seconds: Double? = nil) {
        self.what = what
        self.seconds = seconds
    }
    /// "timed out after N s waiting for …".
    public var description: String {
        if let seconds { "timed out after \(seconds) s waiting for \(what)" } else { "gave up waiting for \(what)" }
    }
}

/// Runs `body`, failing with `TestTimeout` after `seconds` of wall-clock time (for tests over
/// real sockets and real peers; the deterministic protocol tests run in virtual time and never
/// sleep). `body` is cancelled when the time is up, and the timeout is thrown at once even if
/// `body` ignores the cancellation (say it awaits an unstructured task's `value`, which
/// cancellation does not interrupt): a test fails with a message, it never hangs.
public func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: @autoclosure () -> String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let what = what()
    let outcome = TimeoutOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let work = Task {
                do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                if outcome.finish(.failure(TestTimeout(what: what, seconds: seconds))) { work.cancel() }
            }
            outcome.onFinish { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first of a body's result, its timeout or a cancellation, delivered once.
private final class TimeoutOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var done = false
    private var cleanup: (@Sendable () -> Void)?

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let ready: Result<T, any Error>? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let finished: Bool = lock.withLock {
            if done { return true }
            cleanup = action
            return false
        }
        if finished { action() }
    }

    /// Delivers `result` if nothing was delivered yet; returns whether it was this call.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (first, waiting, action): (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = lock.withLock {
            guard !done else { return (false, nil, nil) }
            done = true
            let waiting = continuation
            continuation = nil
            if waiting == nil { early = result }
            return (true, waiting, cleanup)
        }
        guard first else { return false }
        waiting?.resume(with: result)
        action?()
        return true
    }
}

/// Polls `probe` every `interval` until it returns a value and returns it; throws `TestTimeout`
/// after `seconds` (`what` is evaluated only then, so it can describe what did arrive).
public func waitForValue<T>(
    _ seconds: Double, _ what: @autoclosure () -> String, every interval: Duration = .milliseconds(10),
    _ probe: () async throws -> T?
) async throws -> T {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(Int64(seconds * 1000))
    while clock.now < end {
        if let value = try await probe() { return value }
        try await Task.sleep(for: interval)
    }
    if let value = try await probe() { return value }
    throw TestTimeout(what: what(), seconds: seconds)
}

/// Polls `condition` every `interval` until it holds; throws `TestTimeout` after `seconds`.
public func waitUntil(
    _ seconds: Double, _ what: @autoclosure () -> String, every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    try await waitForValue(seconds, what(), every: interval) { try await condition() ? () : nil }
}
