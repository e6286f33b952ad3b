/// The type of a stats entry (W3C webrtc-stats §3.1 `RTCStatsType`); the raw value is the
/// W3C string.
public enum RTCStatsType: String, Codable, Sendable, Hashable, CaseIterable {
    /// The connection as a whole (`RTCPeerConnectionStats`).
    case peerConnection = "peer-connection"
    /// The BUNDLE transport: ICE + DTLS (`RTCTransportStats`).
    case transport
    /// An ICE candidate pair (`RTCIceCandidatePairStats`).
    case candidatePair = "candidate-pair"
    /// A local ICE candidate (`RTCIceCandidateStats`).
    case localCandidate = "local-candidate"
    /// A remote ICE candidate (`RTCIceCandidateStats`).
    case remoteCandidate = "remote-candidate"
    /// A DTLS certificate (`RTCCertificateStats`).
    case certificate
    /// A data channel (`RTCDataChannelStats`).
    case dataChannel = "data-channel"
    /// A negotiated codec in use (`RTCCodecStats`).
    case codec
    /// A stream received (`RTCInboundRtpStreamStats`).
    case inboundRTP = "inbound-rtp"
    /// A stream sent (`RTCOutboundRtpStreamStats`).
    case outboundRTP = "outbound-rtp"
    /// A stream sent, as the peer's reception reports describe it (`RTCRemoteInboundRtpStreamStats`).
    case remoteInboundRTP = "remote-inbound-rtp"
    /// The track feeding a sender (`RTCMediaSourceStats`).
    case mediaSource = "media-source"
}

/// One entry of an ``RTCStatsReport`` with the W3C webrtc-stats field names: `id`, `type`,
/// `timestamp` and the fields of its type, each optional and encoded only when present, so
/// the JSON has the shape a browser's `getStats()` gives.
///
/// Times are W3C `DOMHighResTimeStamp`s (milliseconds since the Unix epoch); round-trip times
/// and jitter are in seconds; byte counts are payload bytes as the W3C definitions say.
public struct RTCStats: Codable, Sendable, Hashable {
    /// The entry's id, unique in its report and stable across reports of one connection.
    public var id: String
    /// What the entry describes.
    public var type: RTCStatsType
    /// When the entry was made (ms since the epoch).
    public var timestamp: Double

    // MARK: peer-connection

    /// Data channels that reached `open`.
    public var dataChannelsOpened: Int?
    /// Data channels that closed after being open.
    public var dataChannelsClosed: Int?

    // MARK: transport

    /// `new`, `connecting`, `connected`, `closed` or `failed`.
    public var dtlsState: String?
    /// The ICE transport's state (`new`, `checking`, `connected`, …).
    public var iceState: String?
    /// The `candidate-pair` entry of the selected pair.
    public var selectedCandidatePairId: String?
    /// The `certificate` entry of our certificate.
    public var localCertificateId: String?
    /// The `certificate` entry of the peer's certificate.
    public var remoteCertificateId: String?
    /// `FEFD` for DTLS 1.2.
    public var tlsVersion: String?
    /// The IANA name of the DTLS cipher suite.
    public var dtlsCipher: String?
    /// The SRTP protection profile's name.
    public var srtpCipher: String?
    /// `client`, `server` or `unknown`.
    public var dtlsRole: String?
    /// `controlling` or `controlled`.
    public var iceRole: String?
    /// Our ICE username fragment.
    public var iceLocalUsernameFragment: String?
    /// How many times a pair was selected.
    public var selectedCandidatePairChanges: Int?

    // MARK: transport, candidate-pair, data-channel, RTP streams

    /// The `transport` entry this entry belongs to.
    public var transportId: String?
    /// Packets sent (application datagrams for transport and pair; RTP packets for streams).
    public var packetsSent: Int?
    /// Packets received.
    public var packetsReceived: Int?
    /// Bytes sent (payload bytes for RTP streams and data channels).
    public var bytesSent: Int?
    /// Bytes received.
    public var bytesReceived: Int?

    // MARK: candidate-pair

    /// The `local-candidate` entry.
    public var localCandidateId: String?
    /// The `remote-candidate` entry.
    public var remoteCandidateId: String?
    /// `frozen`, `waiting`, `in-progress`, `succeeded` or `failed` (also a data channel's state).
    public var state: String?
    /// Whether the pair was nominated.
    public var nominated: Bool?
    /// The latest STUN round-trip time, in seconds.
    public var currentRoundTripTime: Double?
    /// The sum of every round-trip time measured (STUN on a pair, reception reports for
    /// remote-inbound-rtp), in seconds.
    public var totalRoundTripTime: Double?
    /// Connectivity-check and consent requests sent.
    public var requestsSent: Int?
    /// Check requests received.
    public var requestsReceived: Int?
    /// Responses sent to the peer's checks.
    public var responsesSent: Int?
    /// Responses received to our requests.
    public var responsesReceived: Int?
    /// Consent-freshness requests sent.
    public var consentRequestsSent: Int?
    /// When application data last left on the pair.
    public var lastPacketSentTimestamp: Double?
    /// When application data (or, for `inbound-rtp`, a media packet) last arrived.
    public var lastPacketReceivedTimestamp: Double?

    // MARK: candidate-pair, local-candidate, remote-candidate

    /// The pair's priority (RFC 8445 §6.1.2.3) or the candidate's (§5.1.2).
    public var priority: UInt64?

    // MARK: local-candidate, remote-candidate

    /// The candidate's IP address.
    public var address: String?
    /// The candidate's port.
    public var port: Int?
    /// `udp`.
    public var `protocol`: String?
    /// `host`, `srflx`, `prflx` or `relay`.
    public var candidateType: String?
    /// The candidate's foundation.
    public var foundation: String?
    /// The ICE username fragment the candidate belongs to.
    public var usernameFragment: String?
    /// The related address of a reflexive or relayed candidate.
    public var relatedAddress: String?
    /// The related port.
    public var relatedPort: Int?
    /// How a relayed local candidate reaches its TURN server (`udp` or `tcp`).
    public var relayProtocol: String?
    /// The TURN server of a relayed local candidate (`turn:host:port?transport=udp`).
    public var url: String?

    // MARK: certificate

    /// The fingerprint, upper-case hex bytes joined by `:`.
    public var fingerprint: String?
    /// The fingerprint's hash function (`sha-256`).
    public var fingerprintAlgorithm: String?
    /// The DER certificate in base64.
    public var base64Certificate: String?

    // MARK: data-channel

    /// The channel's label.
    public var label: String?
    /// The SCTP stream id.
    public var dataChannelIdentifier: Int?
    /// Messages sent.
    public var messagesSent: Int?
    /// Messages received.
    public var messagesReceived: Int?

    // MARK: codec

    /// The RTP payload type.
    public var payloadType: Int?
    /// `audio/opus`, `video/VP8`, …
    public var mimeType: String?
    /// The RTP clock rate.
    public var clockRate: Int?
    /// Audio channels.
    public var channels: Int?
    /// The `a=fmtp` parameters.
    public var sdpFmtpLine: String?

    // MARK: RTP streams

    /// The media SSRC.
    public var ssrc: UInt32?
    /// `audio` or `video`.
    public var kind: String?
    /// The `codec` entry.
    public var codecId: String?
    /// The transceiver's mid.
    public var mid: String?
    /// The track id (the peer's `a=msid` for inbound streams; ours for media sources).
    public var trackIdentifier: String?
    /// Cumulative packets lost (inbound: as we count it; remote-inbound: as the peer reported).
    public var packetsLost: Int?
    /// Interarrival jitter in seconds.
    public var jitter: Double?
    /// Whole video frames received.
    public var framesReceived: Int?
    /// Video frames given up (incomplete, or refused while waiting for a key frame).
    public var framesDropped: Int?
    /// Generic NACKs (sent for inbound, received for outbound).
    public var nackCount: Int?
    /// PLIs (sent for inbound, received for outbound).
    public var pliCount: Int?
    /// FIRs (sent for inbound, received for outbound).
    public var firCount: Int?
    /// Video frames sent.
    public var framesSent: Int?
    /// RTP header bytes sent.
    public var headerBytesSent: Int?
    /// Retransmitted packets sent.
    public var retransmittedPacketsSent: Int?
    /// Retransmitted bytes sent.
    public var retransmittedBytesSent: Int?
    /// The RTX SSRC of a stream.
    public var rtxSsrc: UInt32?
    /// The `media-source` entry feeding an outbound stream.
    public var mediaSourceId: String?
    /// The `remote-inbound-rtp` entry of an outbound stream.
    public var remoteId: String?

    // MARK: media-source

    /// Video frames the source produced (written to the track).
    public var frames: Int?

    // MARK: remote-inbound-rtp

    /// The `outbound-rtp` entry the peer's reports are about.
    public var localId: String?
    /// The fraction lost in the last report (0…1).
    public var fractionLost: Double?
    /// The round-trip time from the last report, in seconds.
    public var roundTripTime: Double?
    /// How many reports gave a round-trip time (`totalRoundTripTime` sums them).
    public var roundTripTimeMeasurements: Int?

    /// Creates an entry with only its id, type and timestamp; set the fields of its type.
    public init(id: String, type: RTCStatsType, timestamp: Double) {
        self.id = id
        self.type = type
        self.timestamp = timestamp
    }
}
