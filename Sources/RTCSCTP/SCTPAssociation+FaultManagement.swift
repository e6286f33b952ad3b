import NIOCore

extension SCTPAssociation {
    // MARK: - Heartbeat (RFC 9260 §8.3)

    mutating func handleHeartbeatTimer(now: NIODeadline) {
        guard state == .established || state == .shutdownPending || state == .shutdownReceived else {
            heartbeatDeadline = nil
            return
        }
        if heartbeatOutstanding != nil {
            errorCount += 1
            if errorCount > configuration.maxAssociationRetransmits {
                failAssociation()
                return
            }
        }
        let nonce = rng.next()
        var info = ByteBuffer()
        info.writeInteger(nonce)
        info.writeInteger(now.uptimeNanoseconds)
        heartbeatOutstanding = nonce
        controlQueue.append(makePacket(tag: peerTag, [.heartbeat(HeartbeatChunk(info: info))]))
        heartbeatDeadline = now + configuration.heartbeatInterval + rto
    }

    mutating func handleHeartbeatAck(_ chunk: HeartbeatChunk, now: NIODeadline) {
        guard let nonce = chunk.info.getInteger(at: chunk.info.readerIndex, as: UInt64.self),
              let sent = chunk.info.getInteger(at: chunk.info.readerIndex + 8, as: UInt64.self),
              nonce == heartbeatOutstanding else { return }
        heartbeatOutstanding = nil
        errorCount = 0
        let rtt = Int64(now.uptimeNanoseconds) - Int64(truncatingIfNeeded: sent)
        if rtt >= 0 { updateRTO(measured: .nanoseconds(rtt)) }
    }

    mutating func failAssociation() {
        let cause = SCTPErrorCause(code: SCTPErrorCause.userInitiatedAbort)
        controlQueue.append(makePacket(tag: peerTag, [.abort(AbortChunk(causes: [cause]))]))
        enterClosed()
        events.append(.aborted(.retransmissionLimit))
    }

    // MARK: - RTO (RFC 9260 §6.3.1)

    /// Folds one RTT measurement into SRTT/RTTVAR and recomputes RTO. RFC 9260 §6.3.1 (C1–C3).
    mutating func updateRTO(measured r: TimeAmount) {
        let granularity: Int64 = 1_000_000
        if let s = srtt {
            let diff = abs(s.nanoseconds - r.nanoseconds)
            rttvar = .nanoseconds((3 * rttvar.nanoseconds + diff) / 4)
            srtt = .nanoseconds((7 * s.nanoseconds + r.nanoseconds) / 8)
        } else {
            srtt = r
            rttvar = .nanoseconds(r.nanoseconds / 2)
        }
        let computed = srtt!.nanoseconds + max(4 * rttvar.nanoseconds, granularity)
        rto = .nanoseconds(min(max(computed, configuration.rtoMin.nanoseconds), configuration.rtoMax.nanoseconds))
    }
}
