import Crypto
import DequeModule
import NIOCore
import RTCCore

/// An SCTP association over DTLS (RFC 9260 as profiled by RFC 8261 and RFC 8831), as a
/// sans-IO state machine.
///
/// Feed it received packets with `handle(packet:now:)` and expired deadlines with
/// `handleTimeout(now:)`; after every input drain `pollTransmit(now:)` (packets to send inside
/// DTLS application data) and `pollEvent()`, then wait until `pollDeadline()`. It never reads a
/// clock, sleeps or touches a socket.
///
/// Either side may call `connect(now:)`; INITs that cross are resolved as RFC 9260 §5.2.1
/// describes, so both WebRTC peers may start at once.
public struct SCTPAssociation {
    // MARK: Configuration and identity
    /// The configuration this association was created with.
    public let configuration: SCTPConfiguration
    var rng: SeededRandom
    let cookieKey: SymmetricKey
    /// The association state. RFC 9260 §4.
    public internal(set) var state: SCTPState = .closed

    var localTag: UInt32 = 0
    var peerTag: UInt32 = 0
    var localInitialTSN: UInt32 = 0
    var peerInitialTSN: UInt32 = 0
    var peerSupportsForwardTSN = false
    var peerSupportsReconfig = false
    /// Outbound streams usable after negotiation: min(our OS, peer's MIS). RFC 9260 §5.1.1.
    public internal(set) var outboundStreamCount: UInt16 = 0
    /// Inbound streams accepted after negotiation: min(our MIS, peer's OS). RFC 9260 §5.1.1.
    public internal(set) var inboundStreamCount: UInt16 = 0

    // MARK: Handshake
    var initChunk: InitChunk?
    var cookieEcho: ByteBuffer?
    var t1Deadline: NIODeadline?
    var t1Count = 0

    // MARK: Output
    var controlQueue = Deque<ByteBuffer>()
    var events = Deque<SCTPEvent>()

    // MARK: Sending
    struct OutboundMessage {
        var id: UInt64
        var stream: UInt16
        var ppid: UInt32
        var unordered: Bool
        var payload: ByteBuffer
        var started = false
        var ssn: UInt16 = 0
        var maxRetransmits: Int?
        var expiry: NIODeadline?
    }

    struct InflightChunk {
        var tsn: UInt32
        var stream: UInt16
        var ssn: UInt16
        var ppid: UInt32
        var flags: UInt8
        var payload: ByteBuffer
        var messageID: UInt64
        var maxRetransmits: Int?
        var expiry: NIODeadline?
        var sentAt: NIODeadline
        var transmissions = 1
        var acked = false
        var abandoned = false
        var inFlight = true
        var needsRetransmit = false
        var fastRetransmitted = false
        var missIndications = 0
        var size: Int { payload.readableBytes }
    }

    var sendQueue = Deque<OutboundMessage>()
    var inflight = Deque<InflightChunk>()
    /// Whether a chunk with a lifetime (PR-SCTP timed reliability) was ever sent: until then
    /// no SACK needs to scan the in-flight queue for expired chunks.
    var sentChunkWithLifetime = false
    var nextMessageID: UInt64 = 0
    var nextTSN: UInt32 = 0
    var cumAckPoint: UInt32 = 0
    var advancedPeerAckPoint: UInt32 = 0
    var outboundSSN: [UInt16: UInt16] = [:]
    var bufferedByStream: [UInt16: Int] = [:]
    /// Bytes queued with `send` and not yet handed to the network (all streams). W3C `bufferedAmount` semantics.
    public internal(set) var totalBufferedAmount = 0
    var pendingRetransmits = 0
    var fastRetransmitBypass = false
    var forwardTSNPending = false
    var t3Deadline: NIODeadline?
    var rttMeasurement: (tsn: UInt32, sentAt: NIODeadline)?

    // MARK: Congestion control (RFC 9260 §7)
    /// Congestion window in bytes. RFC 9260 §7.2.
    public internal(set) var congestionWindow = 0
    /// Slow-start threshold in bytes. RFC 9260 §7.2.
    public internal(set) var slowStartThreshold = 0
    /// Bytes of DATA sent and neither acknowledged nor marked for retransmission. RFC 9260 §7.2.
    public internal(set) var flightSize = 0
    /// Bytes of DATA with a TSN that the peer has not acknowledged (flight plus marked for retransmission).
    var outstandingBytes = 0
    var partialBytesAcked = 0
    /// The peer's receive window as last computed from its a_rwnd and our outstanding data. RFC 9260 §6.2.1.
    public internal(set) var peerReceiveWindow: UInt32 = 0
    var inFastRecovery = false
    var fastRecoveryExit: UInt32 = 0

    // MARK: RTO (RFC 9260 §6.3)
    /// Current retransmission timeout. RFC 9260 §6.3.1.
    public internal(set) var rto: TimeAmount
    /// Smoothed round-trip time, once measured. RFC 9260 §6.3.1.
    public internal(set) var srtt: TimeAmount?
    /// Round-trip time variation, once measured. RFC 9260 §6.3.1.
    public internal(set) var rttvar: TimeAmount = .zero
    var errorCount = 0

    // MARK: Receiving
    var cumReceived: UInt32 = 0
    var receivedMap = Deque<Bool>()
    var duplicates: [UInt32] = []
    var chunksByTSN: [UInt32: DataChunk] = [:]
    var heldBytes = 0
    struct InboundStream {
        var nextSSN: UInt16 = 0
        var ready: [UInt16: SCTPMessage] = [:]
    }
    var inboundStreams: [UInt16: InboundStream] = [:]
    var readyBytes = 0
    var sackNeeded = false
    var dataPacketsSinceSack = 0
    var ackDeadline: NIODeadline?

    // MARK: Heartbeat, shutdown
    var heartbeatDeadline: NIODeadline?
    var heartbeatOutstanding: UInt64?
    var t2Deadline: NIODeadline?

    // MARK: Stream reset (RFC 6525)
    var pendingResetStreams: [UInt16] = []
    var resettingStreams: Set<UInt16> = []
    var outstandingReset: (seq: UInt32, streams: [UInt16], lastTSN: UInt32)?
    var reconfigToSend = false
    var reconfigDeadline: NIODeadline?
    var nextRequestSeq: UInt32 = 0
    var expectedPeerRequestSeq: UInt32 = 0
    var lastPeerResult: UInt32 = ReconfigChunk.Result.successPerformed
    var deferredPeerReset: (seq: UInt32, lastTSN: UInt32, streams: [UInt16])?
    var reconfigResponses: [ReconfigChunk.Parameter] = []

    /// Packets dropped because they were malformed, failed the checksum or had a wrong tag.
    public internal(set) var droppedPackets = 0

    /// Creates an association in CLOSED. `rng` supplies the tags, initial TSNs and the cookie
    /// secret (pass `SystemRandomNumberGenerator` in production, a seeded one in tests).
    public init<R: RandomNumberGenerator>(configuration: SCTPConfiguration = SCTPConfiguration(), rng: inout R) {
        self.configuration = configuration
        self.rng = SeededRandom(seed: rng.next())
        self.cookieKey = SymmetricKey(data: rng.bytes(32))
        self.rto = configuration.rtoInitial
    }

    // MARK: - Public API

    /// Starts the association: sends INIT and enters COOKIE-WAIT. RFC 9260 §5.1 (A).
    public mutating func connect(now: NIODeadline) {
        guard state == .closed else { return }
        localTag = randomNonZero()
        localInitialTSN = UInt32(truncatingIfNeeded: rng.next())
        let chunk = InitChunk(initiateTag: localTag, advertisedReceiverWindowCredit: configuration.receiveWindow,
                              numberOfOutboundStreams: configuration.outboundStreams,
                              numberOfInboundStreams: configuration.inboundStreams,
                              initialTSN: localInitialTSN, parameters: Self.extensionParameters)
        initChunk = chunk
        state = .cookieWait
        t1Count = 0
        controlQueue.append(makePacket(tag: 0, [.initiate(chunk)]))
        t1Deadline = now + rto
    }

    /// Queues a user message on `stream`. Fragmented to the packet size as it is sent.
    /// RFC 9260 §6.1, §6.9; `reliability` maps to PR-SCTP (RFC 3758).
    public mutating func send(stream: UInt16, ppid: UInt32, unordered: Bool = false, reliability: SCTPReliability = .reliable,
                              payload: ByteBuffer, now: NIODeadline) throws(SCTPSendError) {
        guard state == .established else { throw .notEstablished }
        guard payload.readableBytes > 0 else { throw .emptyMessage }
        guard stream < outboundStreamCount else { throw .invalidStream(stream) }
        guard !resettingStreams.contains(stream) else { throw .streamResetting(stream) }
        var message = OutboundMessage(id: nextMessageID, stream: stream, ppid: ppid, unordered: unordered, payload: payload)
        nextMessageID &+= 1
        if peerSupportsForwardTSN {
            switch reliability {
            case .reliable: break
            case .maxRetransmits(let n): message.maxRetransmits = max(0, n)
            case .maxLifetime(let t): message.expiry = now + t
            }
        }
        sendQueue.append(message)
        bufferedByStream[stream, default: 0] += payload.readableBytes
        totalBufferedAmount += payload.readableBytes
    }

    /// Bytes queued on `stream` with `send` and not yet transmitted (W3C `bufferedAmount`).
    public func bufferedAmount(stream: UInt16) -> Int { bufferedByStream[stream] ?? 0 }

    /// Resets our outgoing `streams` (RFC 6525 §5.1.2): no new messages are accepted on them;
    /// once everything queued on them has been sent, an Outgoing SSN Reset Request goes out.
    /// `.outgoingStreamsReset` reports success.
    public mutating func resetStreams(_ streams: [UInt16], now: NIODeadline) throws(SCTPSendError) {
        guard state == .established else { throw .notEstablished }
        guard peerSupportsReconfig else { throw .reconfigNotSupported }
        for s in streams where !resettingStreams.contains(s) {
            resettingStreams.insert(s)
            pendingResetStreams.append(s)
        }
        startReconfigIfReady(now: now)
    }

    /// Starts a graceful shutdown: queued data is still delivered, then SHUTDOWN. RFC 9260 §9.2.
    public mutating func shutdown(now: NIODeadline) {
        switch state {
        case .established:
            state = .shutdownPending
            checkShutdownProgress(now: now)
        case .cookieWait, .cookieEchoed:
            enterClosed()
        default:
            break
        }
    }

    /// Aborts the association: sends ABORT (User-Initiated Abort) and closes at once. RFC 9260 §9.1.
    public mutating func abort() {
        guard state != .closed else { return }
        if state != .cookieWait {
            let cause = SCTPErrorCause(code: SCTPErrorCause.userInitiatedAbort)
            controlQueue.append(makePacket(tag: peerTag, [.abort(AbortChunk(causes: [cause]))]))
        }
        enterClosed()
        events.append(.aborted(.localAbort))
    }

    /// The next event, if any.
    public mutating func pollEvent() -> SCTPEvent? { events.popFirst() }

    /// When `handleTimeout(now:)` must next be called, or `nil` when no timer runs.
    public func pollDeadline() -> NIODeadline? {
        var d: NIODeadline? = nil
        for t in [t1Deadline, t3Deadline, ackDeadline, heartbeatDeadline, t2Deadline, reconfigDeadline] {
            if let t, d == nil || t < d! { d = t }
        }
        return d
    }

    // MARK: - Input

    /// Processes one received SCTP packet (the payload of one DTLS application-data record).
    /// Malformed packets and packets with a wrong verification tag are dropped. RFC 9260 §8.5.
    public mutating func handle(packet buffer: ByteBuffer, now: NIODeadline) {
        let packet: SCTPPacket
        do {
            packet = try SCTPPacket.parse(buffer)
        } catch {
            droppedPackets += 1
            return
        }
        guard packet.destinationPort == configuration.localPort, packet.sourcePort == configuration.remotePort,
              let first = packet.chunks.first else {
            droppedPackets += 1
            return
        }
        // Verification tag rules, RFC 9260 §8.5 and §8.5.1.
        switch first {
        case .initiate(let chunk):
            guard packet.verificationTag == 0, packet.chunks.count == 1 else { droppedPackets += 1; return }
            handleInit(chunk, now: now)
            return
        case .abort(let chunk):
            let expected = chunk.reflectedTag ? peerTag : localTag
            guard state != .closed, packet.verificationTag == expected else { droppedPackets += 1; return }
            enterClosed()
            events.append(.aborted(.peerAborted(chunk.causes)))
            return
        case .shutdownComplete(let reflected):
            let expected = reflected ? peerTag : localTag
            guard packet.verificationTag == expected else { droppedPackets += 1; return }
        case .cookieEcho:
            break // checked against the cookie's tag
        default:
            guard state != .closed, packet.verificationTag == localTag else { droppedPackets += 1; return }
        }
        var hadData = false
        for chunk in packet.chunks {
            guard state != .closed || isCookieEcho(chunk) else { break }
            switch chunk {
            case .data(let d):
                hadData = true
                if !handleData(d, now: now) { return }
            case .initiate:
                droppedPackets += 1 // INIT must be alone in its packet. RFC 9260 §6.10.
                return
            case .initiateAck(let c): handleInitAck(c, tag: packet.verificationTag, now: now)
            case .sack(let s): handleSack(s, now: now)
            case .heartbeat(let h):
                controlQueue.append(makePacket(tag: peerTag, [.heartbeatAck(h)]))
            case .heartbeatAck(let h): handleHeartbeatAck(h, now: now)
            case .abort(let a):
                enterClosed()
                events.append(.aborted(.peerAborted(a.causes)))
                return
            case .shutdown(let s): handleShutdown(s, now: now)
            case .shutdownAck: handleShutdownAck(now: now)
            case .error: break
            case .cookieEcho(let c): handleCookieEcho(c, tag: packet.verificationTag, now: now)
            case .cookieAck: handleCookieAck(now: now)
            case .shutdownComplete:
                if state == .shutdownAckSent {
                    enterClosed()
                    events.append(.closed)
                }
            case .forwardTSN(let f): handleForwardTSN(f, now: now)
            case .reconfig(let r): handleReconfig(r, now: now)
            case .unknown(let u):
                // RFC 9260 §3.2: the two high bits of the type decide.
                if u.mustReport {
                    var raw = ByteBuffer()
                    u.write(to: &raw)
                    let cause = SCTPErrorCause(code: SCTPErrorCause.unrecognizedChunkType, value: raw)
                    controlQueue.append(makePacket(tag: peerTag, [.error(ErrorChunk(causes: [cause]))]))
                }
                if u.stopsProcessing { return finishDataPacket(hadData: hadData, now: now) }
            }
        }
        finishDataPacket(hadData: hadData, now: now)
    }

    private func isCookieEcho(_ c: SCTPChunk) -> Bool {
        if case .cookieEcho = c { return true }
        return false
    }

    /// Processes expired timers (T1-init/cookie, T3-rtx, delayed SACK, heartbeat, T2-shutdown,
    /// RE-CONFIG retransmission). RFC 9260 §6.3.3, §8.3, §9.2.
    public mutating func handleTimeout(now: NIODeadline) {
        if let t = t1Deadline, t <= now { handleT1(now: now) }
        if let t = t3Deadline, t <= now { handleT3(now: now) }
        if let t = ackDeadline, t <= now {
            ackDeadline = nil
            sackNeeded = true
        }
        if let t = heartbeatDeadline, t <= now { handleHeartbeatTimer(now: now) }
        if let t = t2Deadline, t <= now { handleT2(now: now) }
        if let t = reconfigDeadline, t <= now { handleReconfigTimer(now: now) }
    }

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

    mutating func enterClosed() {
        state = .closed
        t1Deadline = nil
        t2Deadline = nil
        t3Deadline = nil
        ackDeadline = nil
        heartbeatDeadline = nil
        reconfigDeadline = nil
        sendQueue.removeAll()
        inflight.removeAll()
        bufferedByStream.removeAll()
        totalBufferedAmount = 0
        chunksByTSN.removeAll()
        sackNeeded = false
        reconfigToSend = false
        forwardTSNPending = false
        pendingRetransmits = 0
    }

    /// Aborts because the peer misbehaved: ABORT with a cause, then closed. RFC 9260 §9.1.
    mutating func abortForViolation(_ reason: SCTPAbortReason, cause: SCTPErrorCause) {
        controlQueue.append(makePacket(tag: peerTag, [.abort(AbortChunk(causes: [cause]))]))
        enterClosed()
        events.append(.aborted(reason))
    }

    mutating func handleT1(now: NIODeadline) {
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

    // MARK: - Packets

    func makePacket(tag: UInt32, _ chunks: [SCTPChunk]) -> ByteBuffer {
        SCTPPacket(sourcePort: configuration.localPort, destinationPort: configuration.remotePort,
                   verificationTag: tag, chunks: chunks).serialized()
    }
}
