import Foundation

/// A test waited too long (running time, see ``RunningTime``) for something the other side should have done.
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

/// Time a test waited while its process was running: wall-clock time in steps, each step
/// counted up to `maximumStep`. A CI machine with two cores stalls a whole test process now
/// and then (the cooperative pool busy with CPU-heavy virtual-time suites, many peers
/// starting at once); a wall-clock deadline then passes while the awaited work was never
/// scheduled, and unrelated tests time out together. A stall counts as one step here, so a
/// timeout means the process had `seconds` of running time and the thing still did not happen.
struct RunningTime {
    let budget: Duration
    let maximumStep: Duration = .seconds(1)
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private(set) var waited: Duration = .zero

    init(seconds: Double) {
        budget = .milliseconds(Int64(seconds * 1000))
        last = clock.now
    }

    /// Counts the time since the last call, at most `maximumStep`.
    mutating func tick() {
        let now = clock.now
        waited += min(now - last, maximumStep)
        last = now
    }

    var isSpent: Bool { waited >= budget }
}

/// Runs `body`, failing with `TestTimeout` after `seconds` of running time (``RunningTime``:
/// wall-clock time, except that a stall of the whole process counts one second; for tests
/// over real sockets and real peers; the deterministic protocol tests run in virtual time and
/// never sleep). `body` is cancelled when the time is up, and the timeout is thrown at once even if
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
                var time = RunningTime(seconds: seconds)
                while !time.isSpent {
                    try? await Task.sleep(for: .milliseconds(100))
                    if Task.isCancelled { return }
                    time.tick()
                }
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
/// after `seconds` of running time (``RunningTime``; `what` is evaluated only then, so it can describe what did arrive).
public func waitForValue<T>(
    _ seconds: Double, _ what: @autoclosure () -> String, every interval: Duration = .milliseconds(10),
    _ probe: () async throws -> T?
) async throws -> T {
    var time = RunningTime(seconds: seconds)
    while !time.isSpent {
        if let value = try await probe() { return value }
        try await Task.sleep(for: interval)
        time.tick()
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
