import Foundation

/// A test waited too long for something the other side should have done.
struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `TestTimeout` after `seconds` (wall clock: these tests use real
/// sockets; the deterministic protocol tests live with each core and never sleep).
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            throw TestTimeout(what: what)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}
