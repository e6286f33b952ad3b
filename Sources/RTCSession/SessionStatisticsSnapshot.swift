import NIOCore
import RTCCore
import RTCICE
import RTCRTP
import RTCRTPStreams
import RTCDataChannel
import RTCSDP

/// Everything the session counts, as one value taken on request (`RTCSession.statisticsSnapshot`):
/// the transport, ICE pairs and candidates, certificates, data channels and media streams. It
/// carries the session's own values (times are `NIODeadline`s of the `now`s it was given);
/// SwiftRTC turns it into the W3C webrtc-stats report, with ids and wall-clock timestamps.
public struct SessionStatisticsSnapshot: Sendable {
    /// The one BUNDLE transport: ICE + DTLS (+ SRTP).
    public var transport: SessionTransportStatistics
    /// The candidate pairs of the current ICE generation.
    public var candidatePairs: [ICECandidatePairStatistics]
    /// Local candidates gathered (host, server-reflexive, relayed) and peer-reflexive ones
    /// learned from checks.
    public var localCandidates: [ICECandidate]
    /// The TURN server of each relayed local candidate, by the candidate's address.
    public var relayServers: [TransportAddress: ICERelayServer]
    /// Remote candidates signaled or learned (peer-reflexive).
    public var remoteCandidates: [ICECandidate]
    /// Our ICE username fragment.
    public var localUsernameFragment: String
    /// The peer's ICE username fragment, once signaled.
    public var remoteUsernameFragment: String?
    /// Our DTLS certificate.
    public var localCertificate: SessionCertificateInfo
    /// The peer's DTLS certificate, once the handshake completed.
    public var remoteCertificate: SessionCertificateInfo?
    /// Every data channel created or opened by the peer, closed ones included.
    public var dataChannels: [SessionDataChannelStatistics]
    /// Data channels that reached `open` (W3C `dataChannelsOpened`).
    public var dataChannelsOpened: Int
    /// Data channels that closed after being open (W3C `dataChannelsClosed`).
    public var dataChannelsClosed: Int
    /// The audio/video transceivers and their streams.
    public var transceivers: [SessionTransceiverStatistics]
}

/// The transport's state and counters (W3C `RTCTransportStats`).
public struct SessionTransportStatistics: Sendable, Hashable {
    /// Application datagrams (DTLS, SRTP, SRTCP) sent, on any pair.
    public var packetsSent: Int
    /// Application datagrams received from the peer.
    public var packetsReceived: Int
    /// Their bytes sent (UDP payload).
    public var bytesSent: Int
    /// Their bytes received.
    public var bytesReceived: Int
    /// The ICE transport's state.
    public var iceState: ICEConnectionState
    /// Whether we control ICE.
    public var iceRole: ICERole
    /// The DTLS transport's state as W3C names it: `new`, `connecting`, `connected`, `closed`, `failed`.
    public var dtlsState: String
    /// Our DTLS role, once known (`client` sends the ClientHello).
    public var dtlsRole: String?
    /// The DTLS version as W3C `tlsVersion` writes it (`FEFD` for DTLS 1.2), once connected.
    public var tlsVersion: String?
    /// The IANA name of the DTLS cipher suite, once connected.
    public var dtlsCipher: String?
    /// The name of the SRTP protection profile (RFC 5764 §4.1.2), once connected with media.
    public var srtpCipher: String?
    /// How many times ICE selected a pair.
    public var selectedCandidatePairChanges: Int
}

/// A DTLS certificate as the stats report it.
public struct SessionCertificateInfo: Sendable, Hashable {
    /// Its SHA-256 fingerprint.
    public var fingerprint: CertificateFingerprint
    /// The DER encoding.
    public var der: [UInt8]

    /// Creates the info.
    public init(fingerprint: CertificateFingerprint, der: [UInt8]) {
        self.fingerprint = fingerprint
        self.der = der
    }
}

/// One data channel's counters (W3C `RTCDataChannelStats`); kept after the channel closed.
public struct SessionDataChannelStatistics: Sendable, Hashable {
    /// The channel's handle.
    public var handle: Int
    /// Its label.
    public var label: String
    /// Its sub-protocol (empty for none).
    public var `protocol`: String
    /// The SCTP stream id, once assigned.
    public var streamID: UInt16?
    /// The channel's state.
    public var state: DataChannelState
    /// Messages queued for sending.
    public var messagesSent = 0
    /// Their bytes (UTF-8 for text).
    public var bytesSent = 0
    /// Messages delivered.
    public var messagesReceived = 0
    /// Their bytes.
    public var bytesReceived = 0
}

/// One transceiver's media streams.
public struct SessionTransceiverStatistics: Sendable {
    /// The transceiver's handle.
    public var handle: Int
    /// Audio or video.
    public var kind: RTPCodec.Kind
    /// Its mid, once negotiated.
    public var mid: String?
    /// What it sends, when it sends.
    public var outbound: SessionOutboundStatistics?
    /// What it receives, one entry per remote media SSRC.
    public var inbound: [SessionInboundStatistics]
}

/// A stream we send (W3C `outbound-rtp`, and `remote-inbound-rtp` from the peer's reports).
public struct SessionOutboundStatistics: Sendable {
    /// The media SSRC.
    public var ssrc: UInt32
    /// The RTX SSRC, when retransmissions go on one.
    public var rtxSSRC: UInt32?
    /// The track id of the sender, when it has a track.
    public var trackID: String?
    /// The negotiated codec it sends.
    public var codec: JSEPCodec?
    /// The send stream's counters, including what the peer's reception reports said.
    public var counters: RTPSendStreamStatistics
}

/// A stream we receive (W3C `inbound-rtp`).
public struct SessionInboundStatistics: Sendable {
    /// The peer's media SSRC.
    public var ssrc: UInt32
    /// The peer's RTX SSRC for it, once known.
    public var rtxSSRC: UInt32?
    /// The peer's track id (its `a=msid`).
    public var trackID: String?
    /// The negotiated codec it arrives in.
    public var codec: JSEPCodec?
    /// The receive stream's counters.
    public var counters: RTPReceiveStreamStatistics
    /// Cumulative packets lost (RFC 3550 A.3).
    public var packetsLost: Int64
    /// Interarrival jitter in seconds (RFC 3550 A.8).
    public var jitter: Double
}

/// What the session counts for the statistics beyond `SessionStatistics`: per data channel,
/// kept after the manager forgot a closed channel.
struct SessionStatisticsCounters: Sendable {
    var dataChannels: [Int: SessionDataChannelStatistics] = [:]
    var dataChannelsOpened = 0
    var dataChannelsClosed = 0

    mutating func created(_ handle: Int, label: String, options: DataChannelOptions) {
        dataChannels[handle] = SessionDataChannelStatistics(handle: handle, label: label, protocol: options.protocol,
                                                            streamID: options.negotiatedID, state: .connecting)
    }

    mutating func opened(_ info: DataChannelInfo) {
        dataChannelsOpened += 1
        var entry = dataChannels[info.handle]
            ?? SessionDataChannelStatistics(handle: info.handle, label: info.label, protocol: info.options.protocol, state: .open)
        entry.streamID = info.streamID
        entry.state = .open
        dataChannels[info.handle] = entry
    }

    mutating func setState(_ state: DataChannelState, of handle: Int) {
        guard let previous = dataChannels[handle]?.state, previous != .closed else { return }
        if state == .closed, previous == .open || previous == .closing { dataChannelsClosed += 1 }
        dataChannels[handle]?.state = state
    }

    mutating func sent(bytes: Int, on handle: Int) {
        dataChannels[handle]?.messagesSent += 1
        dataChannels[handle]?.bytesSent += bytes
    }

    mutating func received(_ message: DataChannelMessage, on handle: Int) {
        dataChannels[handle]?.messagesReceived += 1
        dataChannels[handle]?.bytesReceived += message.byteCount
    }
}

extension DataChannelMessage {
    /// The message's size in bytes (UTF-8 for text), as W3C `bytesSent`/`bytesReceived` count it.
    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}
