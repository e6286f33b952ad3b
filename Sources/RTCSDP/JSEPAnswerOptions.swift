/// How an answer treats what has no local transceiver or what the offer adds (RFC 8829 §5.3.1).
public struct JSEPAnswerOptions: Hashable, Sendable {
    /// Whether an offered data channel section is accepted.
    public var acceptsData: Bool
    /// `a=sctp-port` written when accepting data (RFC 8841 §5).
    public var sctpPort: UInt16
    /// `a=max-message-size` written when accepting data (RFC 8841 §6).
    public var maxMessageSize: UInt64
    /// The direction wished for an offered audio/video section that no local transceiver has;
    /// `recvonly` is what a new transceiver created for a remote offer wants (RFC 8829 §5.10).
    public var defaultDirection: MediaDirection
    /// Whether offered simulcast (`a=simulcast:send` with `a=rid … send`) is accepted by
    /// answering `recv` for the same rids (RFC 8853 §5.3); otherwise the answer omits it and
    /// the offerer sends one stream.
    public var acceptsSimulcast: Bool

    /// Creates answer options.
    public init(acceptsData: Bool = true, sctpPort: UInt16 = 5000, maxMessageSize: UInt64 = 262_144,
                defaultDirection: MediaDirection = .recvonly, acceptsSimulcast: Bool = false) {
        self.acceptsData = acceptsData
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
        self.defaultDirection = defaultDirection
        self.acceptsSimulcast = acceptsSimulcast
    }
}
