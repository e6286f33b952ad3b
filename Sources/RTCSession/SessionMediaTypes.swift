@_exported import enum RTCRTP.RTPCodec
@_exported import struct RTCRTP.RTPHeader
@_exported import struct RTCRTP.RTPPacket
@_exported import struct RTCRTP.RTPAudioLevel
@_exported import struct RTCRTPStreams.NTPClock
@_exported import struct RTCRTPStreams.ReceivedFrame
@_exported import struct RTCRTPStreams.RTPRemoteReceptionReport
@_exported import enum RTCSDP.MediaDirection
import NIOCore
import RTCRTP
import RTCRTPStreams
import RTCSDP

/// What a transceiver sends, as the session sees a local track: its id, the streams it belongs
/// to (`a=msid`, RFC 8830) and the codec its frames are encoded with.
public struct SessionMediaSender: Hashable, Sendable {
    /// The track id (the msid "appdata").
    public var trackID: String
    /// The MediaStream ids; empty writes `a=msid:- <track>`.
    public var streamIDs: [String]
    /// The codec of the frames the app will send; the transceiver offers this codec only.
    public var codec: RTPCodec
    /// Whether packets carry the client-to-mixer audio level (RFC 6464) when negotiated, as
    /// given to `sendRTP` (what a mixer or an SFU's active-speaker detection reads).
    public var sendsAudioLevel = false

    /// Creates a sender description.
    public init(trackID: String, streamIDs: [String] = [], codec: RTPCodec, sendsAudioLevel: Bool = false) {
        self.trackID = trackID
        self.streamIDs = streamIDs
        self.codec = codec
        self.sendsAudioLevel = sendsAudioLevel
    }
}

/// A transceiver's state as the API shows it (W3C `RTCRtpTransceiver`).
public struct SessionTransceiverInfo: Hashable, Sendable {
    /// The handle `addTransceiver` returned (or the one a remote offer created).
    public var handle: Int
    /// Audio or video.
    public var kind: RTPCodec.Kind
    /// The mid, once the transceiver was in an offer or answer.
    public var mid: String?
    /// The direction this side wants.
    public var direction: MediaDirection
    /// The direction the last completed negotiation settled on, `nil` before one.
    public var currentDirection: MediaDirection?
    /// Whether the transceiver was stopped (by us, by the peer, or rejected in negotiation).
    public var isStopped: Bool
    /// What the sender sends, when it has a track.
    public var sender: SessionMediaSender?
    /// The codec negotiated for sending, once negotiation settled with a sending direction.
    public var sendCodec: RTPCodec?
    /// The sender's media SSRC.
    public var ssrc: UInt32
    /// Whether the sender ever had a track (W3C: `addTrack` reuses only a transceiver whose
    /// sender never had one).
    public var senderEverHadTrack: Bool
}

/// A track the peer sends, announced when a remote description makes a transceiver receive
/// (W3C `track` event, webrtc-pc §5.1.1).
public struct SessionRemoteTrack: Hashable, Sendable {
    /// The transceiver that receives it.
    public var handle: Int
    /// The transceiver's mid.
    public var mid: String
    /// Audio or video.
    public var kind: RTPCodec.Kind
    /// The peer's track id from its `a=msid` (the mid when it wrote none).
    public var trackID: String
    /// The peer's stream ids from its `a=msid`.
    public var streamIDs: [String]
}

/// One received frame and the codec it is encoded with.
public struct ReceivedMediaFrame: Hashable, Sendable {
    /// The codec.
    public var codec: RTPCodec
    /// The frame: bytes, key-frame flag, RTP timestamp, capture time.
    public var frame: ReceivedFrame
    /// The media SSRC it came on.
    public var ssrc: UInt32
}

extension SessionEvent {
    /// What the media transceivers report; `handle` names the transceiver.
    public enum Media: Sendable {
        /// The peer started sending a track on a transceiver (a remote description said so).
        case trackAdded(SessionRemoteTrack)
        /// The peer stopped sending on a transceiver (direction changed, transceiver stopped or
        /// the session closed): the track ends.
        case trackEnded(handle: Int)
        /// A whole frame arrived (for transceivers that deliver frames).
        case frame(handle: Int, ReceivedMediaFrame)
        /// An RTP packet arrived, SRTP removed and RTX unwrapped… as received (for transceivers
        /// that deliver packets, e.g. to a forwarder).
        case packet(handle: Int, RTPPacket)
        /// The peer asked for a key frame on what we send (PLI or FIR): encode or pick one soon.
        case keyFrameRequested(handle: Int)
        /// Negotiation settled what a sending transceiver sends: codec and payload type.
        case sending(handle: Int, codec: RTPCodec, payloadType: UInt8)
        /// The peer reported on what a transceiver sends: a reception report (loss, jitter,
        /// round trip; RFC 3550 §6.4) or its estimate of the bitrate it can take (REMB) — what a
        /// sender or a forwarder adapts its bitrate or simulcast layer to.
        case senderFeedback(handle: Int, SessionSenderFeedback)
        /// The send-side estimate of what the path to the peer carries, in bits per second, from
        /// its transport-wide congestion control feedback (transport-cc negotiated; a delay-based
        /// estimate after draft-ietf-rmcat-gcc-02, `TransportWideCCEstimator`). Transport-wide,
        /// so for the whole session; reported when it changes by more than 5 %, and at least
        /// once a second while feedback comes.
        case bandwidthEstimate(bitsPerSecond: UInt64)
        /// Something went wrong on a transceiver (or, with no handle, in media negotiation as a
        /// whole); `reason` says what (e.g. the peer's answer has no codec our track is encoded with).
        case error(handle: Int?, reason: String)
    }
}

/// What the peer said about one of our sending streams (``SessionEvent/Media/senderFeedback(handle:_:)``).
public enum SessionSenderFeedback: Hashable, Sendable {
    /// A reception report block about the stream (from the peer's SR or RR).
    case receptionReport(RTPRemoteReceptionReport)
    /// The peer's receiver-estimated maximum bitrate for the streams it listed, in bits per
    /// second (REMB, draft-alvestrand-rmcat-remb-03).
    case estimatedBitrate(bitsPerSecond: UInt64)
}

/// What a receiving transceiver hands up: assembled frames, raw packets, or both.
public struct MediaDelivery: OptionSet, Hashable, Sendable {
    /// The raw value.
    public var rawValue: UInt8
    /// Creates a delivery set.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Whole frames (`.media(.frame)`), after reordering, NACK and RTX repair.
    public static let frames = MediaDelivery(rawValue: 1)
    /// Each RTP packet as it arrives (`.media(.packet)`), for forwarders.
    public static let packets = MediaDelivery(rawValue: 2)
}

/// Counters of one transceiver (W3C webrtc-stats `outbound-rtp` / `inbound-rtp`, summed over
/// its SSRCs).
public struct SessionMediaStatistics: Hashable, Sendable {
    /// Frames handed to the sender.
    public var framesSent = 0
    /// RTP packets sent (including retransmissions).
    public var packetsSent = 0
    /// Payload bytes sent.
    public var bytesSent = 0
    /// NACKed packets retransmitted.
    public var retransmittedPacketsSent = 0
    /// Key frames the peer asked for (PLI, FIR).
    public var keyFrameRequestsReceived = 0
    /// RTP packets received (media SSRCs).
    public var packetsReceived = 0
    /// Payload bytes received.
    public var bytesReceived = 0
    /// Frames delivered.
    public var framesReceived = 0
    /// Key frames delivered.
    public var keyFramesReceived = 0
    /// Frames dropped (incomplete, undecodable, waiting for a key frame).
    public var framesDropped = 0
    /// NACK requests sent.
    public var nacksSent = 0
    /// PLIs sent.
    public var pictureLossIndicationsSent = 0
    /// Cumulative packets lost, from the receive statistics (RFC 3550 A.3).
    public var packetsLost = 0
    /// Interarrival jitter in seconds (RFC 3550 A.8).
    public var jitter = 0.0
    /// Round-trip time from RTCP, when known.
    public var roundTripTime: TimeAmount?

    /// Zero counters.
    public init() {}
}
