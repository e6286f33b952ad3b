import DequeModule
import NIOCore

extension SCTPAssociation {
    /// The next packet to send, or `nil` when there is nothing (more) to send now. Bundles a
    /// pending SACK, FORWARD TSN, RE-CONFIG, retransmissions and new DATA — as much as the
    /// congestion window and the peer's receive window allow — into packets of at most
    /// `maxPacketSize` bytes. RFC 9260 §6.1, §6.10, §7.2.
    ///
    /// What it sends is stamped with the last `now` the association was given (see the type's
    /// documentation): drain it right after the call that produced the output.
    public mutating func pollTransmit() -> ByteBuffer? {
        if let p = controlQueue.popFirst() { return p }
        let now = lastNow
        switch state {
        case .established, .shutdownPending, .shutdownReceived, .shutdownSent, .shutdownAckSent: break
        default: return nil
        }
        if !pendingResetStreams.isEmpty { startReconfigIfReady(now: now) }
        let canSendData = state == .established || state == .shutdownPending || state == .shutdownReceived
        // Nothing to send (the common case: the session polls after every datagram and every
        // RTP send): no packet buffer is made.
        guard sackNeeded || forwardTSNPending || reconfigToSend || !reconfigResponses.isEmpty
                || (canSendData && (pendingRetransmits > 0 || !sendQueue.isEmpty)) else { return nil }
        let mtu = configuration.maxPacketSize
        // Straight from the allocator (reserving capacity on an empty buffer went through the
        // copy-and-rebase path of its shared empty storage, once per packet).
        var buffer = ByteBufferAllocator().buffer(capacity: mtu)
        SCTPPacket.writeHeader(source: configuration.localPort, destination: configuration.remotePort, tag: peerTag, to: &buffer)
        var wrote = false

        if sackNeeded {
            writeSack(to: &buffer, room: mtu - buffer.writerIndex)
            wrote = true
        }
        if forwardTSNPending, let fwd = makeForwardTSN(), buffer.writerIndex + fwd.encodedLength <= mtu {
            fwd.write(to: &buffer)
            forwardTSNPending = false
            if t3Deadline == nil { t3Deadline = now + rto }
            wrote = true
        }
        if reconfigToSend || !reconfigResponses.isEmpty {
            var params = reconfigResponses
            if reconfigToSend, let r = outstandingReset {
                params.append(.outgoingReset(requestSequence: r.seq, responseSequence: expectedPeerRequestSeq &- 1,
                                             senderLastTSN: r.lastTSN, streams: r.streams))
            }
            let chunk = SCTPChunk.reconfig(ReconfigChunk(parameters: params))
            if buffer.writerIndex + chunk.encodedLength <= mtu {
                chunk.write(to: &buffer)
                reconfigToSend = false
                reconfigResponses.removeAll()
                wrote = true
            }
        }
        if canSendData && pendingRetransmits > 0 {
            if writeRetransmissions(to: &buffer, now: now) { wrote = true }
        }
        if canSendData && pendingRetransmits == 0 {
            if writeNewData(to: &buffer, now: now) { wrote = true }
        }
        guard wrote else { return nil }
        SCTPPacket.finalizeChecksum(&buffer, packetStart: 0)
        if state == .shutdownPending || state == .shutdownReceived { checkShutdownProgress(now: now) }
        return buffer
    }

    // MARK: SACK generation (RFC 9260 §6.2)

    mutating func currentReceiveWindow() -> UInt32 {
        let used = heldBytes + readyBytes
        return used >= Int(configuration.receiveWindow) ? 0 : configuration.receiveWindow - UInt32(used)
    }

    mutating func writeSack(to buffer: inout ByteBuffer, room: Int) {
        var blocks: [SelectiveAckChunk.GapAckBlock] = []
        let maxBlocks = max(0, (room - 16) / 4 - min(duplicates.count, 16))
        var i = 0
        let n = receivedMap.count
        while i < n && blocks.count < maxBlocks && i < 65535 {
            if receivedMap[i] {
                let start = i
                while i < n && receivedMap[i] && i < 65535 { i += 1 }
                blocks.append(.init(start: UInt16(start + 1), end: UInt16(i)))
            } else {
                i += 1
            }
        }
        let dups = Array(duplicates.prefix(16))
        SelectiveAckChunk(cumulativeTSNAck: cumReceived, advertisedReceiverWindowCredit: currentReceiveWindow(),
                          gapAckBlocks: blocks, duplicateTSNs: dups).write(to: &buffer)
        duplicates.removeAll(keepingCapacity: true)
        sackNeeded = false
        dataPacketsSinceSack = 0
        ackDeadline = nil
    }

    // MARK: DATA transmission

    /// Writes chunks marked for retransmission; `true` if any were written. RFC 9260 §6.3.3, §7.2.4.
    mutating func writeRetransmissions(to buffer: inout ByteBuffer, now: NIODeadline) -> Bool {
        let mtu = configuration.maxPacketSize
        let bypass = fastRetransmitBypass
        fastRetransmitBypass = false
        if !bypass && flightSize >= congestionWindow { return false }
        var wrote = false
        var i = 0
        while i < inflight.count && pendingRetransmits > 0 {
            if inflight[i].needsRetransmit {
                let size = DataChunk.headerSize + inflight[i].size
                if buffer.writerIndex + ((size + 3) & ~3) > mtu { break }
                if !bypass && flightSize + inflight[i].size > congestionWindow && wrote { break }
                let c = inflight[i]
                DataChunk.write(flags: c.flags, tsn: c.tsn, stream: c.stream, ssn: c.ssn, ppid: c.ppid,
                                userData: c.payload, to: &buffer)
                inflight[i].needsRetransmit = false
                inflight[i].inFlight = true
                inflight[i].transmissions += 1
                inflight[i].sentAt = now
                pendingRetransmits -= 1
                flightSize += c.size
                if let m = rttMeasurement, m.tsn == c.tsn { rttMeasurement = nil }
                wrote = true
            }
            i += 1
        }
        if wrote && t3Deadline == nil { t3Deadline = now + rto }
        return wrote
    }

    /// Fragments queued messages into DATA chunks while the windows allow; `true` if any were written.
    /// RFC 9260 §6.1 (rules A–D), §6.9.
    mutating func writeNewData(to buffer: inout ByteBuffer, now: NIODeadline) -> Bool {
        let mtu = configuration.maxPacketSize
        var wrote = false
        while var message = sendQueue.first {
            if !message.started, let e = message.expiry, e <= now {
                // Lifetime ran out before any of it was sent: drop it. RFC 3758 §3.1.
                sendQueue.removeFirst()
                bufferedByStream[message.stream, default: 0] -= message.payload.readableBytes
                totalBufferedAmount -= message.payload.readableBytes
                continue
            }
            guard flightSize < congestionWindow else { break }
            let room = mtu - buffer.writerIndex - DataChunk.headerSize
            let remaining = message.payload.readableBytes
            // Do not split a message into a tiny fragment when a fresh packet would carry more.
            if room < min(remaining, 64) { break }
            let length = min(remaining, room)
            if flightSize > 0 && Int(peerReceiveWindow) < length { break }
            var flags: UInt8 = message.started ? 0 : DataChunk.beginningFlag
            if length == remaining { flags |= DataChunk.endingFlag }
            if message.unordered { flags |= DataChunk.unorderedFlag }
            if !message.started {
                message.started = true
                if !message.unordered {
                    let ssn = outboundSSN[message.stream] ?? 0
                    message.ssn = ssn
                    outboundSSN[message.stream] = ssn &+ 1
                }
            }
            let slice = message.payload.readSlice(length: length)!
            let tsn = nextTSN
            nextTSN &+= 1
            DataChunk.write(flags: flags, tsn: tsn, stream: message.stream, ssn: message.ssn, ppid: message.ppid,
                            userData: slice, to: &buffer)
            if message.expiry != nil { sentChunkWithLifetime = true }
            inflight.append(InflightChunk(tsn: tsn, stream: message.stream, ssn: message.ssn, ppid: message.ppid,
                                          flags: flags, payload: slice, messageID: message.id,
                                          maxRetransmits: message.maxRetransmits, expiry: message.expiry, sentAt: now))
            flightSize += length
            outstandingBytes += length
            peerReceiveWindow = peerReceiveWindow > UInt32(length) ? peerReceiveWindow - UInt32(length) : 0
            bufferedByStream[message.stream, default: 0] -= length
            totalBufferedAmount -= length
            if rttMeasurement == nil { rttMeasurement = (tsn, now) }
            wrote = true
            if message.payload.readableBytes == 0 {
                sendQueue.removeFirst()
                if bufferedByStream[message.stream] == 0 { bufferedByStream[message.stream] = nil }
            } else {
                sendQueue[sendQueue.startIndex] = message
            }
        }
        if wrote && t3Deadline == nil { t3Deadline = now + rto }
        return wrote
    }

    // MARK: T3-rtx expiry (RFC 9260 §6.3.3)

    mutating func handleT3(now: NIODeadline) {
        t3Deadline = nil
        guard outstandingBytes > 0 || tsnLess(cumAckPoint, advancedPeerAckPoint) else { return }
        errorCount += 1
        if errorCount > configuration.maxAssociationRetransmits {
            failAssociation()
            return
        }
        rto = min(rto * 2, configuration.rtoMax)
        let mtu = configuration.maxPacketSize
        slowStartThreshold = max(congestionWindow / 2, 4 * mtu)
        congestionWindow = mtu
        partialBytesAcked = 0
        inFastRecovery = false
        rttMeasurement = nil
        var i = 0
        while i < inflight.count {
            if !inflight[i].acked && !inflight[i].abandoned {
                if shouldAbandon(inflight[i], now: now) {
                    abandonMessage(at: i)
                } else {
                    markForRetransmit(at: i)
                }
            }
            i += 1
        }
        updateAdvancedPeerAckPoint()
        t3Deadline = now + rto
    }

    // MARK: PR-SCTP (RFC 3758)

    func shouldAbandon(_ c: InflightChunk, now: NIODeadline) -> Bool {
        if let m = c.maxRetransmits, c.transmissions > m { return true }
        if let e = c.expiry, e <= now { return true }
        return false
    }

    /// Abandons every fragment of the message of the chunk at `index`, including fragments not
    /// yet sent. RFC 3758 §3.5 (A3).
    mutating func abandonMessage(at index: Int) {
        let id = inflight[index].messageID
        var start = index
        while start > 0 && inflight[start - 1].messageID == id { start -= 1 }
        var i = start
        while i < inflight.count && inflight[i].messageID == id {
            if !inflight[i].abandoned {
                inflight[i].abandoned = true
                if !inflight[i].acked {
                    outstandingBytes -= inflight[i].size
                    if inflight[i].inFlight { flightSize -= inflight[i].size }
                    if inflight[i].needsRetransmit { pendingRetransmits -= 1 }
                }
                inflight[i].inFlight = false
                inflight[i].needsRetransmit = false
            }
            i += 1
        }
        if let head = sendQueue.first, head.id == id {
            sendQueue.removeFirst()
            bufferedByStream[head.stream, default: 0] -= head.payload.readableBytes
            totalBufferedAmount -= head.payload.readableBytes
            if bufferedByStream[head.stream] == 0 { bufferedByStream[head.stream] = nil }
        }
    }

    mutating func expireLifetimes(now: NIODeadline) {
        guard sentChunkWithLifetime else { return }
        var i = 0
        while i < inflight.count {
            let c = inflight[i]
            if !c.acked && !c.abandoned, let e = c.expiry, e <= now { abandonMessage(at: i) }
            i += 1
        }
    }

    /// Moves Advanced.Peer.Ack.Point over consecutive abandoned chunks; schedules FORWARD TSN
    /// when it passes the cumulative ack point. RFC 3758 §3.5 (C1–C3).
    mutating func updateAdvancedPeerAckPoint() {
        guard peerSupportsForwardTSN else { return }
        if tsnLess(advancedPeerAckPoint, cumAckPoint) { advancedPeerAckPoint = cumAckPoint }
        var i = Int(advancedPeerAckPoint &- cumAckPoint)
        while i < inflight.count && inflight[i].abandoned {
            advancedPeerAckPoint = inflight[i].tsn
            i += 1
        }
        if tsnLess(cumAckPoint, advancedPeerAckPoint) { forwardTSNPending = true }
    }

    func makeForwardTSN() -> SCTPChunk? {
        guard tsnLess(cumAckPoint, advancedPeerAckPoint) else { return nil }
        var perStream: [UInt16: UInt16] = [:]
        var i = 0
        let count = Int(advancedPeerAckPoint &- cumAckPoint)
        while i < count && i < inflight.count {
            let c = inflight[i]
            if c.flags & DataChunk.unorderedFlag == 0 {
                if let s = perStream[c.stream], !ssnLess(s, c.ssn) {} else { perStream[c.stream] = c.ssn }
            }
            i += 1
        }
        let entries = perStream.sorted { $0.key < $1.key }.map { ForwardTSNChunk.StreamEntry(stream: $0.key, sequenceNumber: $0.value) }
        return .forwardTSN(ForwardTSNChunk(newCumulativeTSN: advancedPeerAckPoint, streams: entries))
    }
}
