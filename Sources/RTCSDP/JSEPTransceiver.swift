/// What one local transceiver contributes to a description (RFC 8829 §5.2.1, §5.3.1): its mid,
/// kind, wished direction, whether it is stopped, and its sender, if it has a track.
///
/// After a negotiation, set ``codecs`` and ``headerExtensions`` to the negotiated ones so a
/// later offer keeps their payload types and ids (RFC 8829 §5.2.2).
public struct JSEPTransceiver: Hashable, Sendable {
    /// The mid (RFC 8829 §5.2.1: unique in the session; ours are `"0"`, `"1"`, …).
    public var mid: String
    /// `audio` or `video`.
    public var kind: JSEPMediaKind
    /// The direction this side wants (RFC 8829 §4.2.4).
    public var direction: MediaDirection
    /// Whether the transceiver is stopped: its m-section gets port 0 (RFC 8829 §5.2.2).
    public var isStopped: Bool
    /// The sender's track, stream ids and SSRCs; written when the direction sends.
    public var sender: JSEPSender?
    /// The codecs to offer instead of the capabilities' (e.g. the negotiated ones).
    public var codecs: [JSEPCodec]?
    /// The header extensions to offer instead of the capabilities' (e.g. the negotiated ones).
    public var headerExtensions: [JSEPHeaderExtension]?

    /// Creates a transceiver.
    public init(mid: String, kind: JSEPMediaKind, direction: MediaDirection = .sendrecv, isStopped: Bool = false,
                sender: JSEPSender? = nil, codecs: [JSEPCodec]? = nil, headerExtensions: [JSEPHeaderExtension]? = nil) {
        self.mid = mid
        self.kind = kind
        self.direction = direction
        self.isStopped = isStopped
        self.sender = sender
        self.codecs = codecs
        self.headerExtensions = headerExtensions
    }
}
