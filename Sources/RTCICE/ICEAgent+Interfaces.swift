import NIOCore
import RTCCore

/// Network changes: the edge's addresses are not fixed for the life of a connection (a laptop
/// leaves one Wi-Fi for another, a phone moves to cellular). An ICE restart is where the agent
/// learns the new set (RFC 8445 §9: a restart is how ICE recovers from a changed address).
extension ICEAgent {
    /// The addresses the edge has sockets on now, replacing those given before. A base that is
    /// gone loses its host candidate, the server-reflexive and relayed candidates learned
    /// through it, its pending STUN queries and its TURN allocation (the socket is gone: it
    /// cannot be released); its pairs fail. A new address becomes a host candidate, queries the
    /// STUN servers and, for a TURN server that lost its socket, allocates again — reported as
    /// `candidateGathered` events like any gathered candidate.
    ///
    /// An ICE restart takes them too (``restart(localCredentials:localAddresses:now:)``), so
    /// that the candidates signaled with the new credentials are the current ones; called
    /// alone, new addresses are added to the running checks and pairs on lost ones fail.
    /// Returns whether anything changed.
    @discardableResult
    public mutating func replaceLocalAddresses(_ addresses: [TransportAddress], now: NIODeadline) -> Bool {
        lastNow = now
        let current = Set(addresses)
        let gone = Set(bases.filter { !current.contains($0) })
        let new = addresses.filter { !bases.contains($0) }
        if !gone.isEmpty { forget(bases: gone) }
        guard !gone.isEmpty || !new.isEmpty else { return false }
        for address in new { addBase(address, now: now) }
        startRelays(now: now)
        updateChecking()
        updateFailure()
        checkGatheringComplete()
        return true
    }

    /// The STUN and TURN servers to gather from, replacing the configured ones (W3C
    /// `setConfiguration` with new `iceServers`; usually the same servers with fresh
    /// time-limited credentials). It takes effect where an allocation is made, never on a
    /// working one: an allocation keeps the credentials it was made with (the server checks
    /// them when it creates the allocation, and its username may not change while it lives),
    /// and one made later — at a restart after an allocation failed, for a new local address —
    /// uses the new entry. A server that is no longer listed is released at the next restart
    /// (``restart(localCredentials:localAddresses:now:)``), a new one allocated then.
    /// STUN servers (`stun`) are queried for the addresses gathered from now on.
    public mutating func updateServers(stun: [TransportAddress], relay servers: [ICERelayServer]) {
        configuration.stunServers = stun
        configuration.relayServers = servers
    }

    /// At a restart (the pairs are gone already): releases the allocations of servers that
    /// are no longer configured (Refresh with LIFETIME 0 in the transmits) and drops them with
    /// their relayed candidates.
    mutating func releaseUnlistedRelays(now: NIODeadline) {
        let listed = Set(configuration.relayServers.map(\.endpoint))
        for i in relays.indices where !listed.contains(relays[i].server.endpoint) {
            relays[i].client.close(now: now)
            while let t = pollRelayTransmit() { transmits.append(t) }
        }
        removeRelays { !listed.contains($0.server.endpoint) }
    }

    /// Drops the relays `matching` and their relayed candidates; returns how many.
    @discardableResult
    mutating func removeRelays(where matching: (Relay) -> Bool) -> Int {
        let gone = relays.filter(matching)
        guard !gone.isEmpty else { return 0 }
        let dead = Set(gone.compactMap { $0.candidate?.address })
        relays.removeAll(where: matching)
        localCandidates.removeAll { $0.type == .relayed && dead.contains($0.address) }
        return gone.count
    }

    mutating func forget(bases gone: Set<TransportAddress>) {
        bases.removeAll { gone.contains($0) }
        for base in gone {
            baseCandidates[base] = nil
            serverReflexiveAddresses[base] = nil
        }
        let relayed = Set(relays.filter { gone.contains($0.socket) }.compactMap { $0.candidate?.address })
        relays.removeAll { gone.contains($0.socket) }
        localCandidates.removeAll { candidate in
            switch candidate.type {
            case .host, .peerReflexive: gone.contains(candidate.address)
            case .serverReflexive: candidate.relatedAddress.map { gone.contains($0) } ?? false
            case .relayed: relayed.contains(candidate.address)
            }
        }
        transactions = transactions.filter { _, transaction in
            if case .gather(let base, _) = transaction.kind { return !gone.contains(base) }
            return true
        }
        for index in pairs.indices where gone.contains(pairs[index].base) || relayed.contains(pairs[index].base) {
            pairs[index].state = .failed
        }
        triggered.removeAll { pairs[$0].state == .failed }
    }
}
