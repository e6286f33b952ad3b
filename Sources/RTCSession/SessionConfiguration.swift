import NIOCore
import RTCCore

/// Settings of one `RTCSession`.
public struct SessionConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates.
    public var stunServers: [TransportAddress] = []
    /// Whether loopback addresses become host candidates.
    public var includeLoopback: Bool = true
    /// The `max-message-size` we advertise (RFC 8841 §6), in bytes.
    public var maxMessageSize: Int = 262_144
    /// The largest DTLS datagram we send.
    public var dtlsMTU: Int = 1200
    /// A channel reports `bufferedAmountLow` when its queued bytes fall to this or below.
    public var bufferedAmountLowThreshold: Int = 512 * 1024

    /// The defaults.
    public init() {}
}

/// Why a session operation was refused. Each case says what to do instead.
public enum SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The description was applied in the wrong signaling state.
    case invalidSignalingState(InvalidSignalingStateError)
    /// The SDP could not be parsed.
    case invalidSDP(String)
    /// The SDP parsed but lacks what WebRTC needs (ICE credentials, fingerprint, setup, …).
    case incompatibleDescription(String)
    /// `createAnswer` was called without a remote offer.
    case noRemoteOffer
    /// A trickled candidate could not be used.
    case invalidCandidate(String)
    /// The data channel (by handle) does not exist, or is not open.
    case unknownDataChannel(Int)
    /// The message is larger than the peer's `max-message-size`.
    case messageTooLarge(size: Int, limit: Int)
    /// Data channel options that contradict each other (e.g. both maxRetransmits and maxPacketLifeTime).
    case invalidDataChannelOptions(String)
    /// No SCTP stream id is left for a new channel.
    case noStreamAvailable
    /// The session is closed.
    case closed

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .invalidSignalingState(let e): return e.description
        case .invalidSDP(let reason): return "the SDP could not be parsed: \(reason)"
        case .incompatibleDescription(let reason): return "the description cannot be used: \(reason)"
        case .noRemoteOffer: return "createAnswer needs a remote offer: call setRemoteDescription(offer) first"
        case .invalidCandidate(let reason): return "the ICE candidate cannot be used: \(reason)"
        case .unknownDataChannel(let id): return "data channel #\(id) does not exist or is not open"
        case .messageTooLarge(let size, let limit): return "message of \(size) bytes exceeds the peer's max-message-size \(limit)"
        case .invalidDataChannelOptions(let reason): return "invalid data channel options: \(reason)"
        case .noStreamAvailable: return "no SCTP stream id is available for another data channel"
        case .closed: return "the session is closed"
        }
    }
}

/// What the session reports; drain with `RTCSession.pollEvent()`.
public enum SessionEvent: Sendable {
    /// A local candidate to trickle to the peer.
    case localCandidate(ICECandidateInit)
    /// Gathering progressed.
    case gatheringStateChanged(ICEGatheringState)
    /// The ICE transport's state changed.
    case iceConnectionStateChanged(ICEConnectionState)
    /// The aggregate connection state changed.
    case connectionStateChanged(PeerConnectionState)
    /// The signaling state changed.
    case signalingStateChanged(SignalingState)
    /// A data channel opened (created locally or announced by the peer).
    case dataChannelOpened(DataChannelInfo)
    /// A message arrived on a channel.
    case dataChannelMessage(handle: Int, DataChannelMessage)
    /// A channel started closing.
    case dataChannelClosing(handle: Int)
    /// A channel closed (both directions of its stream reset, or the association ended).
    case dataChannelClosed(handle: Int)
    /// A channel hit an error.
    case dataChannelError(handle: Int, reason: String)
    /// A channel's buffered amount fell to or below the low threshold.
    case bufferedAmountLow(handle: Int)
}

/// Counters of a session (shaped after W3C webrtc-stats: transport, candidate-pair, data-channel).
public struct SessionStatistics: Sendable, Hashable {
    /// Datagrams received.
    public var datagramsReceived = 0
    /// Datagrams sent.
    public var datagramsSent = 0
    /// Bytes received (UDP payload).
    public var bytesReceived = 0
    /// Bytes sent (UDP payload).
    public var bytesSent = 0
    /// Data-channel messages sent.
    public var messagesSent = 0
    /// Data-channel messages received.
    public var messagesReceived = 0
    /// Datagrams that no layer accepted (unknown first byte, no DTLS yet, …).
    public var datagramsDropped = 0
    /// Remote candidates accepted but not used: TCP, mDNS `.local` names, other components,
    /// or early ones beyond the queue kept before the remote description.
    public var remoteCandidatesIgnored = 0
    /// The selected candidate pair, `local -> remote`, when there is one.
    public var selectedCandidatePair: String?

    /// Zero counters.
    public init() {}
}
