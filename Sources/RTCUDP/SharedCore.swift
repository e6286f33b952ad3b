import NIOConcurrencyHelpers

/// A sans-IO core behind a lock: the event loop that drives it (``UDPDriver``) and callers on
/// other threads take turns, one command at a time.
///
/// A caller off the loop gives a command with ``withCore(_:)`` and then asks the loop to pump
/// (e.g. with `eventLoop.execute`): what the command produced stays queued in the core until
/// then, and a datagram the loop handles in between drains it in order.
public final class SharedCore<Core>: @unchecked Sendable {
    /// Guards ``value``. Never held while the core's events are handed to their owner.
    @usableFromInline let lock = NIOLock()
    /// The core; touch it only with ``lock`` held.
    @usableFromInline var value: Core

    /// Wraps `core`.
    @inlinable
    public init(_ core: Core) { value = core }

    /// Runs `body` on the core with the lock held. Keep it short: the loop waits for it.
    @inlinable
    public func withCore<T>(_ body: (inout Core) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
