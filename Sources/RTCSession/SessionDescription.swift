/// The role of a session description in the offer/answer exchange (RFC 8829 §4.1.8, W3C `RTCSdpType`).
public enum SessionDescriptionType: String, Sendable, Hashable, Codable {
    /// An offer: the start of a negotiation.
    case offer
    /// A provisional answer: it may be followed by other answers.
    case pranswer
    /// A final answer: it completes the negotiation.
    case answer
    /// Undo a local or remote offer that has not been answered.
    case rollback
}

/// A session description as signaling carries it: its type and the SDP text.
///
/// This is the value `createOffer()` / `createAnswer()` return and `setLocalDescription(_:)` /
/// `setRemoteDescription(_:)` take, the same shape as the browser's `RTCSessionDescriptionInit`,
/// so it encodes to `{"type":"offer","sdp":"v=0…"}`.
public struct SessionDescription: Sendable, Hashable, Codable {
    /// Offer, answer, provisional answer or rollback.
    public var type: SessionDescriptionType
    /// The SDP text (RFC 8866); empty for a rollback.
    public var sdp: String

    /// Creates a session description.
    public init(type: SessionDescriptionType, sdp: String) {
        self.type = type
        self.sdp = sdp
    }
}

/// One ICE candidate as trickle signaling carries it (W3C `RTCIceCandidateInit`).
///
/// `candidate` is the attribute value `candidate:…` without the `a=` prefix; an empty string
/// means end-of-candidates for the m-section named by `sdpMid` / `sdpMLineIndex`.
public struct ICECandidateInit: Sendable, Hashable, Codable {
    /// The candidate line, e.g. `candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host`.
    public var candidate: String
    /// The media stream identification (`a=mid`) of the m-section this candidate belongs to.
    public var sdpMid: String?
    /// The zero-based index of that m-section in the SDP.
    public var sdpMLineIndex: Int?
    /// The ICE username fragment the candidate belongs to, when known.
    public var usernameFragment: String?

    /// Creates a candidate.
    public init(candidate: String, sdpMid: String? = nil, sdpMLineIndex: Int? = nil, usernameFragment: String? = nil) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
    }

    /// `true` when this is an end-of-candidates marker (an empty candidate string).
    public var isEndOfCandidates: Bool { candidate.isEmpty }
}
