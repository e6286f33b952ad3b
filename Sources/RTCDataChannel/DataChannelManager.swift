import NIOCore
import RTCCore
import RTCSCTP

/// WebRTC data channels over one SCTP association (RFC 8831), opened with the Data Channel
/// Establishment Protocol (RFC 8832). Sans-IO: it wraps an `SCTPAssociation` and follows the
/// same contract, `SansIOCore` — feed `handle(_:now:)` / `handleTimeout(now:)`, then drain
/// `pollTransmit()` and `pollEvent()`, and wake at `nextDeadline`.
///
/// Every call that can produce output or events takes `now` (the commands `start`, `connect`,
/// `createChannel`, `send`, `sendBinary`, `close`, `closeAll`, `shutdown`, `abort`, and the
/// inputs), and the manager and its association remember the last `now` they were given:
/// `pollTransmit()` works with that time. Output only appears in answer to such a call, so
/// draining right after it uses a time that is current.
///
/// Channels are known by an `Int` handle from creation on, so they can be created before the
/// DTLS role is known; the SCTP stream id (even for the DTLS client, odd for the server,
/// RFC 8832 §6) is assigned once the role is known and the association is up.
///
/// ```swift
/// var manager = DataChannelManager(configuration: .init())
/// let chat = try manager.createChannel(label: "chat", now: now)   // role not known yet
/// manager.start(role: .dtlsClient, now: now)                      // DTLS is up: the client sends INIT
/// // … once `.opened` arrives:
/// try manager.send(.text("hello"), on: chat, now: now)
/// while let packet = manager.pollTransmit() { /* DTLS-encrypt and send */ }
/// ```
public struct DataChannelManager: SansIOCore {
    struct Channel {
        var handle: Int
        var stream: UInt16?
        var label: String
        var options: DataChannelOptions
        var state: DataChannelState
        var ackReceived: Bool
        var outgoingReset = false
        var incomingReset = false
        var lowThreshold: Int

        var info: DataChannelInfo? {
            stream.map { DataChannelInfo(handle: handle, streamID: $0, label: label, options: options) }
        }
        /// Messages may be queued: the channel is open (ours once its OPEN is queued; ordered
        /// until the ACK). RFC 8832 §6.
        var canSend: Bool { state == .open }
    }

    /// The configuration (`role` and `remoteMaxMessageSize` follow `start` and
    /// `setRemoteMaxMessageSize`).
    public private(set) var configuration: DataChannelConfiguration
    /// The SCTP association underneath (read-only: counters, windows, state).
    public internal(set) var association: SCTPAssociation
    var channels: [Int: Channel] = [:]
    var handleByStream: [UInt16: Int] = [:]
    var nextHandle = 1
    var events: [DataChannelManagerEvent] = []
    var eventHead = 0
    var aboveThreshold: Set<Int> = []
    /// User messages dropped because their stream had no channel (e.g. data in flight while a
    /// channel closed) or an ACK arrived for no channel.
    public internal(set) var droppedMessages = 0
    /// The last `now` any call gave us: the time `pollTransmit()` works with.
    var lastNow = NIODeadline.uptimeNanoseconds(0)

    /// Creates a manager and its association; `rng` goes to the association (tags, TSNs,
    /// heartbeat nonces, cookie key): the system CSPRNG by default, a `SeededRandom` in tests.
    public init(configuration: DataChannelConfiguration,
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.configuration = configuration
        var sctp = configuration.sctp
        sctp.maxInboundMessageSize = configuration.localMaxMessageSize
        association = SCTPAssociation(configuration: sctp, rng: rng)
    }

    // MARK: Driving

    /// Our DTLS role, once known.
    public var role: DataChannelRole? { configuration.role }

    /// `true` once the association is ESTABLISHED.
    public var isEstablished: Bool { association.state == .established }

    /// Sets our DTLS role (which decides stream-id parity) and starts SCTP the WebRTC way: the
    /// DTLS client sends INIT, the server waits for it. RFC 8831 §6.2, RFC 8832 §6. A role
    /// already set is kept.
    public mutating func start(role: DataChannelRole, now: NIODeadline) {
        lastNow = now
        if configuration.role == nil { configuration.role = role }
        if configuration.role == .dtlsClient { association.connect(now: now) }
        openPending(now: now)
    }

    /// In COOKIE-WAIT, sends our INIT again at `deadline` unless answered by then (see
    /// `SCTPAssociation.resendInitIfUnanswered(by:)`): for an INIT sent over a DTLS False Start.
    public mutating func resendInitIfUnanswered(by deadline: NIODeadline) {
        association.resendInitIfUnanswered(by: deadline)
    }

    /// INITs sent again by `resendInitIfUnanswered(by:)`.
    public var initResendsAfterEarlyStart: Int { association.initResendsAfterEarlyStart }

    /// The transport below works again after an outage: retransmissions that backed off
    /// while it was down go now (`SCTPAssociation.pathRestored(now:)`).
    public mutating func pathRestored(now: NIODeadline) {
        association.pathRestored(now: now)
    }

    /// Starts the SCTP association (sends INIT). Both sides may call it. RFC 8831 §6.2.
    public mutating func connect(now: NIODeadline) {
        lastNow = now
        association.connect(now: now)
    }

    /// Updates the peer's `max-message-size` (0 means no limit). RFC 8841 §6.
    public mutating func setRemoteMaxMessageSize(_ size: Int) {
        configuration.remoteMaxMessageSize = size
    }

    /// Processes one SCTP packet received inside DTLS.
    public mutating func handle(_ packet: ByteBuffer, now: NIODeadline) {
        lastNow = now
        association.handle(packet, now: now)
        processAssociationEvents(now: now)
        checkBufferedAmounts()
    }

    /// Processes expired timers.
    public mutating func handleTimeout(now: NIODeadline) {
        lastNow = now
        association.handleTimeout(now: now)
        processAssociationEvents(now: now)
        checkBufferedAmounts()
    }

    /// The next SCTP packet to send inside DTLS, or `nil`. It works with the last `now` the
    /// manager was given (see the type's documentation).
    public mutating func pollTransmit() -> ByteBuffer? {
        let p = association.pollTransmit()
        processAssociationEvents(now: lastNow)
        checkBufferedAmounts()
        return p
    }

    /// The next event, or `nil`.
    public mutating func pollEvent() -> DataChannelManagerEvent? {
        guard eventHead < events.count else { return nil }
        let e = events[eventHead]
        eventHead += 1
        if eventHead == events.count {
            events.removeAll(keepingCapacity: true)
            eventHead = 0
        }
        return e
    }

    /// When `handleTimeout(now:)` must next run.
    public var nextDeadline: NIODeadline? { association.nextDeadline }

    // MARK: Channels

    /// The state of channel `handle`, or `nil` when there is no such channel (closed channels
    /// are forgotten).
    public func state(of handle: Int) -> DataChannelState? { channels[handle]?.state }

    /// The SCTP stream id of channel `handle`, once assigned.
    public func streamID(of handle: Int) -> UInt16? { channels[handle]?.stream }

    /// What is known about channel `handle`, once it has a stream id.
    public func info(of handle: Int) -> DataChannelInfo? { channels[handle]?.info }

    /// The channel using SCTP stream `stream`, if any.
    public func handle(forStream stream: UInt16) -> Int? { handleByStream[stream] }

    /// The handles of all channels not yet closed.
    public var handles: [Int] { channels.keys.sorted() }

    /// Creates a channel and returns its handle. Unless `options.negotiatedID` is set, it gets
    /// the lowest free stream id of our parity once the role is known and the association is
    /// up, and a DATA_CHANNEL_OPEN is sent then; `.opened` follows at once, as in browsers (the
    /// OPEN is queued before any message of the channel, which goes ordered until the peer's ACK,
    /// so there is no round trip to wait for). A negotiated channel opens as soon as the
    /// association is up. RFC 8832 §6.
    public mutating func createChannel(label: String, options: DataChannelOptions = DataChannelOptions(),
                                       now: NIODeadline) throws(DataChannelError) -> Int {
        lastNow = now
        if options.maxRetransmits != nil && options.maxPacketLifeTime != nil { throw .conflictingReliability }
        if let n = options.negotiatedID {
            guard n != 65535 else { throw .reservedStreamID(n) }
            guard handleByStream[n] == nil else { throw .idInUse(n) }
        }
        let labelBytes = label.utf8.count, protocolBytes = options.protocol.utf8.count
        guard labelBytes <= 65535 else { throw .labelTooLong(bytes: labelBytes) }
        guard protocolBytes <= 65535 else { throw .protocolTooLong(bytes: protocolBytes) }
        let handle = nextHandle
        nextHandle += 1
        channels[handle] = Channel(handle: handle, stream: options.negotiatedID, label: label, options: options,
                                   state: .connecting, ackReceived: options.negotiatedID != nil,
                                   lowThreshold: max(0, configuration.bufferedAmountLowThreshold))
        if let n = options.negotiatedID { handleByStream[n] = handle }
        activate(handle, now: now)
        return handle
    }

    /// Opens every channel still waiting for the association or the role.
    mutating func openPending(now: NIODeadline) {
        guard isEstablished, configuration.role != nil else { return }
        for handle in channels.keys.sorted() { activate(handle, now: now) }
    }

    /// Moves one waiting channel forward once the association is up and the role known: a
    /// negotiated channel opens; otherwise it gets a stream id and its OPEN is queued.
    private mutating func activate(_ handle: Int, now: NIODeadline) {
        guard isEstablished, let role = configuration.role,
              var ch = channels[handle], ch.state == .connecting else { return }
        if ch.options.negotiatedID != nil {
            ch.state = .open
            channels[handle] = ch
            if let info = ch.info { events.append(.opened(info)) }
            return
        }
        guard let stream = ch.stream ?? allocateStream(role: role) else {
            failOpen(handle, .noStreamIdAvailable)
            return
        }
        ch.stream = stream
        handleByStream[stream] = handle
        let open = DCEPMessage.open(channelType: ch.options.dcepChannelType, unordered: !ch.options.ordered,
                                    priority: ch.options.priority, label: ch.label, protocol: ch.options.protocol)
        do {
            try association.send(stream: stream, ppid: DataChannelPPID.dcep, payload: open.serialized(), now: now)
        } catch {
            channels[handle] = ch
            failOpen(handle, .association(error))
            return
        }
        ch.state = .open
        channels[handle] = ch
        if let info = ch.info { events.append(.opened(info)) }
    }

    private mutating func failOpen(_ handle: Int, _ error: DataChannelError) {
        events.append(.openFailed(handle, error))
        finishClose(handle)
    }

    /// The lowest stream id of our parity that no channel uses, below the negotiated number of
    /// outbound streams (65535 is reserved). RFC 8832 §6.
    private func allocateStream(role: DataChannelRole) -> UInt16? {
        let limit = min(Int(association.outboundStreamCount), 65535)
        var id = role == .dtlsClient ? 0 : 1
        while id < limit {
            if handleByStream[UInt16(id)] == nil { return UInt16(id) }
            id += 2
        }
        return nil
    }

    /// Sends a message. Empty messages use the "empty" PPIDs with one byte of padding; before the
    /// peer's DATA_CHANNEL_ACK arrives, messages go ordered (RFC 8832 §6). Throws
    /// `.messageTooLarge` above the peer's `max-message-size` (RFC 8841 §6).
    public mutating func send(_ message: DataChannelMessage, on handle: Int, now: NIODeadline) throws(DataChannelError) {
        lastNow = now
        switch message {
        case .text(let s):
            if s.isEmpty {
                try send(ppid: DataChannelPPID.stringEmpty, payload: ByteBuffer(integer: UInt8(0)), size: 0, on: handle, now: now)
            } else {
                let payload = ByteBuffer(string: s)
                try send(ppid: DataChannelPPID.string, payload: payload, size: payload.readableBytes, on: handle, now: now)
            }
        case .binary(let b):
            if b.isEmpty {
                try send(ppid: DataChannelPPID.binaryEmpty, payload: ByteBuffer(integer: UInt8(0)), size: 0, on: handle, now: now)
            } else {
                try send(ppid: DataChannelPPID.binary, payload: ByteBuffer(bytes: b), size: b.count, on: handle, now: now)
            }
        }
    }

    /// Sends the readable bytes of `payload` as one binary message without copying them
    /// (PPID binary, or binary-empty when there are none). RFC 8831 §6.6.
    public mutating func sendBinary(_ payload: ByteBuffer, on handle: Int, now: NIODeadline) throws(DataChannelError) {
        lastNow = now
        if payload.readableBytes == 0 {
            try send(ppid: DataChannelPPID.binaryEmpty, payload: ByteBuffer(integer: UInt8(0)), size: 0, on: handle, now: now)
        } else {
            try send(ppid: DataChannelPPID.binary, payload: payload, size: payload.readableBytes, on: handle, now: now)
        }
    }

    private mutating func send(ppid: UInt32, payload: ByteBuffer, size: Int, on handle: Int,
                               now: NIODeadline) throws(DataChannelError) {
        guard let ch = channels[handle] else { throw .unknownChannel(handle) }
        guard ch.canSend, let stream = ch.stream else { throw .channelNotOpen(handle) }
        let limit = configuration.remoteMaxMessageSize
        if limit > 0 && size > limit { throw .messageTooLarge(size: size, limit: limit) }
        let unordered = !ch.options.ordered && ch.ackReceived
        do {
            try association.send(stream: stream, ppid: ppid, unordered: unordered, reliability: ch.options.reliability,
                                 payload: payload, now: now)
        } catch {
            throw .association(error)
        }
        if association.bufferedAmount(stream: stream) > ch.lowThreshold { aboveThreshold.insert(handle) }
    }

    /// Bytes queued on channel `handle` and not yet sent (W3C `bufferedAmount`).
    public func bufferedAmount(of handle: Int) -> Int {
        guard let stream = channels[handle]?.stream else { return 0 }
        return association.bufferedAmount(stream: stream)
    }

    /// Sets the threshold at or below which `.bufferedAmountLow(handle)` fires.
    public mutating func setBufferedAmountLowThreshold(_ threshold: Int, on handle: Int) {
        guard channels[handle] != nil else { return }
        channels[handle]!.lowThreshold = max(0, threshold)
        if bufferedAmount(of: handle) > max(0, threshold) { aboveThreshold.insert(handle) }
    }

    /// Closes a channel: its outgoing stream is reset after queued data is sent; the peer resets
    /// its side in return and both sides then report `.closed`. A channel that never reached
    /// the association closes at once. RFC 8831 §6.7.
    public mutating func close(_ handle: Int, now: NIODeadline) {
        lastNow = now
        guard var ch = channels[handle], ch.state == .open || ch.state == .connecting else { return }
        guard isEstablished, ch.stream != nil, ch.state == .open else {
            finishClose(handle)
            return
        }
        ch.state = .closing
        channels[handle] = ch
        events.append(.closing(handle))
        requestOutgoingReset(handle, now: now)
    }

    /// Closes every channel at once (the transport underneath went away): each reports `.closed`.
    public mutating func closeAll(now: NIODeadline) {
        lastNow = now
        for handle in channels.keys.sorted() { events.append(.closed(handle)) }
        channels.removeAll()
        handleByStream.removeAll()
        aboveThreshold.removeAll()
    }

    mutating func requestOutgoingReset(_ handle: Int, now: NIODeadline) {
        guard let stream = channels[handle]?.stream else { finishClose(handle); return }
        do {
            try association.resetStreams([stream], now: now)
        } catch {
            // Without RE-CONFIG the stream cannot be reset: the channel simply closes here.
            finishClose(handle)
        }
    }

    /// Shuts the association down gracefully. RFC 9260 §9.2.
    public mutating func shutdown(now: NIODeadline) {
        lastNow = now
        association.shutdown(now: now)
        processAssociationEvents(now: now)
    }

    /// Aborts the association. RFC 9260 §9.1.
    public mutating func abort(now: NIODeadline) {
        lastNow = now
        association.abort(now: now)
        processAssociationEvents(now: now)
    }
}
