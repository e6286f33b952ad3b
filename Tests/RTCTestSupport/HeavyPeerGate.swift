import Testing

/// Real-time tests that need a lot of CPU — headless Chromium with its fake camera, aiortc
/// encoding video in Python, minute-long calls, a hundred Pion connections — take turns: a
/// suite marked `.heavyPeers` runs each of its test cases holding the one permit of this gate,
/// while the light tests run in parallel beside them. On a 2-core machine several Chromium
/// instances at once starve every other real-time test of CPU, and their deadlines (which
/// are about the other side answering, never about speed) fail for the wrong reason.
public enum HeavyPeerGate {
    /// The gate every `.heavyPeers` suite shares: one heavy test case at a time.
    public static let shared = PermitGate(permits: 1)
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
