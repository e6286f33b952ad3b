import NIOCore

extension SCTPAssociation {
    // MARK: - Shutdown (RFC 9260 §9.2)

    mutating func handleShutdown(_ chunk: ShutdownChunk, now: NIODeadline) {
        switch state {
        case .established, .shutdownPending, .shutdownReceived:
            processCumulativeAck(chunk.cumulativeTSNAck, now: now)
            state = .shutdownReceived
            checkShutdownProgress(now: now)
        case .shutdownSent:
            // Both sides shut down at once: answer with SHUTDOWN ACK. RFC 9260 §9.2.
            state = .shutdownAckSent
            controlQueue.append(makePacket(tag: peerTag, [.shutdownAck]))
            t2Deadline = now + rto
        default:
            break
        }
    }

    mutating func handleShutdownAck(now: NIODeadline) {
        guard state == .shutdownSent || state == .shutdownAckSent else { return }
        controlQueue.append(makePacket(tag: peerTag, [.shutdownComplete(reflectedTag: false)]))
        enterClosed()
        events.append(.closed)
    }

    mutating func checkShutdownProgress(now: NIODeadline) {
        guard sendQueue.isEmpty, inflight.isEmpty else { return }
        switch state {
        case .shutdownPending:
            state = .shutdownSent
            controlQueue.append(makePacket(tag: peerTag, [.shutdown(ShutdownChunk(cumulativeTSNAck: cumReceived))]))
            t2Deadline = now + rto
            t3Deadline = nil
        case .shutdownReceived:
            state = .shutdownAckSent
            controlQueue.append(makePacket(tag: peerTag, [.shutdownAck]))
            t2Deadline = now + rto
            t3Deadline = nil
        default:
            break
        }
    }

    mutating func handleT2(now: NIODeadline) {
        errorCount += 1
        if errorCount > configuration.maxAssociationRetransmits {
            failAssociation()
            return
        }
        rto = min(rto * 2, configuration.rtoMax)
        switch state {
        case .shutdownSent:
            controlQueue.append(makePacket(tag: peerTag, [.shutdown(ShutdownChunk(cumulativeTSNAck: cumReceived))]))
        case .shutdownAckSent:
            controlQueue.append(makePacket(tag: peerTag, [.shutdownAck]))
        default:
            t2Deadline = nil
            return
        }
        t2Deadline = now + rto
    }
}
