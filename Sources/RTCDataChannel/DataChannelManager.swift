import NIOCore
import RTCCore
import RTCSCTP

/// WebRTC data channels over one SCTP association (RFC 8831), opened with the Data Channel
/// Establishment Protocol (RFC 8832). Sans-IO: it wraps an `SCTPAssociation` and has the same
/// contract — feed `handle(packet:now:)` / `handleTimeout(now:)`, then drain
/// `pollTransmit(now:)` and `pollEvent()`, and wake at `pollDeadline()`.
///
/// Channels are known by an `Int` handle from creation on, so they can be created before the
/// DTLS role is known; the SCTP stream id (even for the DTLS client, odd for the server,
/// RFC 8832 §6) is assigned once the role is known and the association is up.
///
/// ```swift
/// var manager = DataChannelManager(configuration: .init(), rng: &rng)
/// let chat = try manager.createChannel(label: "chat", now: now)   // role not known yet
/// manager.start(role: .dtlsClient, now: now)                      // DTLS is up: the client sends INIT
/// // … once `.opened` arrives:
/// try manager.send(.text("hello"), on: chat, now: now)
/// while let packet = manager.pollTransmit(now: now) { /* DTLS-encrypt and send */ }
/// ```
public struct DataChannelManager {
    struct Channel {
        var handle: Int
        var stream: UInt16?
        var label: String
        var options: DataChannelOptions
        var state: DataChannelState
        /// Our DATA_CHANNEL_OPEN is queued: messages may be sent (ordered until the ACK). RFC 8832 §6.
        var openSent = false
        var ackReceived: Bool
        var outgoingReset = false
        var incomingReset = false
        var lowThreshold: Int

        var info: DataChannelInfo? {
            stream.map { DataChannelInfo(handle: handle, streamID: $0, label: label, options: options) }
        }
        /// Messages may be queued: open, or our OPEN went out and the ACK is pending. RFC 8832 §6.
        var canSend: Bool { state == .open || (state == .connecting && openSent) }
    }

    /// The configuration (`role` and `remoteMaxMessageSize` follow `start` and
    /// `setRemoteMaxMessageSize`).
    public private(set) var configuration: DataChannelConfiguration
    /// The SCTP association underneath (read-only: counters, windows, state).
    public internal(set) var association: SCTPAssociation
    var channels: [Int: Channel] = [:]
    var handleByStream: [UInt16: Int] = [:]
    var nextHandle = 1
    var events: [DataChannelEvent] = []
    var eventHead = 0
    var aboveThreshold: Set<Int> = []
    /// User messages dropped because their stream had no channel (e.g. data in flight while a
    /// channel closed) or an ACK arrived for no channel.
    public private(set) var droppedMessages = 0

    /// Creates a manager and its association; `rng` seeds the association (tags, TSNs, cookie key).
    public init<R: RandomNumberGenerator>(configuration: DataChannelConfiguration, rng: inout R) {
        self.configuration = configuration
        var sctp = configuration.sctp
        sctp.maxInboundMessageSize = configuration.localMaxMessageSize
        association = SCTPAssociation(configuration: sctp, rng: &rng)
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
        if configuration.role == nil { configuration.role = role }
        if configuration.role == .dtlsClient { association.connect(now: now) }
        openPending(now: now)
    }

    /// Starts the SCTP association (sends INIT). Both sides may call it. RFC 8831 §6.2.
    public mutating func connect(now: NIODeadline) {
        association.connect(now: now)
    }

    /// Updates the peer's `max-message-size` (0 means no limit). RFC 8841 §6.
    public mutating func setRemoteMaxMessageSize(_ size: Int) {
        configuration.remoteMaxMessageSize = size
    }

    /// Processes one SCTP packet received inside DTLS.
    public mutating func handle(packet: ByteBuffer, now: NIODeadline) {
        association.handle(packet: packet, now: now)
        processAssociationEvents(now: now)
        checkBufferedAmounts()
    }

    /// Processes expired timers.
    public mutating func handleTimeout(now: NIODeadline) {
        association.handleTimeout(now: now)
        processAssociationEvents(now: now)
        checkBufferedAmounts()
    }

    /// The next SCTP packet to send inside DTLS, or `nil`.
    public mutating func pollTransmit(now: NIODeadline) -> ByteBuffer? {
        let p = association.pollTransmit(now: now)
        processAssociationEvents(now: now)
        checkBufferedAmounts()
        return p
    }

    /// The next event, or `nil`.
    public mutating func pollEvent() -> DataChannelEvent? {
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
    public func pollDeadline() -> NIODeadline? { association.pollDeadline() }

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
    /// up, and a DATA_CHANNEL_OPEN is sent then; `.opened` follows the peer's ACK. A negotiated
    /// channel opens as soon as the association is up. RFC 8832 §6.
    public mutating func createChannel(label: String, options: DataChannelOptions = DataChannelOptions(),
                                       now: NIODeadline) throws(DataChannelError) -> Int {
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
              var ch = channels[handle], ch.state == .connecting, !ch.openSent else { return }
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
        ch.openSent = true
        channels[handle] = ch
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
        guard var ch = channels[handle], ch.state == .open || ch.state == .connecting else { return }
        guard isEstablished, ch.stream != nil, ch.state == .open || ch.openSent else {
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
        for handle in channels.keys.sorted() { events.append(.closed(handle)) }
        channels.removeAll()
        handleByStream.removeAll()
        aboveThreshold.removeAll()
    }

    private mutating func requestOutgoingReset(_ handle: Int, now: NIODeadline) {
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
        association.shutdown(now: now)
        processAssociationEvents(now: now)
    }

    /// Aborts the association. RFC 9260 §9.1.
    public mutating func abort(now: NIODeadline) {
        association.abort()
        processAssociationEvents(now: now)
    }

    // MARK: Association events

    mutating func processAssociationEvents(now: NIODeadline) {
        while let e = association.pollEvent() {
            switch e {
            case .connected:
                events.append(.associationEstablished)
                openPending(now: now)
            case .message(let m):
                handleMessage(m, now: now)
            case .incomingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream], var ch = channels[handle] else { continue }
                    ch.incomingReset = true
                    if ch.state != .closing {
                        ch.state = .closing
                        channels[handle] = ch
                        events.append(.closing(handle))
                        requestOutgoingReset(handle, now: now)
                    } else {
                        channels[handle] = ch
                    }
                    finishCloseIfDone(handle)
                }
            case .outgoingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream] else { continue }
                    channels[handle]?.outgoingReset = true
                    finishCloseIfDone(handle)
                }
            case .streamResetFailed(let streams):
                // The peer refused the reset: nothing more will flow; close our side.
                for stream in streams {
                    if let handle = handleByStream[stream] { finishClose(handle) }
                }
            case .closed:
                closeAll(now: now)
                events.append(.associationClosed)
            case .aborted(let reason):
                closeAll(now: now)
                events.append(.associationFailed(reason))
            }
        }
    }

    private mutating func finishCloseIfDone(_ handle: Int) {
        guard let ch = channels[handle], ch.outgoingReset, ch.incomingReset else { return }
        finishClose(handle)
    }

    private mutating func finishClose(_ handle: Int) {
        guard let ch = channels.removeValue(forKey: handle) else { return }
        if let stream = ch.stream, handleByStream[stream] == handle { handleByStream[stream] = nil }
        aboveThreshold.remove(handle)
        events.append(.closed(handle))
    }

    mutating func handleMessage(_ m: SCTPMessage, now: NIODeadline) {
        if m.ppid == DataChannelPPID.dcep {
            handleDCEP(m, now: now)
            return
        }
        guard let handle = handleByStream[m.stream], var ch = channels[handle] else {
            droppedMessages += 1
            return
        }
        let message: DataChannelMessage
        switch m.ppid {
        case DataChannelPPID.string:
            guard let text = decodeUTF8(m.payload.readableBytesView) else {
                events.append(.protocolError(handle: handle, .invalidUTF8(stream: m.stream, length: m.payload.readableBytes)))
                return
            }
            message = .text(text)
        case DataChannelPPID.stringEmpty:
            message = .text("")
        case DataChannelPPID.binary:
            message = .binary(Array(m.payload.readableBytesView))
        case DataChannelPPID.binaryEmpty:
            message = .binary([])
        default:
            events.append(.protocolError(handle: handle, .unknownPPID(stream: m.stream, ppid: m.ppid)))
            return
        }
        // Any user message implies the peer saw our OPEN. RFC 8832 §6.
        if !ch.ackReceived {
            ch.ackReceived = true
            if ch.state == .connecting && ch.openSent {
                ch.state = .open
                channels[handle] = ch
                if let info = ch.info { events.append(.opened(info)) }
            } else {
                channels[handle] = ch
            }
        }
        events.append(.message(handle, message))
    }

    private mutating func handleDCEP(_ m: SCTPMessage, now: NIODeadline) {
        let dcep: DCEPMessage
        do {
            dcep = try DCEPMessage.parse(m.payload)
        } catch {
            events.append(.protocolError(handle: handleByStream[m.stream], .malformedDCEP(stream: m.stream, error)))
            return
        }
        switch dcep {
        case .ack:
            guard let handle = handleByStream[m.stream], var ch = channels[handle] else {
                droppedMessages += 1
                return
            }
            ch.ackReceived = true
            if ch.state == .connecting && ch.openSent {
                ch.state = .open
                channels[handle] = ch
                if let info = ch.info { events.append(.opened(info)) }
            } else {
                channels[handle] = ch
            }
        case .open(let type, let unordered, let priority, let label, let proto):
            if let existing = handleByStream[m.stream] {
                events.append(.protocolError(handle: existing, .duplicateOpen(stream: m.stream)))
                return
            }
            let options = DataChannelOptions(channelType: type, unordered: unordered, priority: priority, protocol: proto)
            let handle = nextHandle
            nextHandle += 1
            let ch = Channel(handle: handle, stream: m.stream, label: label, options: options, state: .open,
                             ackReceived: true, lowThreshold: max(0, configuration.bufferedAmountLowThreshold))
            channels[handle] = ch
            handleByStream[m.stream] = handle
            try? association.send(stream: m.stream, ppid: DataChannelPPID.dcep, payload: DCEPMessage.ack.serialized(), now: now)
            if let info = ch.info { events.append(.peerOpened(info)) }
        }
    }

    mutating func checkBufferedAmounts() {
        guard !aboveThreshold.isEmpty else { return }
        for handle in aboveThreshold {
            guard let ch = channels[handle], let stream = ch.stream else { aboveThreshold.remove(handle); continue }
            if association.bufferedAmount(stream: stream) <= ch.lowThreshold {
                aboveThreshold.remove(handle)
                events.append(.bufferedAmountLow(handle))
            }
        }
    }
}
