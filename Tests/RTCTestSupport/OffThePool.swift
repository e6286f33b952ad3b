import Foundation

/// Runs `body` — blocking work, such as waiting for a child process — on a thread of its own,
/// and awaits it without holding a thread of Swift's cooperative pool. The pool has one thread
/// per core (two here): two tests blocked in `waitUntilExit` stall every other test in the
/// process, whose deadlines then pass while they were never scheduled (seen as bursts of
/// unrelated timeouts in loaded CI runs, next to suites that make media files with ffmpeg).
public func runOffThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
