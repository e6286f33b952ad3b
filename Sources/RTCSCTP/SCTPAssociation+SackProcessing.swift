import NIOCore

/// What one SACK acknowledged, gathered by its first steps and used by the later ones.
struct SackProgress {
    /// Bytes of DATA newly acknowledged (cumulatively or by a gap block), abandoned chunks excluded.
    var bytesAcked = 0
    /// The highest TSN this SACK newly acknowledged ("HTNA"), if any. RFC 9260 §7.2.4.
    var highestNewlyAcked: UInt32?

    /// Notes that `tsn` was newly acknowledged.
    mutating func noteNewlyAcked(_ tsn: UInt32) {
        if let h = highestNewlyAcked, !tsnLess(h, tsn) { return }
        highestNewlyAcked = tsn
    }
}

extension SCTPAssociation {
    // MARK: SACK processing (RFC 9260 §6.2.1, §7.2)

    /// Treats the Cumulative TSN Ack of a SHUTDOWN like a SACK without gap blocks that leaves
    /// the peer's window as it was. RFC 9260 §9.2.
    mutating func processCumulativeAck(_ cum: UInt32, now: NIODeadline) {
        handleSack(SelectiveAckChunk(cumulativeTSNAck: cum, advertisedReceiverWindowCredit: peerReceiveWindow &+ UInt32(outstandingBytes)),
                   now: now)
    }

    /// Processes a received SACK, one named step per rule of RFC 9260 §6.2.1 (D) and §7.2:
    /// acknowledgement, fast retransmit, congestion control, the peer's window, then the timers.
    mutating func handleSack(_ sack: SelectiveAckChunk, now: NIODeadline) {
        guard state != .cookieWait, state != .cookieEchoed, state != .closed else { return }
        let cum = sack.cumulativeTSNAck
        // Ignore old SACKs and SACKs for TSNs we never sent. RFC 9260 §6.2.1 (D)(i).
        guard tsnLessOrEqual(cumAckPoint, cum), tsnLess(cum, nextTSN) else { return }
        let cumAdvanced = tsnLess(cumAckPoint, cum)
        let flightBefore = flightSize
        var progress = SackProgress()

        advanceCumulativeAck(to: cum, now: now, progress: &progress)
        markGapAcked(sack.gapAckBlocks, now: now, progress: &progress)
        if let htna = progress.highestNewlyAcked, !sack.gapAckBlocks.isEmpty {
            detectFastRetransmit(below: htna, now: now)
        }
        exitFastRecoveryIfPassed(cum)
        adjustCongestionWindow(cumAdvanced: cumAdvanced, bytesAcked: progress.bytesAcked, flightBefore: flightBefore)
        updatePeerReceiveWindow(advertised: sack.advertisedReceiverWindowCredit)
        if cumAdvanced { clearErrorCounter() }
        expireLifetimes(now: now)
        updateAdvancedPeerAckPoint()
        restartRetransmissionTimer(cumAdvanced: cumAdvanced, now: now)

        if state == .shutdownPending || state == .shutdownReceived { checkShutdownProgress(now: now) }
        if cumAdvanced && !pendingResetStreams.isEmpty { startReconfigIfReady(now: now) }
    }

    /// Drops every chunk up to the Cumulative TSN Ack from the in-flight queue, counting those
    /// not yet acknowledged, and moves the Cumulative TSN Ack Point. RFC 9260 §6.2.1 (D);
    /// Advanced.Peer.Ack.Point follows it, RFC 3758 §3.5 (C1).
    private mutating func advanceCumulativeAck(to cum: UInt32, now: NIODeadline, progress: inout SackProgress) {
        while let first = inflight.first, tsnLessOrEqual(first.tsn, cum) {
            if !first.acked && !first.abandoned {
                noteAcked(first, now: now, bytes: &progress.bytesAcked)
                if first.needsRetransmit { pendingRetransmits -= 1 }
                progress.highestNewlyAcked = first.tsn
            }
            inflight.removeFirst()
        }
        cumAckPoint = cum
        if tsnLess(advancedPeerAckPoint, cum) { advancedPeerAckPoint = cum }
    }

    /// Marks the chunks inside the Gap Ack Blocks as acknowledged: they leave the flight and
    /// need no retransmission. Block offsets count from the Cumulative TSN Ack, which after
    /// `advanceCumulativeAck` is the TSN just before the queue's head. RFC 9260 §3.3.4, §6.2.1.
    private mutating func markGapAcked(_ blocks: [SelectiveAckChunk.GapAckBlock], now: NIODeadline,
                                       progress: inout SackProgress) {
        for block in blocks {
            let start = Int(block.start), end = Int(block.end)
            guard start >= 1, end >= start else { continue }
            var idx = start - 1
            while idx <= end - 1 && idx < inflight.count {
                if !inflight[idx].acked {
                    inflight[idx].acked = true
                    if !inflight[idx].abandoned {
                        noteAcked(inflight[idx], now: now, bytes: &progress.bytesAcked)
                        if inflight[idx].needsRetransmit {
                            inflight[idx].needsRetransmit = false
                            pendingRetransmits -= 1
                        }
                        inflight[idx].inFlight = false
                    }
                    progress.noteNewlyAcked(inflight[idx].tsn)
                }
                idx += 1
            }
        }
    }

    /// Counts a miss indication for every outstanding chunk below the highest newly
    /// acknowledged TSN; at the third, the chunk is marked for fast retransmission (or abandoned
    /// if its PR-SCTP policy ran out, RFC 3758 §3.5 (A2)) and the sender enters Fast Recovery,
    /// halving its window once. RFC 9260 §7.2.4.
    private mutating func detectFastRetransmit(below htna: UInt32, now: NIODeadline) {
        var marked = false
        var i = 0
        while i < inflight.count, tsnLess(inflight[i].tsn, htna) {
            if !inflight[i].acked && !inflight[i].abandoned && !inflight[i].fastRetransmitted && !inflight[i].needsRetransmit {
                inflight[i].missIndications += 1
                if inflight[i].missIndications >= 3 {
                    inflight[i].fastRetransmitted = true
                    if shouldAbandon(inflight[i], now: now) {
                        abandonMessage(at: i)
                    } else {
                        markForRetransmit(at: i)
                        marked = true
                    }
                }
            }
            i += 1
        }
        guard marked else { return }
        if !inFastRecovery {
            inFastRecovery = true
            fastRecoveryExit = nextTSN &- 1
            slowStartThreshold = max(congestionWindow / 2, 4 * configuration.maxPacketSize)
            congestionWindow = slowStartThreshold
            partialBytesAcked = 0
        }
        fastRetransmitBypass = true
    }

    /// Leaves Fast Recovery once the Cumulative TSN Ack reaches its exit point.
    /// RFC 9260 §6.2.1 (D)(iv), §7.2.4 (5).
    private mutating func exitFastRecoveryIfPassed(_ cum: UInt32) {
        if inFastRecovery && tsnLessOrEqual(fastRecoveryExit, cum) { inFastRecovery = false }
    }

    /// Grows the congestion window when the cumulative ack advanced outside Fast Recovery and
    /// the window was fully used: by at most one MTU per SACK in slow start (RFC 9260 §7.2.1),
    /// by one MTU per window of acknowledged bytes in congestion avoidance (§7.2.2).
    /// `partial_bytes_acked` resets once nothing is in flight (§7.2.2).
    private mutating func adjustCongestionWindow(cumAdvanced: Bool, bytesAcked: Int, flightBefore: Int) {
        if cumAdvanced && !inFastRecovery && bytesAcked > 0 {
            let mtu = configuration.maxPacketSize
            let fullyUtilized = flightBefore + mtu >= congestionWindow
            if congestionWindow <= slowStartThreshold {
                if fullyUtilized { congestionWindow += min(bytesAcked, mtu) }
            } else {
                partialBytesAcked += bytesAcked
                if partialBytesAcked >= congestionWindow && fullyUtilized {
                    partialBytesAcked -= congestionWindow
                    congestionWindow += mtu
                }
            }
        }
        if flightSize == 0 { partialBytesAcked = 0 }
    }

    /// The peer's window is its advertised a_rwnd minus what is still outstanding after this
    /// SACK. RFC 9260 §6.2.1 (D)(ii).
    private mutating func updatePeerReceiveWindow(advertised: UInt32) {
        let a = Int(advertised)
        peerReceiveWindow = a > outstandingBytes ? UInt32(a - outstandingBytes) : 0
    }

    /// Newly acknowledged data proves the peer reachable: the error counter and any
    /// outstanding heartbeat are cleared. RFC 9260 §8.1, §8.3.
    private mutating func clearErrorCounter() {
        errorCount = 0
        heartbeatOutstanding = nil
    }

    /// Stops T3-rtx when nothing is outstanding (and no FORWARD TSN is owed), restarts it when
    /// the earliest outstanding TSN was acknowledged. RFC 9260 §6.3.2 (R2, R3).
    private mutating func restartRetransmissionTimer(cumAdvanced: Bool, now: NIODeadline) {
        if outstandingBytes == 0 && !tsnLess(cumAckPoint, advancedPeerAckPoint) {
            t3Deadline = nil
        } else if cumAdvanced {
            t3Deadline = now + rto
        }
    }

    /// Accounts one newly acknowledged chunk: it leaves the outstanding bytes and the flight,
    /// and if it was the chunk being timed, yields an RTT sample.
    mutating func noteAcked(_ c: InflightChunk, now: NIODeadline, bytes: inout Int) {
        bytes += c.size
        outstandingBytes -= c.size
        if c.inFlight { flightSize -= c.size }
        updateRTT(acked: c, now: now)
    }

    /// Takes an RTT sample when `c` is the chunk being timed, unless it was retransmitted
    /// (Karn's algorithm). RFC 9260 §6.3.1 (C4, C5).
    private mutating func updateRTT(acked c: InflightChunk, now: NIODeadline) {
        guard let m = rttMeasurement, m.tsn == c.tsn else { return }
        if c.transmissions == 1 { updateRTO(measured: now - m.sentAt) }
        rttMeasurement = nil
    }

    /// Marks the chunk at `i` for retransmission; it leaves the flight. RFC 9260 §6.3.3 (E3), §7.2.4.
    mutating func markForRetransmit(at i: Int) {
        guard !inflight[i].needsRetransmit else { return }
        inflight[i].needsRetransmit = true
        pendingRetransmits += 1
        if inflight[i].inFlight {
            inflight[i].inFlight = false
            flightSize -= inflight[i].size
        }
    }
}
