import NIOCore
import RTCCore
import RTCSTUN

/// Gathering (RFC 8445 §5.1.1): host candidates from the addresses the edge bound,
/// server-reflexive ones from STUN servers, relayed ones from TURN servers (ICEAgent+Relay).
extension ICEAgent {
    // MARK: Inputs: local addresses

    /// Starts gathering (RFC 8445 §5.1.1): one host candidate per address the edge bound (the
    /// edge filters interfaces; loopback and link-local are skipped unless configured), then
    /// server-reflexive candidates from the configured STUN servers and relayed candidates
    /// from the configured TURN servers. With `relayOnly` the bound addresses are only the
    /// sockets the TURN allocations are made from: no host or server-reflexive candidate is
    /// reported or paired.
    public mutating func startGathering(localAddresses: [TransportAddress], now: NIODeadline) {
        lastNow = now
        gatheringStarted = true
        setGathering(.gathering)
        for address in localAddresses { addBase(address, now: now) }
        startRelays(now: now)
        updateChecking()
        checkGatheringComplete()
    }

    /// Adds one bound local address as a host candidate and queries STUN servers from it (and
    /// TURN servers that had no address of their family yet).
    public mutating func addLocalInterface(_ address: TransportAddress, now: NIODeadline) {
        lastNow = now
        addBase(address, now: now)
        startRelays(now: now)
        updateChecking()
    }

    mutating func addBase(_ address: TransportAddress, now: NIODeadline) {
        if address.ip.isLoopback && !configuration.includeLoopback { return }
        if address.ip.isLinkLocal && !configuration.includeLinkLocal { return }
        guard !bases.contains(address) else { return }
        if gatheringState == .new { setGathering(.gathering) }
        let index = bases.filter { $0.ip.isIPv4 == address.ip.isIPv4 }.count
        bases.append(address)
        // Relay only: the socket is a base for TURN, never a candidate (W3C `relay` policy).
        guard !configuration.relayOnly else { return }
        let localPreference = UInt16((address.ip.isIPv4 ? 50_000 : 60_000) - min(index, 1000) * 10)
        let host = ICECandidate(foundation: foundation(type: .host, base: address.ip, server: nil), priority:
                                    ICECandidate.priority(type: .host, localPreference: localPreference),
                                address: address, type: .host)
        baseCandidates[address] = host
        localCandidates.append(host)
        events.append(.candidateGathered(host))
        for remoteIndex in remoteCandidates.indices { pair(local: host, base: address, remote: remoteCandidates[remoteIndex]) }
        for server in configuration.stunServers where server.ip.isIPv4 == address.ip.isIPv4 {
            var request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
            if let s = configuration.software { request.append(.software(s)) }
            let transmit = Transmit(source: address, destination: server, payload: request.encoded(fingerprint: true))
            start(Transaction(kind: .gather(base: address, server: server), transmit: transmit, sent: 0,
                              maxTransmissions: configuration.gatheringTransmissions, rto: configuration.gatheringRTO,
                              next: now, generation: generation), id: request.transactionID, now: now)
        }
    }

    // MARK: Private: gathering

    mutating func foundation(type: ICECandidateType, base: IPAddress, server: TransportAddress?) -> String {
        let key = "\(type.rawValue)|\(base)|\(server.map(\.description) ?? "")"
        if let f = foundations[key] { return f }
        let f = String(foundations.count + 1)
        foundations[key] = f
        return f
    }

    mutating func setGathering(_ s: ICEGatheringState) {
        guard gatheringState != s else { return }
        gatheringState = s
        events.append(.gatheringStateChanged(s))
    }

    /// Gathering is complete when no STUN request and no TURN allocation is pending. Relay
    /// only, completing without a single candidate means the connection can never work:
    /// ICE fails at once instead of waiting for checks that cannot start.
    mutating func checkGatheringComplete() {
        guard gatheringStarted, gatheringState == .gathering else { return }
        if transactions.values.contains(where: { if case .gather = $0.kind { return true } else { return false } }) { return }
        if relays.contains(where: \.isPending) { return }
        setGathering(.complete)
        if configuration.relayOnly, localCandidates.isEmpty, connectionState == .new || connectionState == .checking {
            setState(.failed)
        }
    }
}
