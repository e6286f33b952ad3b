import RTCICE

// The ICE states are RTCICE's own: the agent reports them, the session and the API expose them.
@_exported import enum RTCICE.ICEConnectionState
@_exported import enum RTCICE.ICEGatheringState

/// The aggregate state of a peer connection (W3C `RTCPeerConnectionState`).
public enum PeerConnectionState: String, Sendable, Hashable {
    /// Nothing has started.
    case new
    /// ICE or DTLS is establishing.
    case connecting
    /// ICE and DTLS are up.
    case connected
    /// Connectivity was lost and may come back.
    case disconnected
    /// ICE or DTLS failed; an ICE restart may recover.
    case failed
    /// `close()` was called.
    case closed
}

/// Where a session's DTLS connection is in its life (RFC 6347 §4.2; RFC 5763 §5 for who starts).
enum DTLSPhase: Sendable, Hashable {
    /// No connection yet: the DTLS role (`a=setup`) or the peer's fingerprint is not known.
    case waiting
    /// The connection exists; a server waits for the ClientHello, a client for ICE to select a pair.
    case created
    /// The client sent its ClientHello (a server moves straight from `created` to `connected`).
    case handshaking
    /// The handshake completed: SCTP runs over it.
    case connected
    /// The handshake failed or a fatal alert arrived.
    case failed
    /// close_notify was exchanged.
    case closed
}
