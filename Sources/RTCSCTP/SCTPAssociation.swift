import Crypto
import DequeModule
import NIOCore
import RTCCore

/// An SCTP association over DTLS (RFC 9260 as profiled by RFC 8261 and RFC 8831), as a
/// sans-IO state machine.
///
/// It follows the one core contract, `SansIOCore`: feed it received packets with
/// `handle(_:now:)` and expired deadlines with `handleTimeout(now:)`; after every input or
/// command drain `pollTransmit()` (packets to send inside DTLS application data) and
/// `pollEvent()`, then wait until `nextDeadline`. It never reads a clock, sleeps or touches a
/// socket.
///
/// Every call that can queue output (`handle`, `handleTimeout`, `connect`, `send`,
/// `resetStreams`, `shutdown`, `abort`) takes `now`, and the association remembers the last
/// `now` it was given: `pollTransmit()` stamps what it sends (RTT samples, the T3-rtx timer,
/// message lifetimes) with that time. Output only ever appears in answer to such a call, so
/// draining right after it uses a time that is current.
///
/// Either side may call `connect(now:)`; INITs that cross are resolved as RFC 9260 §5.2.1
/// describes, so both WebRTC peers may start at once.
public struct SCTPAssociation: SansIOCore {
    // MARK: Configuration and identity
    /// The configuration this association was created with.
    public let configuration: SCTPConfiguration
    /// Draws the verification tags, initial TSNs and heartbeat nonces: a handful per
    /// association (one per INIT or heartbeat), never per DATA packet.
    var rng: any RandomNumberGenerator & Sendable
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
    /// T1-init was brought forward by `resendInitIfUnanswered(by:)`.
    var initResendScheduled = false

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
    /// The fragments of one message known to be in `chunksByTSN` as a run from its B chunk,
    /// none of them an E chunk: what `assembleMessage` last found, so that the next fragment in
    /// order extends it instead of walking the whole message again (which made reassembly
    /// quadratic in the fragments per message). `nil` whenever chunks leave `chunksByTSN`.
    var reassemblyRun: ReassemblyRun?
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
    /// INITs sent again by `resendInitIfUnanswered(by:)` (the peer had not answered the first
    /// one by then: it dropped it, or its answer was late).
    public internal(set) var initResendsAfterEarlyStart = 0
    /// Times `pathRestored(now:)` was called (the layer below saw the path come back).
    public internal(set) var pathRestorations = 0

    /// The last `now` any call gave us: the time `pollTransmit()` works with.
    var lastNow = NIODeadline.uptimeNanoseconds(0)

    /// Creates an association in CLOSED. `rng` supplies the tags, initial TSNs, heartbeat
    /// nonces and the cookie secret: the system CSPRNG by default, a `SeededRandom` in tests.
    public init(configuration: SCTPConfiguration = SCTPConfiguration(),
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        var generator: any RandomNumberGenerator & Sendable = rng
        self.configuration = configuration
        self.cookieKey = SymmetricKey(data: generator.bytes(32))
        self.rng = generator
        self.rto = configuration.rtoInitial
    }

    // MARK: - Public API

    /// Starts the association: sends INIT and enters COOKIE-WAIT. RFC 9260 §5.1 (A).
    public mutating func connect(now: NIODeadline) {
        lastNow = now
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
        initResendScheduled = false
        controlQueue.append(makePacket(tag: 0, [.initiate(chunk)]))
        t1Deadline = now + rto
    }

    /// Queues a user message on `stream`. Fragmented to the packet size as it is sent.
    /// RFC 9260 §6.1, §6.9; `reliability` maps to PR-SCTP (RFC 3758).
    public mutating func send(stream: UInt16, ppid: UInt32, unordered: Bool = false, reliability: SCTPReliability = .reliable,
                              payload: ByteBuffer, now: NIODeadline) throws(SCTPSendError) {
        lastNow = now
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
        lastNow = now
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
        lastNow = now
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
    public mutating func abort(now: NIODeadline) {
        lastNow = now
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
    public var nextDeadline: NIODeadline? {
        // Without an array literal: this runs after every packet.
        var d: NIODeadline? = nil
        func consider(_ t: NIODeadline?) { if let t, d == nil || t < d! { d = t } }
        consider(t1Deadline)
        consider(t3Deadline)
        consider(ackDeadline)
        consider(heartbeatDeadline)
        consider(t2Deadline)
        consider(reconfigDeadline)
        return d
    }

    // MARK: - Input

    /// Processes one received SCTP packet (the payload of one DTLS application-data record).
    /// Malformed packets and packets with a wrong verification tag are dropped. RFC 9260 §8.5.
    public mutating func handle(_ buffer: ByteBuffer, now: NIODeadline) {
        lastNow = now
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
        lastNow = now
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

    // MARK: - Lifecycle

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
        reassemblyRun = nil
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

    // MARK: - Packets

    func makePacket(tag: UInt32, _ chunks: [SCTPChunk]) -> ByteBuffer {
        SCTPPacket(sourcePort: configuration.localPort, destinationPort: configuration.remotePort,
                   verificationTag: tag, chunks: chunks).serialized()
    }
}
