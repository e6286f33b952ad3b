import NIOCore

/// Consecutive fragments of one message held for reassembly, from its B chunk `begin` to
/// `end`, none of them its E chunk (see `SCTPAssociation.reassemblyRun`).
struct ReassemblyRun {
    var begin: UInt32
    var end: UInt32
    /// User data bytes from `begin` to `end`.
    var total: Int
    var stream: UInt16
    var unordered: Bool
    var ssn: UInt16

    /// `true` when `chunk` is the next fragment, in TSN order, of this run's message.
    func continues(with chunk: DataChunk, tsn: UInt32) -> Bool {
        tsn == end &+ 1 && !chunk.isBeginning && chunk.streamIdentifier == stream && chunk.isUnordered == unordered
            && (unordered || chunk.streamSequenceNumber == ssn)
    }
}

extension SCTPAssociation {
    /// Farthest a TSN may run ahead of the cumulative TSN before we drop it.
    static let maxTSNLookahead = 1 << 18

    var acceptsData: Bool {
        switch state {
        case .established, .shutdownPending, .shutdownSent, .shutdownReceived: true
        default: false
        }
    }

    /// Processes one DATA chunk: duplicate detection, receive window, reassembly and delivery.
    /// Returns `false` when it aborted the association. RFC 9260 §6.2, §6.5, §6.9.
    mutating func handleData(_ d: DataChunk, now: NIODeadline) -> Bool {
        guard acceptsData else { return true }
        guard d.userData.readableBytes > 0 else {
            // RFC 9260 §6.2: a DATA chunk without user data aborts with "No User Data".
            var v = ByteBuffer()
            v.writeInteger(d.tsn)
            abortForViolation(.protocolViolation("DATA chunk \(d.tsn) has no user data"),
                              cause: SCTPErrorCause(code: SCTPErrorCause.noUserData, value: v))
            return false
        }
        let diff = Int32(bitPattern: d.tsn &- cumReceived)
        if diff <= 0 {
            noteDuplicate(d.tsn)
            return true
        }
        let index = Int(diff) - 1
        if index < receivedMap.count && receivedMap[index] {
            noteDuplicate(d.tsn)
            return true
        }
        if index >= Self.maxTSNLookahead {
            sackNeeded = true
            return true
        }
        let size = d.userData.readableBytes
        if index >= receivedMap.count && heldBytes + readyBytes + size > Int(configuration.receiveWindow) {
            // Window exhausted and the chunk fills no hole: drop it. RFC 9260 §6.2.
            sackNeeded = true
            return true
        }
        while receivedMap.count < index { receivedMap.append(false) }
        if index == receivedMap.count { receivedMap.append(true) } else { receivedMap[index] = true }
        if d.streamIdentifier >= inboundStreamCount {
            // RFC 9260 §6.5: acknowledge the TSN, drop the data, report an invalid stream.
            var v = ByteBuffer()
            v.writeInteger(d.streamIdentifier)
            v.writeInteger(UInt16(0))
            let cause = SCTPErrorCause(code: SCTPErrorCause.invalidStreamIdentifier, value: v)
            controlQueue.append(makePacket(tag: peerTag, [.error(ErrorChunk(causes: [cause]))]))
        } else {
            chunksByTSN[d.tsn] = d
            heldBytes += size
        }
        advanceCumulativeTSN()
        if !receivedMap.isEmpty { sackNeeded = true }
        if d.streamIdentifier < inboundStreamCount {
            if !assembleMessage(containing: d.tsn) { return false }
        }
        performDeferredResetIfReady()
        return true
    }

    mutating func noteDuplicate(_ tsn: UInt32) {
        if duplicates.count < 64 { duplicates.append(tsn) }
        sackNeeded = true
    }

    mutating func advanceCumulativeTSN() {
        while let first = receivedMap.first, first {
            receivedMap.removeFirst()
            cumReceived &+= 1
        }
    }

    /// Called after all chunks of a packet: schedules the SACK (every second DATA packet, or
    /// after the delayed-ack timeout). RFC 9260 §6.2.
    mutating func finishDataPacket(hadData: Bool, now: NIODeadline) {
        guard hadData, state != .closed else { return }
        dataPacketsSinceSack += 1
        if dataPacketsSinceSack >= 2 || state == .shutdownSent {
            sackNeeded = true
        }
        if sackNeeded {
            ackDeadline = nil
        } else if ackDeadline == nil {
            ackDeadline = now + configuration.delayedAckTimeout
        }
    }

    private func sameMessage(_ a: DataChunk, _ b: DataChunk) -> Bool {
        a.streamIdentifier == b.streamIdentifier && a.isUnordered == b.isUnordered
            && (a.isUnordered || a.streamSequenceNumber == b.streamSequenceNumber)
    }

    /// Reassembles the message that the chunk `tsn` belongs to once all its fragments (a run of
    /// consecutive TSNs from a B to an E chunk) are present, then delivers it. Returns `false`
    /// when it aborted the association for an oversize message. RFC 9260 §6.9.
    mutating func assembleMessage(containing tsn: UInt32) -> Bool {
        guard let chunk = chunksByTSN[tsn] else { return true }
        var begin = tsn
        var cur = chunk
        var end: UInt32
        var total: Int
        if let run = reassemblyRun, run.continues(with: chunk, tsn: tsn) {
            // The walk back from `tsn` would cross the run to its B chunk: start from there.
            begin = run.begin
            end = tsn
            total = run.total + chunk.userData.readableBytes
            if total > configuration.maxInboundMessageSize { return checkPartialSize(total) }
        } else {
            while !cur.isBeginning {
                guard let prev = chunksByTSN[begin &- 1], sameMessage(prev, chunk), !prev.isEnding else { return true }
                begin &-= 1
                cur = prev
            }
            end = begin
            total = cur.userData.readableBytes
        }
        while !cur.isEnding {
            guard let next = chunksByTSN[end &+ 1], sameMessage(next, chunk), !next.isBeginning else {
                reassemblyRun = ReassemblyRun(begin: begin, end: end, total: total, stream: chunk.streamIdentifier,
                                              unordered: chunk.isUnordered, ssn: chunk.streamSequenceNumber)
                return checkPartialSize(total)
            }
            end &+= 1
            cur = next
            total += next.userData.readableBytes
            if total > configuration.maxInboundMessageSize { return checkPartialSize(total) }
        }
        guard checkPartialSize(total) else { return false }
        reassemblyRun = nil
        var payload: ByteBuffer
        if begin == end {
            payload = chunksByTSN.removeValue(forKey: begin)!.userData
        } else {
            payload = ByteBuffer()
            payload.reserveCapacity(total)
            var t = begin
            while true {
                let c = chunksByTSN.removeValue(forKey: t)!
                payload.writeImmutableBuffer(c.userData)
                if t == end { break }
                t &+= 1
            }
        }
        heldBytes -= total
        let message = SCTPMessage(stream: chunk.streamIdentifier, ppid: chunk.payloadProtocolIdentifier,
                                  unordered: chunk.isUnordered, payload: payload)
        if chunk.isUnordered {
            events.append(.message(message))
            return true
        }
        var stream = inboundStreams[chunk.streamIdentifier] ?? InboundStream()
        let ssn = chunk.streamSequenceNumber
        if ssn == stream.nextSSN {
            events.append(.message(message))
            stream.nextSSN &+= 1
            flushReady(&stream)
        } else if ssnLess(stream.nextSSN, ssn) {
            stream.ready[ssn] = message
            readyBytes += total
        }
        inboundStreams[chunk.streamIdentifier] = stream
        return true
    }

    private mutating func checkPartialSize(_ total: Int) -> Bool {
        guard total > configuration.maxInboundMessageSize else { return true }
        abortForViolation(.messageTooLarge(total),
                          cause: SCTPErrorCause(code: SCTPErrorCause.protocolViolation,
                                                value: ByteBuffer(string: "message exceeds \(configuration.maxInboundMessageSize) bytes")))
        return false
    }

    mutating func flushReady(_ stream: inout InboundStream) {
        while let m = stream.ready.removeValue(forKey: stream.nextSSN) {
            readyBytes -= m.payload.readableBytes
            events.append(.message(m))
            stream.nextSSN &+= 1
        }
    }

    /// Moves the cumulative TSN past abandoned data and skips the listed stream sequence
    /// numbers. RFC 3758 §3.6.
    mutating func handleForwardTSN(_ f: ForwardTSNChunk, now: NIODeadline) {
        guard acceptsData else { return }
        sackNeeded = true
        let newCum = f.newCumulativeTSN
        guard tsnLess(cumReceived, newCum) else { return }
        let advance = Int(newCum &- cumReceived)
        if advance >= receivedMap.count {
            receivedMap.removeAll()
        } else {
            receivedMap.removeFirst(advance)
        }
        cumReceived = newCum
        reassemblyRun = nil
        for (tsn, chunk) in chunksByTSN where tsnLessOrEqual(tsn, newCum) {
            chunksByTSN[tsn] = nil
            heldBytes -= chunk.userData.readableBytes
        }
        advanceCumulativeTSN()
        for entry in f.streams where entry.stream < inboundStreamCount {
            var stream = inboundStreams[entry.stream] ?? InboundStream()
            if !ssnLess(entry.sequenceNumber, stream.nextSSN) {
                var s = stream.nextSSN
                while true {
                    if let m = stream.ready.removeValue(forKey: s) {
                        readyBytes -= m.payload.readableBytes
                        events.append(.message(m))
                    }
                    if s == entry.sequenceNumber { break }
                    s &+= 1
                }
                stream.nextSSN = entry.sequenceNumber &+ 1
                flushReady(&stream)
            }
            inboundStreams[entry.stream] = stream
        }
        performDeferredResetIfReady()
    }
}
