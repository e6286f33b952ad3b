import NIOCore
import RTCCore

/// Nomination (RFC 8445 §8.1.1, regular nomination) and selection of the pair data uses.
extension ICEAgent {
    /// Whether the best valid pair not yet nominated has at least the priority of every pair
    /// whose check is still pending (frozen, waiting or in progress): no check still to come
    /// can produce a better pair, so waiting for them gains nothing.
    var bestValidPairIsUnbeatable: Bool {
        var best: UInt64?
        for p in pairs where p.valid && !p.useCandidateSent { best = max(best ?? 0, priority(of: p)) }
        guard let best else { return false }
        return !pairs.contains { p in
            (p.state == .frozen || p.state == .waiting || (p.state == .inProgress && !p.useCandidateSent)) && priority(of: p) > best
        }
    }

    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent nominates as soon as a valid
    /// pair exists that no pending check could beat, and otherwise `nominationDelay` after the
    /// first valid pair (so a lost check on a better pair cannot hold the connection up).
    mutating func nominateIfDue(now: NIODeadline) {
        guard role == .controlling, selectedIndex == nil, let f = firstValidAt else { return }
        if now >= f + configuration.nominationDelay || bestValidPairIsUnbeatable { nominate(now: now) }
    }

    mutating func nominate(now: NIODeadline) {
        let candidates = pairs.indices.filter { pairs[$0].valid && !pairs[$0].useCandidateSent }
        guard let best = candidates.max(by: { priority(of: pairs[$0]) < priority(of: pairs[$1]) }) else { return }
        guard !pairs.contains(where: { $0.useCandidateSent && $0.state == .inProgress }) else { return }
        pairs[best].nominateOnSuccess = true
        sendCheck(pair: best, useCandidate: true, now: now)
    }

    /// Whether ``send(applicationData:now:)`` has a pair to send on: a selected one, or a
    /// valid one before selection (RFC 8445 §12.1).
    public var canSendApplicationData: Bool {
        guard connectionState != .failed, connectionState != .closed else { return false }
        return selectedSend != nil || bestValidPairIndex != nil
    }

    /// The valid pair of highest priority (what data goes on before a pair is selected).
    var bestValidPairIndex: Int? {
        var best: Int?
        // `valid`, not the state: a valid pair being nominated has a check in progress again.
        for i in pairs.indices where pairs[i].valid {
            if let b = best, priority(of: pairs[b]) >= priority(of: pairs[i]) { continue }
            best = i
        }
        return best
    }

    mutating func select(_ index: Int, now: NIODeadline) {
        pairs[index].nominated = true
        if let current = selectedIndex, current == index { return }
        if let current = selectedIndex, priority(of: pairs[current]) > priority(of: pairs[index]) { return }
        selectedIndex = index
        selectedPairChangeCount += 1
        selectedSend = (pairs[index].base, pairs[index].remote.address)
        lastConsent = now
        scheduleConsent(now: now)
        events.append(.selectedPairChanged(pairs[index].public_))
        setState(.connected)
    }
}
