import NIOCore

/// The linear map from monotonic time to an RTP media clock: `timestamp(at:)` is
/// `anchorTimestamp` plus the ticks of `clockRate` elapsed since `anchorTime`, modulo 2^32
/// (RFC 3550 §5.1).
///
/// A send stream stamps each frame with the timestamp of its capture instant and fills sender
/// reports from the same map at the report's instant, so a receiver that pairs the SR's NTP and
/// RTP times recovers capture times exactly (RFC 3550 §6.4.1).
public struct RTPMediaClock: Hashable, Sendable {
    /// Ticks per second.
    public let clockRate: Int
    /// The instant `anchorTimestamp` belongs to.
    public private(set) var anchorTime: NIODeadline
    /// The RTP timestamp at `anchorTime`.
    public private(set) var anchorTimestamp: UInt32

    /// Creates a clock that reads `anchorTimestamp` at `anchorTime` and advances `clockRate`
    /// ticks per second (at least 1).
    public init(clockRate: Int, anchorTime: NIODeadline, anchorTimestamp: UInt32) {
        self.clockRate = max(1, clockRate)
        self.anchorTime = anchorTime
        self.anchorTimestamp = anchorTimestamp
    }

    /// The RTP timestamp at `time`; instants before the anchor count back.
    public func timestamp(at time: NIODeadline) -> UInt32 {
        let elapsed = Self.ticks(nanoseconds: Self.nanoseconds(from: anchorTime, to: time), clockRate: clockRate)
        return anchorTimestamp &+ UInt32(truncatingIfNeeded: elapsed)
    }

    /// Moves the anchor so that the clock reads `timestamp` at `time` (used when the caller
    /// supplies timestamps itself, as a forwarder does).
    public mutating func reanchor(timestamp: UInt32, at time: NIODeadline) {
        anchorTime = time
        anchorTimestamp = timestamp
    }

    /// Whole ticks of a `clockRate` Hz clock in `nanoseconds`, truncated toward zero, without
    /// overflow for any `Int64` duration.
    public static func ticks(nanoseconds: Int64, clockRate: Int) -> Int64 {
        let rate = Int64(clockRate)
        let magnitude = nanoseconds.magnitude
        let seconds = Int64(magnitude / 1_000_000_000)
        let rest = Int64(magnitude % 1_000_000_000)
        let ticks = seconds &* rate &+ (rest &* rate) / 1_000_000_000
        return nanoseconds < 0 ? -ticks : ticks
    }

    static func nanoseconds(from start: NIODeadline, to end: NIODeadline) -> Int64 {
        end.uptimeNanoseconds >= start.uptimeNanoseconds
            ? Int64(clamping: end.uptimeNanoseconds - start.uptimeNanoseconds)
            : -Int64(clamping: start.uptimeNanoseconds - end.uptimeNanoseconds)
    }
}
