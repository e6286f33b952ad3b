import NIOCore
import RTCSession

extension PeerConnection {
    /// Restarts ICE (W3C `restartIce()`, RFC 8445 §9): the next `createOffer()` carries a new
    /// `ice-ufrag`/`ice-pwd`. Once that offer is applied with `setLocalDescription`, gathering
    /// runs again (`iceGatheringState` goes `gathering` → `complete`) and `iceCandidates` yields
    /// the candidates under the new ufrag, then an end-of-candidates marker; after the answer,
    /// ICE checks again. DTLS, SCTP and the data channels are kept: the pair selected before
    /// carries their data until a new one is selected.
    ///
    /// There is no `negotiationneeded` event: create, apply and send an offer after calling
    /// this (the peer answers with new credentials of its own, RFC 8839 §4.4.1.1.1). A peer
    /// that receives a restart offer needs no call: `setRemoteDescription` restarts its side.
    /// Use it after `iceConnectionState` went `disconnected` or `failed`, or after a network
    /// change; note that a connection that went `failed` has already closed its channels.
    public func restartIce() throws {
        if driver.isClosed { throw WebRTCError.closed }
        driver.core.restartICE(now: .now())
    }
}
