import NIOCore

/// Settings of an SCTP association. Defaults follow RFC 9260 §16 and RFC 8831 §6 (WebRTC:
/// port 5000, no IP addresses, packets sized to fit a DTLS record inside a 1200-byte datagram).
public struct SCTPConfiguration: Sendable {
    /// Our SCTP port (5000 in WebRTC unless SDP says otherwise). RFC 8841 §5.
    public var localPort: UInt16 = 5000
    /// The peer's SCTP port. RFC 8841 §5.
    public var remotePort: UInt16 = 5000
    /// Largest SCTP packet we send, common header included (the path MTU for SCTP). Default:
    /// 1200 minus DTLS overhead. RFC 8261 §5.
    public var maxPacketSize: Int = 1140
    /// Our receive buffer, advertised as a_rwnd. RFC 9260 §6.2.
    public var receiveWindow: UInt32 = 1 << 21
    /// Outbound streams we ask for (OS). RFC 9260 §3.3.2.
    public var outboundStreams: UInt16 = 65535
    /// Inbound streams we accept (MIS). RFC 9260 §3.3.2.
    public var inboundStreams: UInt16 = 65535
    /// RTO.Initial. RFC 9260 §16 (1 s).
    public var rtoInitial: TimeAmount = .seconds(1)
    /// RTO.Min. RFC 9260 §16 suggests 1 s; WebRTC stacks use less, so the default is 200 ms.
    public var rtoMin: TimeAmount = .milliseconds(200)
    /// RTO.Max. RFC 9260 §16 (60 s).
    public var rtoMax: TimeAmount = .seconds(60)
    /// Max.Init.Retransmits. RFC 9260 §16.
    public var maxInitRetransmits: Int = 8
    /// Association.Max.Retrans: consecutive unanswered retransmissions before the association fails. RFC 9260 §8.1.
    public var maxAssociationRetransmits: Int = 10
    /// Delayed SACK timeout (at most 500 ms). RFC 9260 §6.2.
    public var delayedAckTimeout: TimeAmount = .milliseconds(200)
    /// HB.interval. RFC 9260 §8.3.
    public var heartbeatInterval: TimeAmount = .seconds(30)
    /// Valid.Cookie.Life. RFC 9260 §16.
    public var cookieLifetime: TimeAmount = .seconds(60)
    /// Largest user message we reassemble; a bigger one aborts the association (RFC 8831 §6.6
    /// max-message-size).
    public var maxInboundMessageSize: Int = 256 * 1024

    /// Creates the default configuration.
    public init() {}

    /// Largest user-data payload of one DATA chunk in an otherwise empty packet.
    var maxDataPayload: Int { maxPacketSize - SCTPPacket.commonHeaderSize - DataChunk.headerSize }
}

/// How hard the association tries to deliver a message. RFC 3758 §1 (PR-SCTP policies), RFC 8831 §6.1.
public enum SCTPReliability: Equatable, Sendable {
    /// Retransmit until acknowledged.
    case reliable
    /// Abandon the message after this many retransmissions (0: send once).
    case maxRetransmits(Int)
    /// Abandon the message once it has been queued for this long.
    case maxLifetime(TimeAmount)
}

/// A user message delivered by the association. RFC 9260 §6.9, §10.
public struct SCTPMessage: Equatable, Sendable {
    /// Stream identifier.
    public var stream: UInt16
    /// Payload Protocol Identifier.
    public var ppid: UInt32
    /// `true` when it was sent unordered.
    public var unordered: Bool
    /// The reassembled payload.
    public var payload: ByteBuffer

    /// Creates a message.
    public init(stream: UInt16, ppid: UInt32, unordered: Bool, payload: ByteBuffer) {
        self.stream = stream
        self.ppid = ppid
        self.unordered = unordered
        self.payload = payload
    }
}

/// Why an association ended abruptly. RFC 9260 §9.1, §8.1.
public enum SCTPAbortReason: Equatable, Sendable {
    /// The peer sent ABORT with these error causes.
    case peerAborted([SCTPErrorCause])
    /// We called `abort()`.
    case localAbort
    /// Too many retransmissions went unanswered (Association.Max.Retrans or Max.Init.Retransmits).
    case retransmissionLimit
    /// The peer violated the protocol (the reason says how); we sent ABORT.
    case protocolViolation(String)
    /// The peer sent a message larger than `maxInboundMessageSize`; we sent ABORT.
    case messageTooLarge(Int)
}

/// Something the association reports to its user. RFC 9260 §11.2 (ULP notifications).
public enum SCTPEvent: Equatable, Sendable {
    /// The association reached ESTABLISHED (COMMUNICATION UP).
    case connected
    /// A complete user message arrived.
    case message(SCTPMessage)
    /// The peer reset these streams (our incoming side): their sequence numbers restart at 0. RFC 6525 §5.2.2.
    case incomingStreamsReset([UInt16])
    /// Our reset request for these outgoing streams succeeded. RFC 6525 §5.2.4.
    case outgoingStreamsReset([UInt16])
    /// The peer refused to reset these outgoing streams. RFC 6525 §5.2.4.
    case streamResetFailed([UInt16])
    /// The SHUTDOWN sequence completed. RFC 9260 §9.2.
    case closed
    /// The association was aborted. RFC 9260 §9.1.
    case aborted(SCTPAbortReason)
}

/// Why `send` refused a message.
public enum SCTPSendError: Error, Equatable, Sendable {
    /// The association is not ESTABLISHED (or is shutting down). RFC 9260 §9.2.
    case notEstablished
    /// SCTP cannot carry an empty user message. RFC 9260 §3.3.1.
    case emptyMessage
    /// The stream id is not below the negotiated number of outbound streams. RFC 9260 §5.1.1.
    case invalidStream(UInt16)
    /// The stream is being reset and accepts no new messages. RFC 6525 §5.1.2.
    case streamResetting(UInt16)
    /// The peer does not support stream reset (RE-CONFIG). RFC 6525 §5.
    case reconfigNotSupported
}

/// Association states. RFC 9260 §4.
public enum SCTPState: Equatable, Sendable {
    /// No association.
    case closed
    /// INIT sent, waiting for INIT ACK.
    case cookieWait
    /// COOKIE ECHO sent, waiting for COOKIE ACK.
    case cookieEchoed
    /// Data may flow.
    case established
    /// Our user asked to shut down; draining outstanding data.
    case shutdownPending
    /// SHUTDOWN sent.
    case shutdownSent
    /// SHUTDOWN received; draining our outstanding data.
    case shutdownReceived
    /// SHUTDOWN ACK sent.
    case shutdownAckSent
}
