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

/// How a data channel is created (W3C `RTCDataChannelInit`). RFC 8831 §6.1, RFC 8832 §5.1.
public struct DataChannelOptions: Sendable, Hashable {
    /// Deliver messages in the order they were sent (default `true`).
    public var ordered: Bool = true
    /// Give up on a message after this many retransmissions (partial reliability, RFC 3758).
    /// Mutually exclusive with `maxPacketLifeTime`.
    public var maxRetransmits: Int?
    /// Give up on a message this long after it was first sent (partial reliability, RFC 3758).
    /// Mutually exclusive with `maxRetransmits`; carried in DATA_CHANNEL_OPEN in milliseconds.
    public var maxPacketLifeTime: Duration?
    /// The sub-protocol name carried in DATA_CHANNEL_OPEN. RFC 8832 §5.1.
    public var `protocol`: String = ""
    /// A pre-agreed SCTP stream id: the channel is "negotiated" out of band and no DCEP
    /// OPEN/ACK is exchanged; both sides must create it with the same id. RFC 8832 §6.
    public var negotiatedID: UInt16?
    /// The priority carried in DATA_CHANNEL_OPEN (256 is "low", the W3C default). RFC 8832 §5.1.
    public var priority: UInt16 = 256

    /// Reliable, ordered, not negotiated.
    public init(ordered: Bool = true, maxRetransmits: Int? = nil, maxPacketLifeTime: Duration? = nil,
                protocol: String = "", negotiatedID: UInt16? = nil, priority: UInt16 = 256) {
        self.ordered = ordered
        self.maxRetransmits = maxRetransmits
        self.maxPacketLifeTime = maxPacketLifeTime
        self.protocol = `protocol`
        self.negotiatedID = negotiatedID
        self.priority = priority
    }

    /// `maxPacketLifeTime` in whole milliseconds, clamped to what DATA_CHANNEL_OPEN carries.
    var maxPacketLifeTimeMilliseconds: UInt32? {
        guard let t = maxPacketLifeTime else { return nil }
        let (seconds, attoseconds) = t.components
        guard seconds >= 0 else { return 0 }
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return UInt32.max }
        return UInt32(clamping: ms &+ attoseconds / 1_000_000_000_000_000)
    }

    /// The SCTP partial-reliability policy for this channel's messages. RFC 8831 §6.1.
    var reliability: SCTPReliability {
        if let n = maxRetransmits { return .maxRetransmits(max(0, n)) }
        if let ms = maxPacketLifeTimeMilliseconds { return .maxLifetime(.milliseconds(Int64(ms))) }
        return .reliable
    }

    /// The DATA_CHANNEL_OPEN channel type for these options. RFC 8832 §5.1.
    var dcepChannelType: DCEPChannelType {
        if let n = maxRetransmits { return .partialReliableRexmit(UInt32(clamping: n)) }
        if let ms = maxPacketLifeTimeMilliseconds { return .partialReliableTimed(ms) }
        return .reliable
    }

    /// The options a received DATA_CHANNEL_OPEN describes. RFC 8832 §5.1.
    init(channelType: DCEPChannelType, unordered: Bool, priority: UInt16, protocol: String) {
        self.init(ordered: !unordered, protocol: `protocol`, priority: priority)
        switch channelType {
        case .reliable: break
        case .partialReliableRexmit(let n): maxRetransmits = Int(n)
        case .partialReliableTimed(let ms): maxPacketLifeTime = .milliseconds(Int64(ms))
        }
    }
}

/// One data channel message: text (UTF-8) or binary. RFC 8831 §6.6 (PPIDs string / binary).
public enum DataChannelMessage: Sendable, Hashable {
    /// A UTF-8 string message (PPID 51, or 56 for the empty string).
    case text(String)
    /// A binary message (PPID 53, or 57 for the empty message).
    case binary([UInt8])
}

/// The life cycle of a data channel (W3C `RTCDataChannelState`). RFC 8831 §6.7.
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

/// Identity of an open data channel.
public struct DataChannelInfo: Sendable, Hashable {
    /// The handle the channel is known by from its creation on (`createChannel`'s result, or
    /// a new one for a channel the peer opened).
    public var handle: Int
    /// The SCTP stream id (W3C `id`). RFC 8832 §6.
    public var streamID: UInt16
    /// The channel's label.
    public var label: String
    /// Ordering, reliability, protocol, negotiated id.
    public var options: DataChannelOptions

    /// Creates the info.
    public init(handle: Int, streamID: UInt16, label: String, options: DataChannelOptions) {
        self.handle = handle
        self.streamID = streamID
        self.label = label
        self.options = options
    }
}

/// What a `DataChannelManager` reports (its `SansIOCore.Event`). Channels are named by handle.
public enum DataChannelManagerEvent: Sendable, Equatable {
    /// The SCTP association is up; channels can open.
    case associationEstablished
    /// A channel we created is open: the peer acknowledged its DATA_CHANNEL_OPEN (or sent
    /// data on it), or, if negotiated, the association is up. RFC 8832 §6.
    case opened(DataChannelInfo)
    /// The peer opened a channel with DATA_CHANNEL_OPEN; it is open and acknowledged. RFC 8832 §6.
    case peerOpened(DataChannelInfo)
    /// A message arrived on a channel.
    case message(Int, DataChannelMessage)
    /// The channel's buffered amount fell to its low threshold.
    case bufferedAmountLow(Int)
    /// The channel is closing (we or the peer reset its stream).
    case closing(Int)
    /// The channel is closed on both sides, or could not open, or the association ended. RFC 8831 §6.7.
    case closed(Int)
    /// A channel we created could not open (e.g. no stream id was left); `.closed` follows.
    case openFailed(Int, DataChannelError)
    /// The peer sent something malformed or unexpected; it was dropped. `handle` names the
    /// channel on that stream, if there is one.
    case protocolError(handle: Int?, DataChannelProtocolError)
    /// The association shut down gracefully; every channel is closed.
    case associationClosed
    /// The association was aborted; every channel is closed.
    case associationFailed(SCTPAbortReason)
}

/// Why a data-channel operation failed.
public enum DataChannelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message exceeds the peer's `max-message-size`. RFC 8841 §6.
    case messageTooLarge(size: Int, limit: Int)
    /// No channel has this handle (never created, or closed).
    case unknownChannel(Int)
    /// The channel cannot send yet or any more (not open, or closing).
    case channelNotOpen(Int)
    /// The negotiated stream id is already used by another channel.
    case idInUse(UInt16)
    /// Stream id 65535 is reserved. RFC 8831 §6.5.
    case reservedStreamID(UInt16)
    /// Every stream id of our parity is in use.
    case noStreamIdAvailable
    /// `maxRetransmits` and `maxPacketLifeTime` were both set. W3C `createDataChannel`; RFC 8831 §6.1.
    case conflictingReliability
    /// The label is longer than the 65,535 bytes DATA_CHANNEL_OPEN can carry. RFC 8832 §5.1.
    case labelTooLong(bytes: Int)
    /// The protocol is longer than the 65,535 bytes DATA_CHANNEL_OPEN can carry. RFC 8832 §5.1.
    case protocolTooLong(bytes: Int)
    /// The association refused the operation.
    case association(SCTPSendError)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .messageTooLarge(let size, let limit): return "message of \(size) bytes exceeds the peer's max-message-size \(limit)"
        case .unknownChannel(let h): return "data channel #\(h) does not exist"
        case .channelNotOpen(let h): return "data channel #\(h) is not open"
        case .idInUse(let id): return "stream id \(id) is already in use"
        case .reservedStreamID(let id): return "stream id \(id) is reserved"
        case .noStreamIdAvailable: return "no SCTP stream id available"
        case .conflictingReliability: return "set maxRetransmits or maxPacketLifeTime, not both (RFC 8831 §6.1)"
        case .labelTooLong(let n): return "the label is \(n) bytes; at most 65535 fit in DATA_CHANNEL_OPEN"
        case .protocolTooLong(let n): return "the protocol is \(n) bytes; at most 65535 fit in DATA_CHANNEL_OPEN"
        case .association(let e): return "the SCTP association refused: \(e)"
        }
    }
}

/// Something the peer sent that the data-channel layer could not use. RFC 8831 §6.6, RFC 8832 §5.
public enum DataChannelProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A DCEP message (PPID 50) on `stream` did not parse. RFC 8832 §5.
    case malformedDCEP(stream: UInt16, DCEPParseError)
    /// A DATA_CHANNEL_OPEN arrived on a stream that already has a channel. RFC 8832 §6.
    case duplicateOpen(stream: UInt16)
    /// A string message (PPID 51) of `length` bytes on `stream` was not valid UTF-8. RFC 8831 §6.6.
    case invalidUTF8(stream: UInt16, length: Int)
    /// A message with a PPID data channels do not use. RFC 8831 §8.
    case unknownPPID(stream: UInt16, ppid: UInt32)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .malformedDCEP(let s, let e): return "malformed DCEP message on stream \(s): \(e)"
        case .duplicateOpen(let s): return "DATA_CHANNEL_OPEN on stream \(s), which already has a channel"
        case .invalidUTF8(let s, let n): return "a text message of \(n) bytes on stream \(s) was not valid UTF-8"
        case .unknownPPID(let s, let p): return "a message with unknown PPID \(p) on stream \(s)"
        }
    }
}

/// Settings of a `DataChannelManager`.
public struct DataChannelConfiguration: Sendable {
    /// Our DTLS role (stream-id parity), or `nil` while it is not known yet: channels may be
    /// created before; they get stream ids once it is set (`start(role:now:)`). RFC 8832 §6.
    public var role: DataChannelRole?
    /// The SCTP association settings. `maxInboundMessageSize` is overridden by `localMaxMessageSize`.
    public var sctp: SCTPConfiguration
    /// The `max-message-size` we advertise in SDP: larger incoming messages abort the association. RFC 8841 §6.
    public var localMaxMessageSize: Int
    /// The peer's `max-message-size` from its SDP (0 means no limit): larger sends fail. RFC 8841 §6.
    public var remoteMaxMessageSize: Int
    /// The `bufferedAmountLowThreshold` new channels start with (W3C `RTCDataChannel`).
    public var bufferedAmountLowThreshold: Int

    /// Creates a configuration; both message-size limits default to 256 KiB.
    public init(role: DataChannelRole? = nil, sctp: SCTPConfiguration = SCTPConfiguration(),
                localMaxMessageSize: Int = 256 * 1024, remoteMaxMessageSize: Int = 256 * 1024,
                bufferedAmountLowThreshold: Int = 0) {
        self.role = role
        self.sctp = sctp
        self.localMaxMessageSize = localMaxMessageSize
        self.remoteMaxMessageSize = remoteMaxMessageSize
        self.bufferedAmountLowThreshold = bufferedAmountLowThreshold
    }
}
