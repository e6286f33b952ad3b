import NIOCore
import RTCCore
import RTCICE
import RTCSDP

extension RTCSession {
    // MARK: ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1)

    /// Asks for an ICE restart (W3C `restartIce()`): the next `createOffer()` carries a new
    /// `ice-ufrag`/`ice-pwd`. When that offer is applied with `setLocalDescription`, the agent
    /// takes the new credentials, forgets the peer's candidates, reports its candidates again
    /// (`.ice(.localCandidate)` under the new ufrag, then gathering `complete`) and checks again
    /// once the answer brings the peer's new credentials. DTLS, SCTP and the data channels are
    /// untouched: the previously selected pair carries their data until a new one is selected.
    ///
    /// The session has no negotiation-needed event: create and send an offer after calling
    /// this. Calling it again before that offer is applied keeps the same new credentials.
    public mutating func restartICE(now: NIODeadline) {
        guard !isClosed, pendingICECredentials == nil else { return }
        var credentials = ICECredentials.random(using: &rng)
        while credentials.ufrag == ice.localCredentials.ufrag { credentials = ICECredentials.random(using: &rng) }
        pendingICECredentials = credentials
    }

    /// The addresses the edge has sockets on now: an edge re-reads its interfaces before it
    /// applies a description that may restart ICE (a network change is the usual reason for a
    /// restart). The next restart gathers on them, and candidates of addresses that went away
    /// are not signaled again (ICEAgent's `replaceLocalAddresses`).
    public mutating func updateLocalAddresses(_ addresses: [TransportAddress]) {
        localAddressesForRestart = addresses
    }

    /// The STUN and TURN servers to gather from, replacing the configured ones (W3C
    /// `setConfiguration` with new `iceServers`, usually fresh time-limited TURN credentials).
    /// Working allocations keep theirs; allocations made from now on — at the next restart, for
    /// a failed allocation or a new address, or a server added — use these, servers no longer
    /// listed are released at the next restart, and STUN servers are asked for addresses
    /// gathered from now on (ICEAgent's `updateServers(stun:relay:)`).
    public mutating func updateICEServers(stun: [TransportAddress], turn: [ICERelayServer]) {
        configuration.stunServers = stun
        configuration.turnServers = turn
        ice.updateServers(stun: stun, relay: turn)
    }

    /// Whether a restart asked for by `restartICE(now:)` still waits for its offer to be applied.
    public var isICERestartPending: Bool { pendingICECredentials != nil }

    /// A local description whose credentials differ from the agent's restarts the agent with them.
    mutating func applyLocalCredentials(of description: SDPDocument, offer: Bool, now: NIODeadline) {
        guard let index = Self.transportMediaIndex(in: description), let ufrag = description.iceUfrag(forMediaAt: index),
              let pwd = description.icePwd(forMediaAt: index) else { return }
        let credentials = ICECredentials(ufrag: ufrag, password: pwd)
        if credentials == pendingICECredentials { pendingICECredentials = nil }
        guard credentials != ice.localCredentials else { return }
        if offer, let remote = ice.remoteCredentials { credentialsBeforeRestart = (ice.localCredentials, remote) }
        restartAgent(localCredentials: credentials, now: now)
    }

    /// A rolled-back offer that restarted ICE (RFC 8829 §4.1.8.2): the agent goes back to the
    /// previous credentials and the peer's candidates from the remote description, and checks
    /// again (the peer never saw the new credentials).
    mutating func undoLocalRestart(now: NIODeadline) {
        guard let saved = credentialsBeforeRestart else { return }
        credentialsBeforeRestart = nil
        restartAgent(localCredentials: saved.local, now: now)
        ice.setRemoteCredentials(saved.remote, now: now)
        guard let remote = remoteSDP, let index = Self.transportMediaIndex(in: remote) else { return }
        for (_, mLine, attribute) in remote.allCandidates where mLine == index {
            if attribute.isUDP, !attribute.isMDNS, let candidate = try? ICECandidate(attribute) {
                ice.addRemoteCandidate(candidate, now: now)
            }
        }
        if remote.media[index].hasEndOfCandidates { ice.endOfRemoteCandidates(now: now) }
    }

    /// The peer's credentials from a remote description. New credentials on an established
    /// agent are the peer's ICE restart: an offer gets an answer with new credentials of ours
    /// too (RFC 8839 §4.4.1.1.1), so the agent restarts now and `createAnswer()` carries them;
    /// an answer with new credentials to an offer that kept ours restarts the checks only.
    mutating func applyRemoteCredentials(_ credentials: ICECredentials, offer: Bool, now: NIODeadline) {
        if let current = ice.remoteCredentials, current != credentials {
            if offer {
                var ours = pendingICECredentials ?? ICECredentials.random(using: &rng)
                while ours.ufrag == ice.localCredentials.ufrag { ours = ICECredentials.random(using: &rng) }
                pendingICECredentials = nil
                restartAgent(localCredentials: ours, now: now)
            } else {
                restartAgent(localCredentials: ice.localCredentials, now: now)
            }
        }
        ice.setRemoteCredentials(credentials, now: now)
    }

    private mutating func restartAgent(localCredentials: ICECredentials, now: NIODeadline) {
        statistics.iceRestarts += 1
        // Gathering starts over under the new credentials: the candidates are reported again,
        // then `complete` (or later, if gathering had not finished).
        if ice.gatheringState == .complete { events.append(.ice(.gatheringStateChanged(.gathering))) }
        ice.restart(localCredentials: localCredentials, localAddresses: localAddressesForRestart, now: now)
        localAddressesForRestart = nil
    }
}
