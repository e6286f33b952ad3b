import NIOCore
import RTCSCTP

/// Our DTLS role, which decides stream-id parity: the DTLS client uses even ids, the server
/// odd ones. RFC 8832 §6.
public enum DataChannelRole: Sendable, Equatable {
    /// We are the DTLS client: even stream ids.
    case dtlsClient
    /// We are the DTLS server: odd stream ids.
    case dtlsServer
}

/// How a channel delivers messages. RFC 8831 §6.1, W3C `RTCDataChannelInit`.
public struct DataChannelOptions: Sendable, Equatable {
    /// In-order delivery (`true`, the default) or unordered.
    public var ordered: Bool = true
    /// Abandon a message after this many retransmissions (partial reliability). Exclusive with `maxPacketLifeTime`.
    public var maxRetransmits: Int?
    /// Abandon a message after this long (partial reliability). Exclusive with `maxRetransmits`.
    public var maxPacketLifeTime: TimeAmount?
    /// A pre-agreed stream id: the channel is negotiated out of band and no DCEP is sent. RFC 8832 §6.
    public var negotiatedID: UInt16?
    /// The sub-protocol name carried in DATA_CHANNEL_OPEN.
    public var `protocol`: String = ""
    /// The priority carried in DATA_CHANNEL_OPEN. RFC 8832 §5.1.
    public var priority: UInt16 = 256

    /// Creates options (reliable, ordered by default).
    public init(ordered: Bool = true, maxRetransmits: Int? = nil, maxPacketLifeTime: TimeAmount? = nil,
                negotiatedID: UInt16? = nil, protocol: String = "", priority: UInt16 = 256) {
        self.ordered = ordered
        self.maxRetransmits = maxRetransmits
        self.maxPacketLifeTime = maxPacketLifeTime
        self.negotiatedID = negotiatedID
        self.protocol = `protocol`
        self.priority = priority
    }

    var reliability: SCTPReliability {
        if let n = maxRetransmits { return .maxRetransmits(n) }
        if let t = maxPacketLifeTime { return .maxLifetime(t) }
        return .reliable
    }
}

/// A data channel message: text (UTF-8) or binary. RFC 8831 §6.6.
public enum DataChannelMessage: Equatable, Sendable {
    /// A string message (PPID 51, or 56 when empty).
    case text(String)
    /// A binary message (PPID 53, or 57 when empty).
    case binary(ByteBuffer)
}

/// The life cycle of a channel (W3C `RTCDataChannelState`). RFC 8831 §6.7.
public enum DataChannelState: Sendable, Equatable {
    /// Created, waiting for the association.
    case connecting
    /// Messages may be sent.
    case open
    /// Its streams are being reset.
    case closing
    /// Both directions reset; the id is free again.
    case closed
}

/// What is known about one channel.
public struct DataChannelInfo: Sendable, Equatable {
    /// The SCTP stream id (W3C `id`).
    public var id: UInt16
    /// The label.
    public var label: String
    /// The options (reliability, protocol, negotiation).
    public var options: DataChannelOptions
    /// The current state.
    public var state: DataChannelState
    /// `bufferedAmount` at or below which `.bufferedAmountLow` fires.
    public var bufferedAmountLowThreshold: Int = 0
}

/// What a `DataChannelManager` reports.
public enum DataChannelEvent: Sendable, Equatable {
    /// The SCTP association is up; channels can open.
    case associationEstablished
    /// A channel we created is open.
    case opened(UInt16)
    /// The peer opened a channel with DATA_CHANNEL_OPEN; it is open. RFC 8832 §6.
    case peerOpened(DataChannelInfo)
    /// A message arrived on a channel.
    case message(UInt16, DataChannelMessage)
    /// The channel's buffered amount fell to its low threshold.
    case bufferedAmountLow(UInt16)
    /// The channel is closing (we or the peer reset its stream).
    case closing(UInt16)
    /// The channel is closed on both sides. RFC 8831 §6.7.
    case closed(UInt16)
    /// The association shut down gracefully; every channel is closed.
    case associationClosed
    /// The association was aborted; every channel is closed.
    case associationFailed(SCTPAbortReason)
}

/// Why a data-channel operation failed.
public enum DataChannelError: Error, Sendable, Equatable {
    /// The message exceeds the peer's `max-message-size`. RFC 8841 §6.
    case messageTooLarge(size: Int, limit: Int)
    /// No channel has this id.
    case unknownChannel(UInt16)
    /// The channel is not open.
    case channelNotOpen(UInt16)
    /// The id is already used by another channel.
    case idInUse(UInt16)
    /// Every stream id of our parity is in use.
    case noStreamIdAvailable
    /// `maxRetransmits` and `maxPacketLifeTime` were both set. W3C `createDataChannel` step 12.
    case conflictingReliability
    /// The association refused the operation.
    case association(SCTPSendError)
}

/// Settings of a `DataChannelManager`.
public struct DataChannelConfiguration: Sendable {
    /// Our DTLS role (stream-id parity).
    public var role: DataChannelRole
    /// The SCTP association settings. `maxInboundMessageSize` is overridden by `localMaxMessageSize`.
    public var sctp: SCTPConfiguration
    /// The `max-message-size` we advertise in SDP: larger incoming messages abort the association. RFC 8841 §6.
    public var localMaxMessageSize: Int
    /// The peer's `max-message-size` from its SDP (0 means no limit): larger sends fail. RFC 8841 §6.
    public var remoteMaxMessageSize: Int

    /// Creates a configuration; both message-size limits default to 256 KiB.
    public init(role: DataChannelRole, sctp: SCTPConfiguration = SCTPConfiguration(),
                localMaxMessageSize: Int = 256 * 1024, remoteMaxMessageSize: Int = 256 * 1024) {
        self.role = role
        self.sctp = sctp
        self.localMaxMessageSize = localMaxMessageSize
        self.remoteMaxMessageSize = remoteMaxMessageSize
    }
}
