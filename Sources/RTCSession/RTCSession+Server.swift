import RTCCore

extension RTCSession {
    // MARK: Serving many sessions on one socket

    /// The ICE username fragment this side uses now (`a=ice-ufrag` of its descriptions; a new one
    /// after an ICE restart). A peer's connectivity checks carry it first in their USERNAME
    /// (`ours:theirs`, RFC 8445 §7.2.2), which is how a server with one socket for many sessions
    /// finds the session a new peer address belongs to.
    public var localUsernameFragment: String { ice.localCredentials.ufrag }
}
