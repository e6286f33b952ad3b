import NIOCore
import RTCSession
import RTCUDP

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

    /// Replaces the ICE servers (W3C `setConfiguration` with new `iceServers`): usually the
    /// same TURN servers with fresh time-limited credentials, fetched before a restart once the
    /// old ones expired. Like a browser, the connection uses them the next time it gathers: a
    /// working TURN allocation keeps the credentials it was made with (a TURN server checks
    /// them when it creates the allocation), and the next ICE restart allocates with the new
    /// ones where an allocation failed or a local address is new, releases servers no longer
    /// listed and allocates on servers added. STUN servers are asked for addresses gathered from
    /// now on.
    ///
    /// Throws `WebRTCError.invalidICEServer` for a server the connection could not have been
    /// created with, `WebRTCError.closed` after `close()`.
    public func setICEServers(_ servers: [ICEServer]) throws {
        if driver.isClosed { throw WebRTCError.closed }
        var updated = configuration
        updated.iceServers = servers
        let session = try updated.sessionConfiguration()
        for server in session.turnServers where server.usesTLS && driver.streamPipelineSetup[server.address] == nil {
            driver.streamPipelineSetup[server.address] = try updated.turnTLSPipelineSetup(url: "turns:\(server.address)")
        }
        driver.core.updateICEServers(stun: session.stunServers, turn: session.turnServers)
        events.log.ice.info("ICE servers replaced", metadata: ["turn": "\(session.turnServers.map(\.address))",
                                                             "stun": "\(session.stunServers)"])
    }

    /// Reads the host's interfaces again before a description that may restart ICE is applied
    /// (a network change is the usual reason for a restart): sockets are bound on new
    /// addresses and closed on addresses that went away, and the session's next restart
    /// gathers on what is bound now — a peer that moved to a new address signals it, and no
    /// longer signals the old one.
    func refreshLocalAddresses() async {
        guard let addresses = try? LocalInterfaces.hostAddresses(includeLoopback: configuration.includeLoopbackCandidates,
                                                                 includeIPv6: configuration.includeIPv6) else { return }
        let (lost, new, added) = await reconcileSockets(bound: driver.boundAddresses, with: addresses)
        guard !lost.isEmpty || !new.isEmpty, !driver.isClosed else { return }
        events.log.ice.info("network interfaces changed", metadata: ["lost": "\(lost)", "added": "\(added)"])
        driver.core.updateLocalAddresses(driver.boundAddresses.sorted { $0.description < $1.description })
    }
}
