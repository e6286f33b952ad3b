import NIOCore
import RTCCore
import RTCSTUN

/// The STUN side of the agent: answering connectivity checks (RFC 8445 §7.3) and handling
/// the responses to ours and to consent checks (RFC 7675).
extension ICEAgent {
    // MARK: Private: STUN requests (RFC 8445 §7.3)

    mutating func respond(to request: STUNMessage, _ datagram: ReceivedDatagram, error: STUNErrorCode? = nil,
                                  extra: [STUNAttribute] = [], integrity: Bool) {
        var m = STUNMessage(type: STUNMessageType(method: .binding, messageClass: error == nil ? .successResponse : .errorResponse),
                            transactionID: request.transactionID)
        if let error { m.append(.errorCode(error)) } else { m.append(.xorMappedAddress(datagram.source, transactionID: request.transactionID)) }
        m.attributes += extra
        if let s = configuration.software { m.append(.software(s)) }
        transmits.append(Transmit(source: datagram.destination, destination: datagram.source,
                                  payload: m.encoded(integrity: integrity ? localKey : nil, fingerprint: true)))
    }

    mutating func handleRequest(_ parsed: STUNParsedMessage, _ datagram: ReceivedDatagram, now: NIODeadline) {
        let m = parsed.message
        statistics.checksReceived += 1
        // RFC 8445 §7.3: FINGERPRINT is required on checks; a bad one means "not ours": drop.
        guard parsed.verifyFingerprint() else { statistics.badFingerprintDropped += 1; return }
        // RFC 8489 §9.1.3: missing USERNAME or MESSAGE-INTEGRITY → 400; wrong → 401.
        guard let username = m.username, parsed.hasIntegrity else {
            statistics.unauthenticatedRejected += 1
            respond(to: m, datagram, error: .badRequest, integrity: false)
            return
        }
        guard username.hasPrefix(localCredentials.ufrag + ":"), parsed.verifyIntegrity(localKey) else {
            statistics.unauthenticatedRejected += 1
            respond(to: m, datagram, error: .unauthenticated, integrity: false)
            return
        }
        let unknown = m.unknownComprehensionRequired()
        guard unknown.isEmpty else {
            statistics.unknownAttributeRejected += 1
            respond(to: m, datagram, error: .unknownAttribute, extra: [.unknownAttributes(unknown)], integrity: true)
            return
        }
        // Only on a candidate's base: a host socket (not with relayOnly) or a relayed address.
        guard baseCandidates[datagram.destination] != nil else { return }
        // Role conflict (RFC 8445 §7.3.1.1).
        if role == .controlling, let theirs = m.iceControlling {
            statistics.roleConflicts += 1
            if tieBreaker >= theirs {
                respond(to: m, datagram, error: .roleConflict, integrity: true)
                return
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let theirs = m.iceControlled {
            statistics.roleConflicts += 1
            if tieBreaker >= theirs {
                switchRole(to: .controlling)
            } else {
                respond(to: m, datagram, error: .roleConflict, integrity: true)
                return
            }
        }
        // Peer-reflexive remote candidate (RFC 8445 §7.3.1.3).
        if !remoteCandidates.contains(where: { $0.address == datagram.source }) {
            prflxCounter += 1
            let prflx = ICECandidate(foundation: "prflx\(prflxCounter)", priority: m.priority ?? 0,
                                     address: datagram.source, type: .peerReflexive)
            remoteCandidates.append(prflx)
        }
        // The request proves this path works, so the pair joins the checklist even where our
        // own pairing would have skipped it (a loopback base with a non-loopback remote): the
        // peer may nominate it, and a pair we answer but never check could never be selected.
        if pairIndex[PairKey(base: datagram.destination, remote: datagram.source)] == nil,
           let local = baseCandidates[datagram.destination],
           let remote = remoteCandidates.first(where: { $0.address == datagram.source }) {
            pair(local: local, base: datagram.destination, remote: remote, provenByPeer: true)
        }
        respond(to: m, datagram, integrity: true)
        guard let index = pairIndex[PairKey(base: datagram.destination, remote: datagram.source)] else { return }
        pairs[index].counters.requestsReceived += 1
        pairs[index].counters.responsesSent += 1
        // Triggered check (RFC 8445 §7.3.1.4).
        switch pairs[index].state {
        case .succeeded:
            break
        case .inProgress:
            break
        case .frozen, .waiting, .failed:
            pairs[index].state = .waiting
            if !triggered.contains(index) { triggered.append(index) }
        }
        updateChecking()
        // Nomination by the controlling peer (RFC 8445 §7.3.1.5).
        if role == .controlled && m.useCandidate {
            if pairs[index].valid { select(index, now: now) } else { pairs[index].nominateOnSuccess = true }
        }
        if selectedIndex == index { consentRefreshed(now: now) }
    }

    mutating func switchRole(to newRole: ICERole) {
        role = newRole
        events.append(.roleChanged(newRole))
    }

    // MARK: Private: STUN responses

    mutating func handleResponse(_ parsed: STUNParsedMessage, _ datagram: ReceivedDatagram, now: NIODeadline) {
        let m = parsed.message
        guard let t = transactions[m.transactionID] else { statistics.unmatchedResponsesDropped += 1; return }
        switch t.kind {
        case .gather(let base, let server):
            guard datagram.source == server, datagram.destination == base else { statistics.unmatchedResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            if m.type.messageClass == .successResponse, let mapped = m.xorMappedAddress ?? m.mappedAddress {
                serverReflexiveAddresses[base] = mapped
            }
            if m.type.messageClass == .successResponse, let mapped = m.xorMappedAddress ?? m.mappedAddress,
               mapped != base, !localCandidates.contains(where: { $0.address == mapped }) {
                let host = baseCandidates[base]
                let localPreference = UInt16(truncatingIfNeeded: (host?.priority ?? 0) >> 8)
                let srflx = ICECandidate(foundation: foundation(type: .serverReflexive, base: base.ip, server: server),
                                         priority: ICECandidate.priority(type: .serverReflexive, localPreference: localPreference),
                                         address: mapped, type: .serverReflexive, relatedAddress: base)
                localCandidates.append(srflx)
                events.append(.candidateGathered(srflx))
            }
            checkGatheringComplete()
        case .check(let index, let useCandidate):
            guard let key = remoteKey, parsed.verifyIntegrity(key) else { statistics.badIntegrityResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            guard t.generation == generation else { return }
            // Non-symmetric addresses fail the check (RFC 8445 §7.2.5.2.1).
            guard datagram.source == pairs[index].remote.address, datagram.destination == pairs[index].base else {
                pairs[index].state = .failed
                updateFailure()
                return
            }
            if m.type.messageClass == .errorResponse {
                if m.errorCode?.code == 487 {
                    // Role conflict (RFC 8445 §7.2.5.1): switch and retry.
                    statistics.roleConflicts += 1
                    switchRole(to: role == .controlling ? .controlled : .controlling)
                    pairs[index].state = .waiting
                    pairs[index].useCandidateSent = false
                    triggered.append(index)
                } else {
                    pairs[index].state = .failed
                    updateFailure()
                }
                return
            }
            recordResponse(on: index, sentAt: t.lastSentAt, now: now)
            checkSucceeded(index, mapped: m.xorMappedAddress, useCandidate: useCandidate, now: now)
        case .consent(let index):
            guard let key = remoteKey, parsed.verifyIntegrity(key) else { statistics.badIntegrityResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            if m.type.messageClass == .successResponse, t.generation == generation, selectedIndex == index,
               datagram.source == pairs[index].remote.address {
                recordResponse(on: index, sentAt: t.lastSentAt, now: now)
                consentRefreshed(now: now)
            }
        }
    }

    mutating func checkSucceeded(_ index: Int, mapped: TransportAddress?, useCandidate: Bool, now: NIODeadline) {
        // A mapped address that is no local candidate is a peer-reflexive local candidate
        // (RFC 8445 §7.2.5.3.1); it shares the base, so the pair sends the same way.
        if let mapped, mapped != pairs[index].base, !localCandidates.contains(where: { $0.address == mapped }) {
            if pairs[index].local.type == .host {
                pairs[index].local = ICECandidate(foundation: foundation(type: .peerReflexive, base: pairs[index].base.ip, server: nil),
                                                  priority: ICECandidate.priority(type: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: pairs[index].local.priority >> 8)),
                                                  address: mapped, type: .peerReflexive, relatedAddress: pairs[index].base)
            }
        }
        pairs[index].state = .succeeded
        pairs[index].valid = true
        if firstValidAt == nil {
            firstValidAt = now
            if selectedSend == nil { events.append(.validPairFound(pairs[index].public_)) }
        }
        // Unfreeze pairs with the same foundation (RFC 8445 §7.2.5.3.3).
        let f = pairs[index].foundation
        for i in pairs.indices where pairs[i].state == .frozen && pairs[i].foundation == f { pairs[i].state = .waiting }
        if selectedIndex == index { consentRefreshed(now: now) }
        if role == .controlling && useCandidate {
            select(index, now: now)
        } else if role == .controlled && pairs[index].nominateOnSuccess {
            select(index, now: now)
        } else {
            nominateIfDue(now: now)
        }
    }
}
