#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock, read once per connection to anchor RTCP sender reports' NTP time to the
/// monotonic clock (the session never reads a clock).
enum WallClock {
    /// Seconds since the Unix epoch.
    static func unixSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
