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
/// sleep). `body` is cancelled when the time is up.
public func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: @autoclosure () -> String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let what = what()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            throw TestTimeout(what: what, seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
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
