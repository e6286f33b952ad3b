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
        if let s = srtt {
            let diff = abs(s.nanoseconds - r.nanoseconds)
            rttvar = .nanoseconds((3 * rttvar.nanoseconds + diff) / 4)
            srtt = .nanoseconds((7 * s.nanoseconds + r.nanoseconds) / 8)
        } else {
            srtt = r
            rttvar = .nanoseconds(r.nanoseconds / 2)
        }
        rto = rtoFromMeasurements
    }

    /// RTO from SRTT and RTTVAR, within RTO.Min…RTO.Max (C3, clock granularity 1 ms), or
    /// RTO.Initial before the first measurement.
    var rtoFromMeasurements: TimeAmount {
        guard let srtt else { return configuration.rtoInitial }
        let computed = srtt.nanoseconds + max(4 * rttvar.nanoseconds, 1_000_000)
        return .nanoseconds(min(max(computed, configuration.rtoMin.nanoseconds), configuration.rtoMax.nanoseconds))
    }

    // MARK: - Path restored

    /// The layer below reports that the path carries packets again after an outage (ICE heard
    /// the peer once more, or an ICE restart selected a new pair). During the outage every
    /// expiry of T3-rtx (or T1) doubled the RTO, towards RTO.Max (60 s): without this call the
    /// data waiting for retransmission would sit until the backed-off timer fires, up to a
    /// minute after the path came back. Here the RTO returns to what SRTT and RTTVAR give (or
    /// RTO.Initial before any measurement), the error count to zero, round-trip measurements
    /// under way (DATA or HEARTBEAT) are dropped, and a running T3-rtx or T1 timer expires now,
    /// so the outstanding data (or the INIT / COOKIE ECHO) goes again at once, from a
    /// congestion window of one packet (RFC 9260 §7.2.3 still applies).
    public mutating func pathRestored(now: NIODeadline) {
        lastNow = now
        guard state != .closed else { return }
        pathRestorations += 1
        errorCount = 0
        // A chunk or HEARTBEAT timed now may have been held below while there was no path: its
        // answer would measure the outage, not the path, and leave SRTT (so the RTO) tens of
        // seconds long. Neither is measured; a heartbeat answered late is simply ignored.
        rttMeasurement = nil
        heartbeatOutstanding = nil
        rto = rtoFromMeasurements
        if t3Deadline != nil { t3Deadline = now }
        if t1Deadline != nil {
            t1Count = 0
            t1Deadline = now
        }
    }
}
