/// An offered m-section that an answer rejected with port 0 (RFC 8829 §5.3.1), and why.
public struct JSEPRejection: Hashable, Sendable {
    /// Why an m-section was rejected.
    public enum Reason: Hashable, Sendable {
        /// Neither RTP audio/video nor a data channel section.
        case unsupportedMedia
        /// The offer already had port 0 (a stopped transceiver).
        case stoppedByOfferer
        /// The local transceiver for this mid is stopped.
        case stoppedLocally
        /// The local transceiver with this mid is of another kind.
        case kindMismatch
        /// No offered codec matches a local one (RFC 3264 §6.1).
        case noCommonCodec
        /// The offer lacks `a=rtcp-mux`, which this endpoint requires (RFC 8829 §5.1.3).
        case rtcpMuxRequired
        /// The section is outside the offer's BUNDLE group; this endpoint uses one transport.
        case notBundled
        /// A data section that is not wanted, or a second one.
        case dataNotAccepted
    }

    /// The m-line index.
    public var mLineIndex: Int
    /// The offered mid, if there was one.
    public var mid: String?
    /// Why it was rejected.
    public var reason: Reason

    /// Creates a rejection record.
    public init(mLineIndex: Int, mid: String?, reason: Reason) {
        self.mLineIndex = mLineIndex
        self.mid = mid
        self.reason = reason
    }
}
