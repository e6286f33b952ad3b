import NIOCore

/// Maps the monotonic `now` that every sans-IO core receives to the 64-bit NTP wall-clock
/// format of RTCP sender reports (RFC 3550 §4: seconds since 1900 in the upper 32 bits, the
/// fraction in the lower 32).
///
/// Cores never read a clock. The edge that drives a stream reads the wall clock once, pairs it
/// with the monotonic deadline of the same instant, and hands the pair to the stream; from then
/// on NTP time advances with `now`, so sender reports stay consistent with the RTP timestamps
/// they map even if the system clock is stepped.
public struct NTPClock: Hashable, Sendable {
    /// The monotonic instant the anchor was taken at.
    public var reference: NIODeadline
    /// The NTP time at `reference`.
    public var ntpAtReference: UInt64

    /// Anchors NTP time `ntpAtReference` to the monotonic instant `reference`.
    public init(reference: NIODeadline, ntpAtReference: UInt64) {
        self.reference = reference
        self.ntpAtReference = ntpAtReference
    }

    /// Anchors an NTP clock given the wall-clock time as seconds since the Unix epoch (1970).
    public init(reference: NIODeadline, unixSeconds: Double) {
        let ntpSeconds = unixSeconds + 2_208_988_800
        let whole = UInt64(ntpSeconds)
        let fraction = UInt64((ntpSeconds - Double(whole)) * 4_294_967_296)
        self.init(reference: reference, ntpAtReference: (whole << 32) | (fraction & 0xFFFF_FFFF))
    }

    /// The NTP time at monotonic instant `now` (instants before the reference count back).
    public func ntp(at now: NIODeadline) -> UInt64 {
        let nanos = now.uptimeNanoseconds >= reference.uptimeNanoseconds
            ? Int64(now.uptimeNanoseconds - reference.uptimeNanoseconds)
            : -Int64(reference.uptimeNanoseconds - now.uptimeNanoseconds)
        return UInt64(bitPattern: Int64(bitPattern: ntpAtReference) &+ Self.ntpUnits(nanoseconds: nanos))
    }

    /// The middle 32 bits of an NTP timestamp: the "LSR" form of RFC 3550 §6.4.1.
    public static func compact(_ ntp: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ntp >> 16) }

    /// Converts nanoseconds to NTP units (2^-32 s).
    public static func ntpUnits(nanoseconds: Int64) -> Int64 {
        let seconds = nanoseconds / 1_000_000_000
        let rest = nanoseconds % 1_000_000_000
        return (seconds << 32) + (rest << 32) / 1_000_000_000
    }

    /// Converts a duration in 1/65536 s (the unit of RFC 3550's DLSR and compact NTP) to a
    /// `TimeAmount`.
    public static func duration(compactUnits: UInt32) -> TimeAmount {
        .nanoseconds((Int64(compactUnits) * 1_000_000_000) >> 16)
    }
}
