/// What a receiving context accepted and, per reason, what it dropped: every failed
/// `unprotect` is counted under its `SRTPError`.
public struct SRTPStatistics: Sendable, Equatable {
    /// Packets that authenticated and were decrypted.
    public var unprotected = 0
    /// Packets dropped because their tag did not verify.
    public var authenticationFailed = 0
    /// Packets dropped as replays or as too old for the replay window.
    public var replayed = 0
    /// Packets dropped as shorter than header, trailer and tag.
    public var tooShort = 0
    /// Packets dropped for a malformed RTP or RTCP header.
    public var malformedHeader = 0
    /// Packets dropped for an SSRC the context does not accept.
    public var unknownSSRC = 0
    /// Packets dropped for any other reason (key or index errors).
    public var other = 0

    /// Empty counters.
    public init() {}

    /// All packets dropped, whatever the reason.
    public var dropped: Int { authenticationFailed + replayed + tooShort + malformedHeader + unknownSSRC + other }

    /// Counts one packet dropped for `error`.
    public mutating func record(_ error: SRTPError) {
        switch error {
        case .authenticationFailed: authenticationFailed += 1
        case .replayed: replayed += 1
        case .tooShort: tooShort += 1
        case .malformedHeader: malformedHeader += 1
        case .unknownSSRC: unknownSSRC += 1
        case .invalidKeyLength, .indexExhausted: other += 1
        }
    }
}
