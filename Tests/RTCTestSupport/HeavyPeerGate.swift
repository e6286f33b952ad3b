import Testing

/// Real-time tests that need a lot of CPU — headless Chromium with its fake camera, aiortc
/// encoding video in Python, minute-long calls, a hundred Pion connections — take turns: a
/// suite marked `.heavyPeers` runs each of its test cases holding the one permit of this gate,
/// while the light tests run in parallel beside them. On a 2-core machine several Chromium
/// instances at once starve every other real-time test of CPU, and their deadlines (which
/// are about the other side answering, never about speed) fail for the wrong reason.
public actor HeavyPeerGate {
    /// The gate every `.heavyPeers` suite shares.
    public static let shared = HeavyPeerGate()

    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` once no other heavy test case is running.
    public func run(_ body: @Sendable () async throws -> Void) async throws {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        try await body()
    }
}

/// The trait that makes a suite's (or a test's) cases take turns through ``HeavyPeerGate``.
public struct HeavyPeersTrait: SuiteTrait, TestTrait, TestScoping {
    /// Applies to every test in a suite.
    public var isRecursive: Bool { true }

    /// Holds the gate's permit around each test case.
    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else {
            try await function()
            return
        }
        try await HeavyPeerGate.shared.run(function)
    }
}

extension Trait where Self == HeavyPeersTrait {
    /// Test cases that take turns with every other heavy real-time test (see ``HeavyPeerGate``).
    public static var heavyPeers: Self { HeavyPeersTrait() }
}
