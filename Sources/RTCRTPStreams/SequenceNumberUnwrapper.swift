/// Extends 16-bit RTP sequence numbers to a 64-bit count that keeps increasing across wraps
/// (65535 → 0), by taking each number as the one nearest to the highest seen so far.
///
/// The first number seen is placed in cycle 1 (65536 + n), so numbers that arrive reordered
/// from before it stay positive.
public struct SequenceNumberUnwrapper: Hashable, Sendable {
    /// The highest extended sequence number seen, or nil before the first.
    public private(set) var highest: Int64?

    /// Creates an unwrapper that has seen nothing.
    public init() {}

    /// The extended value of `sequenceNumber` without recording it: the value congruent to it
    /// modulo 65536 nearest to ``highest`` (ties go forward).
    public func extended(_ sequenceNumber: UInt16) -> Int64 {
        guard let highest else { return 65_536 + Int64(sequenceNumber) }
        let delta = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highest)))
        return highest + delta
    }

    /// The extended value of `sequenceNumber`, raising ``highest`` when it is newer.
    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        let value = extended(sequenceNumber)
        if highest.map({ value > $0 }) ?? true { highest = value }
        return value
    }

    /// Forgets everything (after the sender restarted its sequence).
    public mutating func reset() { highest = nil }
}
