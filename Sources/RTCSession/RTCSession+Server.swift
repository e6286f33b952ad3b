import RTCCore

extension RTCSession {
    // MARK: Serving many sessions on one socket

    /// The ICE username fragment this side uses now (`a=ice-ufrag` of its descriptions; a new one
    /// after an ICE restart). A peer's connectivity checks carry it first in their USERNAME
    /// (`ours:theirs`, RFC 8445 §7.2.2), which is how a server with one socket for many sessions
    /// finds the session a new peer address belongs to.
    public var localUsernameFragment: String { ice.localCredentials.ufrag }
}

extension RTCSession {
    /// Whether a new offer/answer exchange is needed to carry what changed (W3C webrtc-pc
    /// §4.7.3) — what `.negotiationNeeded` reports once per change, asked at any time: a server
    /// that drives renegotiation itself checks it when signaling is stable again.
    public var isNegotiationNeeded: Bool { !isClosed && negotiationIsNeeded }

    /// The rids (RFC 8851) the peer sends on a receiving transceiver as simulcast layers, in the
    /// order of its offer, once negotiation accepted them (``SessionConfiguration/acceptsSimulcast``);
    /// empty without simulcast. Each layer's packets carry its rid in the RtpStreamId header
    /// extension (``headerExtensionID(_:on:)`` of `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id`).
    public func receivedRIDs(on handle: Int) -> [String] {
        guard let i = transceiverIndex(handle) else { return [] }
        return transceivers[i].negotiated?.remoteRIDs ?? []
    }

    /// The id a transceiver's negotiated header extension `uri` has in its packets (RFC 8285 §5),
    /// or nil when the extension is not negotiated (yet) on it.
    public func headerExtensionID(_ uri: String, on handle: Int) -> UInt8? {
        guard let i = transceiverIndex(handle),
              let found = transceivers[i].negotiatedExtensions?.first(where: { $0.uri == uri }) else { return nil }
        return UInt8(exactly: found.id)
    }
}
