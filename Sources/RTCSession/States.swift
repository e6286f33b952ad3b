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

/// The state of the ICE transport (W3C `RTCIceConnectionState`).
public enum ICEConnectionState: String, Sendable, Hashable {
    /// Gathering or waiting for remote candidates.
    case new
    /// Checks are running.
    case checking
    /// A pair works; checks may continue.
    case connected
    /// Checks are done and a pair is selected.
    case completed
    /// Consent was lost for a while.
    case disconnected
    /// No pair works.
    case failed
    /// The transport is closed.
    case closed
}

/// Candidate gathering progress (W3C `RTCIceGatheringState`).
public enum ICEGatheringState: String, Sendable, Hashable {
    /// Gathering has not started.
    case new
    /// Candidates are being gathered.
    case gathering
    /// Every candidate is gathered (end-of-candidates).
    case complete
}
