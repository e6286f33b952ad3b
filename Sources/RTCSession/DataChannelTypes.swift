/// How a data channel is created (W3C `RTCDataChannelInit`, RFC 8831 §6.1).
public struct DataChannelOptions: Sendable, Hashable {
    /// Deliver messages in the order they were sent (default `true`).
    public var ordered: Bool = true
    /// Give up on a message after this many retransmissions (partial reliability, RFC 3758).
    /// Mutually exclusive with `maxPacketLifeTime`.
    public var maxRetransmits: Int?
    /// Give up on a message this long after it was first sent. Mutually exclusive with `maxRetransmits`.
    public var maxPacketLifeTime: Duration?
    /// The sub-protocol name carried in DATA_CHANNEL_OPEN.
    public var `protocol`: String = ""
    /// A pre-agreed SCTP stream id: the channel is "negotiated" out of band and no DCEP
    /// OPEN/ACK is exchanged; both sides must create it with the same id.
    public var negotiatedID: UInt16?

    /// Reliable, ordered, not negotiated.
    public init(ordered: Bool = true, maxRetransmits: Int? = nil, maxPacketLifeTime: Duration? = nil,
                protocol: String = "", negotiatedID: UInt16? = nil) {
        self.ordered = ordered
        self.maxRetransmits = maxRetransmits
        self.maxPacketLifeTime = maxPacketLifeTime
        self.protocol = `protocol`
        self.negotiatedID = negotiatedID
    }
}

/// One message received on a data channel (RFC 8831 §6.6: PPID string or binary).
public enum DataChannelMessage: Sendable, Hashable {
    /// A UTF-8 string message (PPID 51, or 56 for the empty string).
    case text(String)
    /// A binary message (PPID 53, or 57 for the empty message).
    case binary([UInt8])
}

/// The life cycle of a data channel (W3C `RTCDataChannelState`).
public enum DataChannelState: String, Sendable, Hashable {
    /// Waiting for the association or the peer's DATA_CHANNEL_ACK.
    case connecting
    /// Messages can be sent and received.
    case open
    /// A close was started; the stream is being reset.
    case closing
    /// Closed on both sides.
    case closed
}
