/// A counting gate for tests that must take turns: at most `permits` bodies run at once, the
/// others wait (asynchronously, holding no thread) in arrival order. ``HeavyPeerGate`` and
/// ``FFmpegGate`` are its two uses.
public actor PermitGate {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A gate admitting `permits` bodies at once.
    public init(permits: Int) { free = permits }

    /// Runs `body` once a permit is free, and hands the permit on after.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiters.append($0) }
        }
        defer {
            if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
