import NIOCore
import RTCCore
@_exported import struct RTCICE.ICERelayServer
@_exported import struct RTCICE.ICECandidateError
import RTCRTPStreams
import RTCSDP

/// Settings of one `RTCSession`.
public struct SessionConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates.
    public var stunServers: [TransportAddress] = []
    /// TURN servers (over UDP) for relayed candidates (RFC 8656).
    public var turnServers: [ICERelayServer] = []
    /// Relayed candidates only (W3C `iceTransportPolicy = "relay"`): host addresses are neither
    /// signaled nor used; gathering without a relayed candidate fails ICE.
    public var relayOnly: Bool = false
    /// Whether loopback addresses become host candidates.
    public var includeLoopback: Bool = true
    /// The `max-message-size` we advertise (RFC 8841 §6), in bytes.
    public var maxMessageSize: Int = 262_144
    /// Whether an offered simulcast video section (`a=simulcast:send` with `a=rid … send`,
    /// RFC 8853/8851) is answered `recv` for the same rids, so the peer sends every layer (an
    /// SFU's choice); otherwise the answer omits simulcast and the peer sends one stream.
    public var acceptsSimulcast = false
    /// The largest DTLS datagram we send.
    public var dtlsMTU: Int = 1200
    /// As the DTLS client, SCTP's INIT goes with our Finished (False Start, RFC 7918); a peer
    /// whose DTLS server drops it (Firefox's NSS does) gets it again this long after our
    /// handshake completes, unless its INIT-ACK came first. Short, because that is what a
    /// connection to such a peer waits; a second INIT that crosses a late INIT-ACK costs one
    /// more INIT-ACK (stateless cookies in our SCTP, dcsctp and usrsctp; Pion answers both
    /// with the same cookie).
    public var earlyINITResendDelay: TimeAmount = .milliseconds(2)
    /// A channel reports `bufferedAmountLow` when its queued bytes fall to this or below.
    public var bufferedAmountLowThreshold: Int = 512 * 1024
    /// The codecs and header extensions audio/video transceivers offer and accept.
    public var mediaCapabilities: JSEPCapabilities = .default
    /// The largest RTP packet we send, before SRTP's tag (1,200-byte datagrams like browsers).
    public var rtpMaximumPacketSize: Int = 1_184
    /// The wall-clock anchor of our RTCP sender reports (the edge reads the clock once and
    /// pairs it with the monotonic `now`); without one, NTP time counts from the first use.
    public var ntpClock: NTPClock?

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
    /// No transceiver has this handle (or it is stopped).
    case unknownTransceiver(Int)
    /// Media input that cannot be used: a track of the wrong kind, a frame the payload format refuses.
    case invalidMedia(String)
    /// The transceiver does not send (yet): negotiation has not settled a sending direction
    /// with a codec of its track, or the SRTP keys are not there yet.
    case mediaNotSending(Int)
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
        case .unknownTransceiver(let handle): return "transceiver #\(handle) does not exist or is stopped"
        case .invalidMedia(let reason): return "invalid media: \(reason)"
        case .mediaNotSending(let handle): return "transceiver #\(handle) does not send yet (negotiation or DTLS not complete)"
        case .closed: return "the session is closed"
        }
    }
}

/// What the session reports; drain with `RTCSession.pollEvent()`. Events are nested by
/// subsystem: ICE, the aggregate states, data channels and media.
public enum SessionEvent: Sendable {
    /// Something about the ICE transport: a candidate to trickle, gathering or connection state.
    case ice(ICE)
    /// The aggregate connection state changed (W3C `RTCPeerConnectionState`).
    case connectionStateChanged(PeerConnectionState)
    /// The signaling state changed.
    case signalingStateChanged(SignalingState)
    /// Something about one data channel, named by its handle.
    case dataChannel(Channel)
    /// Something about an audio/video transceiver (`RTCSession+Media.swift`).
    case media(Media)
    /// Transceivers or channels changed in a way only a new offer/answer exchange can carry
    /// (W3C `negotiationneeded`): create an offer. Reported once per change, while stable.
    case negotiationNeeded

    /// What the ICE transport reports.
    public enum ICE: Sendable {
        /// A local candidate to trickle to the peer (RFC 8838 §4.4).
        case localCandidate(ICECandidateInit)
        /// Gathering progressed.
        case gatheringStateChanged(ICEGatheringState)
        /// The ICE transport's state changed.
        case connectionStateChanged(ICEConnectionState)
        /// A TURN server gave no relayed candidate, or a relay was lost (W3C
        /// `icecandidateerror`): wrong or expired credentials, an unreachable server, …
        case candidateError(ICECandidateError)
    }

    /// What a data channel reports; `handle` is the value `createDataChannel` returned (or the
    /// one in `opened`'s info for a channel the peer announced).
    public enum Channel: Sendable {
        /// A channel opened (created locally or announced by the peer).
        case opened(DataChannelInfo)
        /// A message arrived.
        case message(handle: Int, DataChannelMessage)
        /// The channel started closing.
        case closing(handle: Int)
        /// The channel closed (both directions of its stream reset, or the association ended).
        case closed(handle: Int)
        /// The channel hit an error; `reason` says which.
        case error(handle: Int, reason: String)
        /// The channel's buffered amount fell to or below its low threshold.
        case bufferedAmountLow(handle: Int)
    }
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
    /// SRTP/SRTCP packets dropped: before keys, failed authentication or replay, unparsable,
    /// or routed to no receiving transceiver (RFC 8843 §9.2); or, sending, no selected pair.
    public var mediaPacketsDropped = 0
    /// Compound RTCP packets received and authenticated.
    public var rtcpPacketsReceived = 0
    /// Remote candidates accepted but not used: TCP, mDNS `.local` names, other components,
    /// or early ones beyond the queue kept before the remote description.
    public var remoteCandidatesIgnored = 0
    /// The candidate pair application data goes on, `local -> remote`: the selected one, or
    /// before selection the first valid one (RFC 8445 §12.1); `nil` before there is one.
    public var selectedCandidatePair: String?
    /// The type (`host`, `srflx`, `prflx`, `relay`) of the selected pair's local candidate.
    public var selectedLocalCandidateType: String?
    /// The type (`host`, `srflx`, `prflx`, `relay`) of the selected pair's remote candidate.
    public var selectedRemoteCandidateType: String?
    /// TURN servers that gave no relayed candidate, and relays lost (`candidateError` events).
    public var iceCandidateErrors = 0
    /// ICE restarts performed (ours and the peer's, RFC 8445 §9).
    public var iceRestarts = 0

    /// Zero counters.
    public init() {}
}
