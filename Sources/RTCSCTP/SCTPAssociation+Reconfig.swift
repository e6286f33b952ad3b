import NIOCore

extension SCTPAssociation {
    /// Sends an Outgoing SSN Reset Request for the pending streams once nothing is queued on
    /// them and no other request is outstanding. RFC 6525 §5.1.2.
    mutating func startReconfigIfReady(now: NIODeadline) {
        guard outstandingReset == nil, !pendingResetStreams.isEmpty, state == .established else { return }
        let pending = Set(pendingResetStreams)
        if sendQueue.contains(where: { pending.contains($0.stream) }) { return }
        outstandingReset = (nextRequestSeq, pendingResetStreams, nextTSN &- 1)
        nextRequestSeq &+= 1
        pendingResetStreams.removeAll()
        reconfigToSend = true
        reconfigDeadline = now + rto
    }

    mutating func handleReconfigTimer(now: NIODeadline) {
        reconfigDeadline = nil
        guard outstandingReset != nil, state == .established else { return }
        errorCount += 1
        if errorCount > configuration.maxAssociationRetransmits {
            failAssociation()
            return
        }
        rto = min(rto * 2, configuration.rtoMax)
        reconfigToSend = true
        reconfigDeadline = now + rto
    }

    /// Handles the parameters of a RE-CONFIG chunk. RFC 6525 §5.2.
    mutating func handleReconfig(_ chunk: ReconfigChunk, now: NIODeadline) {
        guard acceptsData else { return }
        for p in chunk.parameters {
            switch p {
            case .outgoingReset(let req, _, let lastTSN, let streams):
                let result: UInt32
                if req == expectedPeerRequestSeq {
                    if tsnLessOrEqual(lastTSN, cumReceived) {
                        resetIncoming(streams)
                        expectedPeerRequestSeq &+= 1
                        lastPeerResult = ReconfigChunk.Result.successPerformed
                        deferredPeerReset = nil
                        result = ReconfigChunk.Result.successPerformed
                    } else {
                        // Data before the reset point is still missing. RFC 6525 §5.2.2 (E2).
                        deferredPeerReset = (req, lastTSN, streams)
                        result = ReconfigChunk.Result.inProgress
                    }
                } else if req == expectedPeerRequestSeq &- 1 {
                    result = lastPeerResult
                } else {
                    result = ReconfigChunk.Result.errorBadSequenceNumber
                }
                reconfigResponses.append(.response(responseSequence: req, result: result))
            case .incomingReset(let req, _):
                // We do not reset on the peer's behalf; RFC 8831 closes with outgoing resets only.
                reconfigResponses.append(.response(responseSequence: req, result: ReconfigChunk.Result.denied))
                if req == expectedPeerRequestSeq { expectedPeerRequestSeq &+= 1 }
            case .response(let seq, let result):
                guard let r = outstandingReset, r.seq == seq else { continue }
                switch result {
                case ReconfigChunk.Result.successPerformed, ReconfigChunk.Result.successNothingToDo:
                    for s in r.streams {
                        outboundSSN[s] = nil
                        resettingStreams.remove(s)
                    }
                    outstandingReset = nil
                    reconfigToSend = false
                    reconfigDeadline = nil
                    events.append(.outgoingStreamsReset(r.streams))
                    startReconfigIfReady(now: now)
                case ReconfigChunk.Result.inProgress:
                    reconfigDeadline = now + rto
                default:
                    for s in r.streams { resettingStreams.remove(s) }
                    outstandingReset = nil
                    reconfigToSend = false
                    reconfigDeadline = nil
                    events.append(.streamResetFailed(r.streams))
                    startReconfigIfReady(now: now)
                }
            case .other:
                break
            }
        }
    }

    mutating func resetIncoming(_ streams: [UInt16]) {
        for s in streams {
            if let st = inboundStreams.removeValue(forKey: s) {
                for m in st.ready.values { readyBytes -= m.payload.readableBytes }
            }
        }
        events.append(.incomingStreamsReset(streams))
    }

    /// Performs a reset that waited for data up to its sender's last TSN, and answers it at once.
    mutating func performDeferredResetIfReady() {
        guard let d = deferredPeerReset, tsnLessOrEqual(d.lastTSN, cumReceived) else { return }
        deferredPeerReset = nil
        resetIncoming(d.streams)
        expectedPeerRequestSeq &+= 1
        lastPeerResult = ReconfigChunk.Result.successPerformed
        reconfigResponses.append(.response(responseSequence: d.seq, result: ReconfigChunk.Result.successPerformed))
    }
}
