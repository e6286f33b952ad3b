/// The rollover counter and highest sequence number of one SSRC, with the index estimation of
/// RFC 3711 §3.3.1 / Appendix A: a 16-bit sequence number becomes a 48-bit packet index
/// (ROC·2^16 + SEQ) by guessing whether it lies before, in or after the current rollover.
public struct SRTPRolloverCounter: Sendable, Equatable {
    /// The rollover counter: how many times the sequence number has wrapped 65535 → 0.
    public private(set) var roc: UInt32
    /// The highest sequence number seen in the current rollover (s_l).
    public private(set) var highestSequence: UInt16

    /// A counter that starts at `sequence` with rollover counter `roc` (0 for a new stream).
    public init(firstSequence sequence: UInt16, roc: UInt32 = 0) {
        self.roc = roc
        highestSequence = sequence
    }

    /// The packet index for `sequence` (RFC 3711 §3.3.1), or `nil` when the guess is a
    /// rollover before 0 or beyond 2^32 − 1.
    public func estimateIndex(_ sequence: UInt16) -> UInt64? {
        let s = Int64(sequence), sl = Int64(highestSequence), r = Int64(roc)
        let v: Int64
        if sl < 32_768 {
            v = s - sl > 32_768 ? r - 1 : r
        } else {
            v = sl - 32_768 > s ? r + 1 : r
        }
        guard v >= 0, v <= Int64(UInt32.max) else { return nil }
        return UInt64(v) << 16 | UInt64(sequence)
    }

    /// Records `index` as authenticated: a later rollover moves the counter forward; a higher
    /// sequence number in the current rollover becomes the new s_l (RFC 3711 §3.3.1).
    public mutating func update(_ index: UInt64) {
        let v = UInt32(truncatingIfNeeded: index >> 16), s = UInt16(truncatingIfNeeded: index)
        if v > roc {
            roc = v
            highestSequence = s
        } else if v == roc, s > highestSequence {
            highestSequence = s
        }
    }
}
