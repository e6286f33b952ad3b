/// A sliding anti-replay window over 64-bit sequence numbers, as DTLS (RFC 6347 §4.1.2.6) and
/// SRTP (RFC 3711 §3.3.2) use it.
///
/// The window remembers the highest sequence number accepted so far and, for the `width`
/// numbers just below it, whether each was accepted. A number above the highest is always new;
/// one that is `width` or more below it is too old to judge and is refused.
///
/// Check before authenticating, accept only after: a forged packet must not move the window.
///
/// ```swift
/// guard window.check(seq) else { return }      // replayed or too old: drop
/// guard let plaintext = open(packet) else { return }
/// window.accept(seq)
/// ```
public struct ReplayWindow: Sendable, Equatable {
    /// How many sequence numbers at and below the highest accepted one the window tracks.
    public let width: Int
    /// The highest sequence number accepted so far, or `nil` before the first.
    public private(set) var highest: UInt64?
    /// One bit per sequence number, indexed by `sequence % (bits.count * 64)`.
    private var bits: [UInt64]

    /// An empty window `width` sequence numbers wide (at least 1; DTLS and SRTP use 64).
    public init(width: Int = 64) {
        precondition(width > 0, "a replay window must be at least one sequence number wide")
        self.width = width
        bits = [UInt64](repeating: 0, count: (width + 63) / 64)
    }

    /// `true` if `sequence` has not been accepted and is not too old to judge.
    public func check(_ sequence: UInt64) -> Bool {
        guard let highest else { return true }
        if sequence > highest { return true }
        guard highest - sequence < UInt64(width) else { return false }
        return !isSet(sequence)
    }

    /// Records `sequence` as accepted (call only once the packet authenticated), sliding the
    /// window forward when it is the new highest.
    public mutating func accept(_ sequence: UInt64) {
        guard let current = highest else {
            highest = sequence
            set(sequence)
            return
        }
        if sequence > current {
            if sequence - current >= capacity {
                for i in bits.indices { bits[i] = 0 }
            } else {
                // Forget the numbers the window slides over: they were never seen.
                var s = current &+ 1
                while s < sequence { clear(s); s &+= 1 }
            }
            highest = sequence
            set(sequence)
        } else if current - sequence < UInt64(width) {
            set(sequence)
        }
    }

    private var capacity: UInt64 { UInt64(bits.count * 64) }

    private func isSet(_ sequence: UInt64) -> Bool {
        let index = sequence % capacity
        return bits[Int(index / 64)] & (1 << (index % 64)) != 0
    }

    private mutating func set(_ sequence: UInt64) {
        let index = sequence % capacity
        bits[Int(index / 64)] |= 1 << (index % 64)
    }

    private mutating func clear(_ sequence: UInt64) {
        let index = sequence % capacity
        bits[Int(index / 64)] &= ~(1 << (index % 64))
    }
}
