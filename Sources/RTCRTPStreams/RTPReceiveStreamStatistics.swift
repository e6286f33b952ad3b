import NIOCore
import RTCRTP

/// Why a receive stream dropped an input instead of using it. Every drop is counted in
/// ``RTPReceiveStreamStatistics/drops``; none stops the stream.
public enum RTPReceiveDropReason: Hashable, Sendable, CaseIterable {
    /// The RTP packet could not be parsed (truncated, wrong version, bad lengths or padding).
    case malformedRTP
    /// The RTCP datagram could not be parsed.
    case malformedRTCP
    /// The packet's SSRC is neither the media nor the RTX SSRC of this stream.
    case unknownSSRC
    /// The payload type is not the negotiated media (or RTX) payload type.
    case unknownPayloadType
    /// An RTX packet without an original payload (padding sent to probe bandwidth).
    case paddingOnly
    /// A packet whose sequence number is already buffered.
    case duplicate
    /// A packet whose frame was already delivered or given up (a duplicate or a retransmission
    /// that came too late).
    case late
    /// A sequence number too far from the expected one (RFC 3550 A.1), or an RTX packet
    /// repairing a packet never announced.
    case sequenceJump
}

/// Counters of one receive stream.
public struct RTPReceiveStreamStatistics: Hashable, Sendable {
    /// Original media packets accepted (padding-only ones included).
    public var packetsReceived = 0
    /// Payload octets in them.
    public var payloadBytesReceived = 0
    /// Padding-only media packets (they hold a sequence number and nothing else).
    public var paddingPacketsReceived = 0
    /// Retransmissions unwrapped and accepted.
    public var retransmissionsReceived = 0
    /// Inputs dropped, by reason.
    public var drops: [RTPReceiveDropReason: Int] = [:]
    /// The parse error of the last malformed RTP packet.
    public var lastRTPParseError: RTPParseError?
    /// The parse error of the last malformed RTCP datagram.
    public var lastRTCPParseError: RTCPParseError?
    /// Frames delivered.
    public var framesDelivered = 0
    /// Key frames among them.
    public var keyFramesDelivered = 0
    /// Frames given up because packets never arrived.
    public var framesDroppedIncomplete = 0
    /// Complete frames the depacketizer refused.
    public var framesUndecodable = 0
    /// Complete frames discarded while waiting for a key frame after a loss.
    public var framesDiscardedWaitingForKeyFrame = 0
    /// Generic NACKs sent.
    public var nacksSent = 0
    /// Packet requests in them.
    public var nackRequests = 0
    /// Packets the NACK generator gave up.
    public var nackGiveUps = 0
    /// PLIs sent.
    public var pictureLossIndicationsSent = 0
    /// Receiver reports sent.
    public var receiverReportsSent = 0
    /// Sender reports received from the media source.
    public var senderReportsReceived = 0
    /// Times the sender restarted its sequence (RFC 3550 A.1) and the stream started over.
    public var restarts = 0
    /// When the last original media packet was accepted (W3C `lastPacketReceivedTimestamp`,
    /// on the stream's own clock: the edge turns it into wall-clock time).
    public var lastPacketReceivedAt: NIODeadline?

    /// Creates zeroed counters.
    public init() {}

    /// Inputs dropped for `reason`.
    public func dropped(_ reason: RTPReceiveDropReason) -> Int { drops[reason, default: 0] }

    /// Inputs dropped for any reason.
    public var totalDropped: Int { drops.values.reduce(0, +) }
}
