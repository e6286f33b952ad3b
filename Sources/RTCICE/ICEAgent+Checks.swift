import NIOCore
import RTCCore
import RTCSTUN

/// The checklist: forming pairs, choosing and sending checks, consent, and the states they
/// drive (RFC 8445 §6.1.2, §7.2, §8; RFC 7675).
extension ICEAgent {

    /// Adds the pair `base` → `remote` to the checklist. Pairs are formed within one address
    /// family (RFC 8445 §6.1.2.2) and, by our own rule, loopback only with loopback — unless
    /// `provenByPeer`: the peer's check arrived on exactly this path.
    mutating func pair(local: ICECandidate, base: TransportAddress, remote: ICECandidate, provenByPeer: Bool = false) {
        guard base.ip.isIPv4 == remote.address.ip.isIPv4 else { return }
        guard provenByPeer || base.ip.isLoopback == remote.address.ip.isLoopback else { return }
        let key = PairKey(base: base, remote: remote.address)
        guard pairIndex[key] == nil, pairs.count < 100 else { return }
        var p = Pair(local: local, base: base, remote: remote)
        // Unfreeze the first pair of each foundation (RFC 8445 §6.1.2.6).
        if !pairs.contains(where: { $0.foundation == p.foundation }) { p.state = .waiting }
        pairIndex[key] = pairs.count
        pairs.append(p)
        if local.type == .relayed { prepareRelay(base: base, remote: remote.address) }
    }

    func priority(of p: Pair) -> UInt64 {
        role == .controlling
            ? ICECandidatePair.priority(controlling: p.local.priority, controlled: p.remote.priority)
            : ICECandidatePair.priority(controlling: p.remote.priority, controlled: p.local.priority)
    }

    var hasCheckWork: Bool {
        guard remoteCredentials != nil, connectionState != .closed else { return false }
        if !triggered.isEmpty { return true }
        if role == .controlling && selectedIndex != nil { return false }
        return pairs.contains { $0.state == .waiting || $0.state == .frozen }
    }

    mutating func nextPairToCheck() -> Int? {
        while !triggered.isEmpty {
            let i = triggered.removeFirst()
            if pairs.indices.contains(i), pairs[i].state != .inProgress { return i }
        }
        if role == .controlling && selectedIndex != nil { return nil }
        let ordered = pairs.indices.sorted { priority(of: pairs[$0]) > priority(of: pairs[$1]) }
        if let w = ordered.first(where: { pairs[$0].state == .waiting }) { return w }
        return ordered.first(where: { pairs[$0].state == .frozen })
    }

    mutating func bindingRequest(pair index: Int, useCandidate: Bool) -> (STUNMessage, Transmit)? {
        guard let remote = remoteCredentials, let key = remoteKey else { return nil }
        let p = pairs[index]
        var m = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
        m.append(.username("\(remote.ufrag):\(localCredentials.ufrag)"))
        m.append(.priority(ICECandidate.priority(type: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: p.local.priority >> 8))))
        m.append(role == .controlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker))
        if useCandidate { m.append(.useCandidate) }
        if let s = configuration.software { m.append(.software(s)) }
        let transmit = Transmit(source: p.base, destination: p.remote.address, payload: m.encoded(integrity: key, fingerprint: true))
        return (m, transmit)
    }

    mutating func sendCheck(pair index: Int, useCandidate: Bool, now: NIODeadline) {
        guard let (m, transmit) = bindingRequest(pair: index, useCandidate: useCandidate) else {
            triggered.append(index)
            return
        }
        // Cancel an older check on this pair (RFC 8445 §7.3.1.4 re-check).
        transactions = transactions.filter {
            if case .check(let p, _) = $0.value.kind { return p != index } else { return true }
        }
        pairs[index].state = .inProgress
        if useCandidate { pairs[index].useCandidateSent = true }
        start(Transaction(kind: .check(pair: index, useCandidate: useCandidate), transmit: transmit, sent: 0,
                          maxTransmissions: configuration.checkTransmissions, rto: configuration.checkRTO,
                          next: now, generation: generation), id: m.transactionID, now: now)
    }

    mutating func sendConsent(pair index: Int, now: NIODeadline) {
        guard let (m, transmit) = bindingRequest(pair: index, useCandidate: false) else { return }
        start(Transaction(kind: .consent(pair: index), transmit: transmit, sent: 0, maxTransmissions: 1,
                          rto: configuration.consentInterval, next: now, generation: generation), id: m.transactionID, now: now)
    }

    mutating func start(_ t: Transaction, id: STUNTransactionID, now: NIODeadline) {
        var t = t
        transmits.append(t.transmit)
        switch t.kind {
        case .check(let pair, _):
            statistics.checksSent += 1
            recordRequest(on: pair, consent: false, now: now)
        case .consent(let pair):
            recordRequest(on: pair, consent: true, now: now)
        case .gather:
            break
        }
        t.sent = 1
        t.lastSentAt = now
        t.next = now + t.rto
        t.rto = min(t.rto * 2, configuration.maxCheckRTO)
        transactions[id] = t
    }

    /// The next consent check: `consentInterval` ±20 %, but no later than when the peer has
    /// been quiet for half of `disconnectedTimeout`; from then on every second (at most a fifth
    /// of that timeout), so silence is confirmed by several unanswered checks.
    mutating func scheduleConsent(now: NIODeadline) {
        let base = configuration.consentInterval.nanoseconds
        let jitter = Int64(rng.next() % UInt64(max(1, base * 2 / 5))) - base / 5
        var next = now + .nanoseconds(base + jitter)
        if let last = lastConsent {
            let half = last + .nanoseconds(configuration.disconnectedTimeout.nanoseconds / 2)
            let hurry = TimeAmount.nanoseconds(min(1_000_000_000, configuration.disconnectedTimeout.nanoseconds / 5))
            next = now >= half ? now + hurry : min(next, half)
        }
        nextConsent = next
    }

    mutating func transactionFailed(_ t: Transaction, now: NIODeadline) {
        guard t.generation == generation || { if case .gather = t.kind { return true } else { return false } }() else { return }
        switch t.kind {
        case .check(let index, _):
            pairs[index].state = .failed
            updateFailure()
            nominateIfDue(now: now)
        case .consent:
            break // consent is judged by time since the last response
        case .gather:
            checkGatheringComplete()
        }
    }

    mutating func setState(_ s: ICEConnectionState) {
        guard connectionState != s else { return }
        connectionState = s
        events.append(.connectionStateChanged(s))
    }

    mutating func updateChecking() {
        if connectionState == .new, remoteCredentials != nil, !pairs.isEmpty { setState(.checking) }
    }

    mutating func updateFailure() {
        guard selectedIndex == nil, remoteEnded, !pairs.isEmpty, connectionState == .checking else { return }
        if pairs.allSatisfy({ $0.state == .failed }) { setState(.failed) }
    }
}
