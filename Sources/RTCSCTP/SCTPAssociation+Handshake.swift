import Crypto
import NIOCore

extension SCTPAssociation {
    // MARK: - Handshake

    static let extensionParameters: [SCTPParameter] = [
        SCTPParameter(type: SCTPParameter.forwardTSNSupported, bytes: []),
        SCTPParameter(type: SCTPParameter.supportedExtensions, bytes: [SCTPChunkType.reconfig, SCTPChunkType.forwardTSN]),
    ]

    mutating func randomNonZero() -> UInt32 {
        while true {
            let v = UInt32(truncatingIfNeeded: rng.next())
            if v != 0 { return v }
        }
    }

    mutating func handleInit(_ chunk: InitChunk, now: NIODeadline) {
        guard chunk.initiateTag != 0, chunk.numberOfOutboundStreams != 0, chunk.numberOfInboundStreams != 0 else {
            // RFC 9260 §3.3.2: invalid mandatory parameter: ABORT with the peer's tag.
            let cause = SCTPErrorCause(code: SCTPErrorCause.protocolViolation, value: ByteBuffer(string: "invalid INIT"))
            controlQueue.append(makePacket(tag: chunk.initiateTag, [.abort(AbortChunk(causes: [cause]))]))
            return
        }
        // Unknown parameters whose high bit is 0 make us discard the INIT. RFC 9260 §3.2.1.
        let known: Set<UInt16> = [SCTPParameter.forwardTSNSupported, SCTPParameter.supportedExtensions, SCTPParameter.stateCookie]
        for p in chunk.parameters where !known.contains(p.type) && p.type & 0x8000 == 0 {
            droppedPackets += 1
            return
        }
        let tag: UInt32
        let tsn: UInt32
        if state == .closed {
            tag = randomNonZero()
            tsn = UInt32(truncatingIfNeeded: rng.next())
        } else {
            // INIT collision or a repeated INIT: answer with our existing tag and TSN. RFC 9260 §5.2.1, §5.2.2.
            tag = localTag
            tsn = localInitialTSN
        }
        let cookie = SCTPStateCookie(localTag: tag, peerTag: chunk.initiateTag, localInitialTSN: tsn,
                                     peerInitialTSN: chunk.initialTSN, peerReceiveWindow: chunk.advertisedReceiverWindowCredit,
                                     peerOutboundStreams: chunk.numberOfOutboundStreams,
                                     peerInboundStreams: chunk.numberOfInboundStreams,
                                     peerSupportsForwardTSN: chunk.supportsForwardTSN, peerSupportsReconfig: chunk.supportsReconfig,
                                     createdAt: now.uptimeNanoseconds)
        var params = Self.extensionParameters
        params.append(SCTPParameter(type: SCTPParameter.stateCookie, value: cookie.encode(key: cookieKey)))
        let ack = InitChunk(initiateTag: tag, advertisedReceiverWindowCredit: configuration.receiveWindow,
                            numberOfOutboundStreams: configuration.outboundStreams,
                            numberOfInboundStreams: configuration.inboundStreams, initialTSN: tsn, parameters: params)
        controlQueue.append(makePacket(tag: chunk.initiateTag, [.initiateAck(ack)]))
    }

    mutating func handleInitAck(_ chunk: InitChunk, tag: UInt32, now: NIODeadline) {
        guard state == .cookieWait, let cookie = chunk.stateCookie, chunk.initiateTag != 0 else { return }
        peerTag = chunk.initiateTag
        peerInitialTSN = chunk.initialTSN
        peerSupportsForwardTSN = chunk.supportsForwardTSN
        peerSupportsReconfig = chunk.supportsReconfig
        setUpTransmissionControlBlock(peerWindow: chunk.advertisedReceiverWindowCredit,
                                      peerOS: chunk.numberOfOutboundStreams, peerMIS: chunk.numberOfInboundStreams)
        cookieEcho = cookie
        state = .cookieEchoed
        initResendScheduled = false
        t1Count = 0
        rto = configuration.rtoInitial
        controlQueue.append(makePacket(tag: peerTag, [.cookieEcho(CookieEchoChunk(cookie: cookie))]))
        t1Deadline = now + rto
    }

    mutating func handleCookieEcho(_ chunk: CookieEchoChunk, tag: UInt32, now: NIODeadline) {
        guard let cookie = SCTPStateCookie.decode(chunk.cookie, key: cookieKey), cookie.localTag == tag else {
            droppedPackets += 1
            return
        }
        let age = Int64(now.uptimeNanoseconds) - Int64(truncatingIfNeeded: cookie.createdAt)
        if age > configuration.cookieLifetime.nanoseconds {
            // RFC 9260 §5.1.5 (3): stale cookie error, measured staleness in microseconds.
            var v = ByteBuffer()
            v.writeInteger(UInt32(clamping: (age - configuration.cookieLifetime.nanoseconds) / 1000))
            let cause = SCTPErrorCause(code: SCTPErrorCause.staleCookie, value: v)
            controlQueue.append(makePacket(tag: cookie.peerTag, [.error(ErrorChunk(causes: [cause]))]))
            return
        }
        switch state {
        case .closed, .cookieWait, .cookieEchoed:
            if state != .closed && cookie.localTag != localTag { droppedPackets += 1; return }
            localTag = cookie.localTag
            peerTag = cookie.peerTag
            localInitialTSN = cookie.localInitialTSN
            peerInitialTSN = cookie.peerInitialTSN
            peerSupportsForwardTSN = cookie.peerSupportsForwardTSN
            peerSupportsReconfig = cookie.peerSupportsReconfig
            if state == .closed || state == .cookieWait {
                setUpTransmissionControlBlock(peerWindow: cookie.peerReceiveWindow,
                                              peerOS: cookie.peerOutboundStreams, peerMIS: cookie.peerInboundStreams)
            }
            controlQueue.append(makePacket(tag: peerTag, [.cookieAck]))
            enterEstablished(now: now)
        default:
            // A repeated COOKIE ECHO of this association (our COOKIE ACK was lost). RFC 9260 §5.2.4 (D).
            if cookie.localTag == localTag && cookie.peerTag == peerTag {
                controlQueue.append(makePacket(tag: peerTag, [.cookieAck]))
            } else {
                droppedPackets += 1
            }
        }
    }

    mutating func handleCookieAck(now: NIODeadline) {
        guard state == .cookieEchoed else { return }
        enterEstablished(now: now)
    }

    mutating func setUpTransmissionControlBlock(peerWindow: UInt32, peerOS: UInt16, peerMIS: UInt16) {
        outboundStreamCount = min(configuration.outboundStreams, peerMIS)
        inboundStreamCount = min(configuration.inboundStreams, peerOS)
        nextTSN = localInitialTSN
        cumAckPoint = localInitialTSN &- 1
        advancedPeerAckPoint = cumAckPoint
        cumReceived = peerInitialTSN &- 1
        receivedMap.removeAll()
        let mtu = configuration.maxPacketSize
        congestionWindow = min(4 * mtu, max(2 * mtu, 4380)) // RFC 9260 §7.2.1
        slowStartThreshold = Int(peerWindow)
        peerReceiveWindow = peerWindow
        nextRequestSeq = localInitialTSN
        expectedPeerRequestSeq = peerInitialTSN
    }

    mutating func enterEstablished(now: NIODeadline) {
        state = .established
        t1Deadline = nil
        initChunk = nil
        cookieEcho = nil
        errorCount = 0
        heartbeatDeadline = now + configuration.heartbeatInterval
        events.append(.connected)
    }

    /// In COOKIE-WAIT, sends the INIT again at `deadline` unless its INIT-ACK came first (or
    /// T1-init fires earlier). That repeat neither counts as a retransmission nor doubles the
    /// RTO: it is for an INIT sent before the layer below could be sure to deliver it (over a
    /// DTLS client's False Start, RFC 7918), so that a peer which dropped it gets it again soon
    /// after the handshake completes instead of after T1-init (1 s).
    public mutating func resendInitIfUnanswered(by deadline: NIODeadline) {
        guard state == .cookieWait, let t1 = t1Deadline, deadline < t1 else { return }
        t1Deadline = deadline
        initResendScheduled = true
    }

    mutating func handleT1(now: NIODeadline) {
        if initResendScheduled {
            initResendScheduled = false
            if state == .cookieWait, let c = initChunk {
                initResendsAfterEarlyStart += 1
                controlQueue.append(makePacket(tag: 0, [.initiate(c)]))
                t1Deadline = now + rto
                return
            }
        }
        t1Count += 1
        if t1Count > configuration.maxInitRetransmits {
            enterClosed()
            events.append(.aborted(.retransmissionLimit))
            return
        }
        rto = min(rto * 2, configuration.rtoMax)
        switch state {
        case .cookieWait:
            if let c = initChunk { controlQueue.append(makePacket(tag: 0, [.initiate(c)])) }
        case .cookieEchoed:
            if let c = cookieEcho { controlQueue.append(makePacket(tag: peerTag, [.cookieEcho(CookieEchoChunk(cookie: c))])) }
        default:
            t1Deadline = nil
            return
        }
        t1Deadline = now + rto
    }
}
