import NIOCore
import RTCRTP

/// Reception statistics of one RTP source as RFC 3550 Appendix A computes them: the extended
/// highest sequence number with probation and cycle counting (A.1), cumulative and interval
/// loss (A.3), interarrival jitter (A.8), and the LSR/DLSR of the last sender report
/// (§6.4.1) — everything a reception report block needs.
///
/// Feed it the original packets of the source only (not retransmissions, whose transit time
/// says nothing about the network's jitter and whose arrival would hide losses).
public struct ReceiveStatistics: Sendable {
    /// A jump of at least this many sequence numbers ahead is not believed at once (A.1).
    public static let maxDropout: UInt16 = 3_000
    /// A packet up to this many sequence numbers behind is taken as reordered (A.1).
    public static let maxMisorder: UInt16 = 100
    /// Sequential packets needed before a new source is valid (A.1).
    public static let minSequential = 2

    /// What ``handle(sequenceNumber:timestamp:now:)`` made of a packet (RFC 3550 A.1).
    public enum Verdict: Hashable, Sendable {
        /// The packet is valid and counted.
        case accepted
        /// The source is still on probation; the packet is not counted yet.
        case probation
        /// The sequence number is far from the expected one; the packet is not believed (a
        /// second packet continuing the jump restarts the statistics).
        case outOfRange
        /// The packet continued an earlier jump: the sender restarted its sequence and the
        /// statistics started over from this packet.
        case restarted
    }

    /// The RTP clock rate of the source in Hz (interarrival jitter is in its units).
    public let clockRate: Int

    private var started = false
    private var maxSeq: UInt16 = 0
    private var cycles: UInt32 = 0  // shifted count of wraps, as in A.1
    private var baseSeq: UInt32 = 0
    private var badSeq: UInt32 = 65_537
    private var probation = 0
    /// Valid packets counted (A.1 `received`).
    public private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    private var transit: Int32?
    private var scaledJitter: UInt32 = 0  // jitter × 16 (A.8)
    private var arrivalBase: NIODeadline?
    private var lastSenderReport: (compact: UInt32, arrival: NIODeadline)?

    /// Creates statistics for a source with RTP clock `clockRate` Hz.
    public init(clockRate: Int) {
        self.clockRate = max(1, clockRate)
    }

    /// Whether the source has passed probation (A.1).
    public var isValid: Bool { started && probation == 0 }

    /// The extended highest sequence number received: wrap count in the upper 16 bits (A.1).
    public var extendedHighestSequenceNumber: UInt32 { cycles &+ UInt32(maxSeq) }

    /// Packets expected since the base sequence number (A.3).
    public var expected: UInt32 { isValid ? extendedHighestSequenceNumber &- baseSeq &+ 1 : 0 }

    /// Cumulative packets lost: expected minus received, negative with duplicates (A.3).
    public var cumulativeLost: Int64 { Int64(expected) - Int64(received) }

    /// The interarrival jitter estimate in RTP timestamp units (A.8).
    public var jitter: UInt32 { scaledJitter >> 4 }

    /// Updates the statistics with a packet that arrived at `now` (A.1, A.8).
    public mutating func handle(sequenceNumber seq: UInt16, timestamp: UInt32, now: NIODeadline) -> Verdict {
        if !started {
            started = true
            initSequence(seq)
            maxSeq = seq &- 1
            probation = Self.minSequential
        }
        let udelta = seq &- maxSeq
        var verdict = Verdict.accepted
        if probation > 0 {
            guard seq == maxSeq &+ 1 else {
                probation = Self.minSequential - 1
                maxSeq = seq
                return .probation
            }
            probation -= 1
            maxSeq = seq
            guard probation == 0 else { return .probation }
            initSequence(seq)
        } else if udelta < Self.maxDropout {
            if seq < maxSeq { cycles &+= 65_536 }
            maxSeq = seq
        } else if udelta <= UInt16.max - Self.maxMisorder {
            guard UInt32(seq) == badSeq else {
                badSeq = (UInt32(seq) + 1) & 0xFFFF
                return .outOfRange
            }
            initSequence(seq)
            verdict = .restarted
        }
        // else: a duplicate or a reordered packet, counted as received (A.1).
        received &+= 1
        updateJitter(timestamp: timestamp, now: now)
        return verdict
    }

    /// Records a sender report from this source that arrived at `now`, for LSR and DLSR (§6.4.1).
    public mutating func handleSenderReport(_ report: RTCPSenderReport, now: NIODeadline) {
        lastSenderReport = (report.compactNTPTimestamp, now)
    }

    /// The reception report block for `ssrc` at `now`; starts a new loss interval (A.3, §6.4.1).
    public mutating func makeReport(ssrc: UInt32, now: NIODeadline) -> RTCPReceptionReport {
        let expected = self.expected
        let expectedInterval = expected &- expectedPrior
        expectedPrior = expected
        let receivedInterval = received &- receivedPrior
        receivedPrior = received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0
            ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        var lsr: UInt32 = 0
        var dlsr: UInt32 = 0
        if let last = lastSenderReport {
            lsr = last.compact
            let nanos = now >= last.arrival ? (now - last.arrival).nanoseconds : 0
            dlsr = UInt32(min(Int64(UInt32.max), nanos * 65_536 / 1_000_000_000))
        }
        return RTCPReceptionReport(
            ssrc: ssrc, fractionLost: fraction,
            cumulativeLost: Int32(max(-0x80_0000, min(0x7F_FFFF, cumulativeLost))),
            extendedHighestSequenceNumber: isValid ? extendedHighestSequenceNumber : 0,
            jitter: jitter, lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }

    /// A.1 `init_seq`.
    private mutating func initSequence(_ seq: UInt16) {
        baseSeq = UInt32(seq)
        maxSeq = seq
        badSeq = 65_537
        cycles = 0
        received = 0
        receivedPrior = 0
        expectedPrior = 0
    }

    /// A.8: J += (|D| − J) / 16, kept ×16 in integers.
    private mutating func updateJitter(timestamp: UInt32, now: NIODeadline) {
        let base = arrivalBase ?? now
        arrivalBase = base
        let arrival = Self.rtpUnits(now >= base ? now - base : .zero, clockRate: clockRate)
        let newTransit = Int32(bitPattern: arrival &- timestamp)
        defer { transit = newTransit }
        guard let transit else { return }
        let d = newTransit &- transit
        let magnitude = UInt32(min(Int64(Int32.max), abs(Int64(d))))
        scaledJitter = scaledJitter &+ magnitude &- ((scaledJitter &+ 8) >> 4)
    }

    /// A duration in RTP clock units, wrapping modulo 2^32 like RTP timestamps.
    static func rtpUnits(_ duration: TimeAmount, clockRate: Int) -> UInt32 {
        let nanos = duration.nanoseconds
        let seconds = nanos / 1_000_000_000
        let rest = nanos % 1_000_000_000
        return UInt32(truncatingIfNeeded: seconds &* Int64(clockRate) &+ rest * Int64(clockRate) / 1_000_000_000)
    }
}
