import NIOCore
import RTCCore
import RTCSCTP

/// WebRTC data channels over one SCTP association (RFC 8831), opened with the Data Channel
/// Establishment Protocol (RFC 8832). Sans-IO: it wraps an `SCTPAssociation` and has the same
/// contract — feed `handle(packet:now:)` / `handleTimeout(now:)`, then drain
/// `pollTransmit(now:)` and `pollEvent()`, and wake at `pollDeadline()`.
///
/// ```swift
/// var manager = DataChannelManager(configuration: .init(role: .dtlsClient), rng: &rng)
/// manager.connect(now: now)                      // the DTLS client usually starts SCTP
/// let id = try manager.createChannel(label: "chat", now: now)
/// try manager.send(.text("hello"), on: id, now: now)
/// while let packet = manager.pollTransmit(now: now) { /* DTLS-encrypt and send */ }
/// ```
public struct DataChannelManager {
    struct Channel {
        var info: DataChannelInfo
        var ackReceived: Bool
        var outgoingReset = false
        var incomingReset = false
        var pendingOpen = false
    }

    /// The configuration.
    public let configuration: DataChannelConfiguration
    /// The SCTP association underneath (read-only: counters, windows, state).
    public private(set) var association: SCTPAssociation
    var channels: [UInt16: Channel] = [:]
    var events: [DataChannelEvent] = []
    var eventHead = 0
    var aboveThreshold: Set<UInt16> = []
    var nextID: UInt16

    /// Creates a manager and its association; `rng` seeds the association (tags, TSNs, cookie key).
    public init<R: RandomNumberGenerator>(configuration: DataChannelConfiguration, rng: inout R) {
        self.configuration = configuration
        var sctp = configuration.sctp
        sctp.maxInboundMessageSize = configuration.localMaxMessageSize
        association = SCTPAssociation(configuration: sctp, rng: &rng)
        nextID = configuration.role == .dtlsClient ? 0 : 1
    }

    // MARK: Driving

    /// Starts the SCTP association (sends INIT). Both sides may call it. RFC 8831 §6.2.
    public mutating func connect(now: NIODeadline) {
        association.connect(now: now)
    }

    /// Processes one SCTP packet received inside DTLS.
    public mutating func handle(packet: ByteBuffer, now: NIODeadline) {
        association.handle(packet: packet, now: now)
        processAssociationEvents(now: now)
    }

    /// Processes expired timers.
    public mutating func handleTimeout(now: NIODeadline) {
        association.handleTimeout(now: now)
        processAssociationEvents(now: now)
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

    /// What is known about channel `id`, or `nil`.
    public func channel(_ id: UInt16) -> DataChannelInfo? { channels[id]?.info }

    /// The ids of all channels not yet closed.
    public var channelIDs: [UInt16] { channels.keys.sorted() }

    /// Creates a channel. Unless `options.negotiatedID` is set, it gets the next free stream id
    /// of our parity and a DATA_CHANNEL_OPEN is sent once the association is up. RFC 8832 §6.
    public mutating func createChannel(label: String, options: DataChannelOptions = DataChannelOptions(),
                                       now: NIODeadline) throws(DataChannelError) -> UInt16 {
        if options.maxRetransmits != nil && options.maxPacketLifeTime != nil { throw .conflictingReliability }
        let id: UInt16
        if let n = options.negotiatedID {
            guard channels[n] == nil else { throw .idInUse(n) }
            id = n
        } else {
            id = try allocateID()
        }
        let established = association.state == .established
        var ch = Channel(info: DataChannelInfo(id: id, label: label, options: options, state: established ? .open : .connecting),
                         ackReceived: options.negotiatedID != nil)
        if options.negotiatedID == nil {
            if established { sendOpen(ch.info, now: now) } else { ch.pendingOpen = true }
        }
        channels[id] = ch
        if established { events.append(.opened(id)) }
        return id
    }

    private mutating func allocateID() throws(DataChannelError) -> UInt16 {
        let limit = association.state == .established ? Int(association.outboundStreamCount) : 65535
        var candidate = Int(nextID)
        var tried = 0
        while tried < 32768 {
            if candidate >= limit { candidate = configuration.role == .dtlsClient ? 0 : 1 }
            if channels[UInt16(candidate)] == nil {
                nextID = UInt16(truncatingIfNeeded: candidate + 2)
                return UInt16(candidate)
            }
            candidate += 2
            tried += 1
        }
        throw .noStreamIdAvailable
    }

    private mutating func sendOpen(_ info: DataChannelInfo, now: NIODeadline) {
        let type: DCEPChannelType
        if let n = info.options.maxRetransmits {
            type = .partialReliableRexmit(UInt32(clamping: n))
        } else if let t = info.options.maxPacketLifeTime {
            type = .partialReliableTimed(UInt32(clamping: t.nanoseconds / 1_000_000))
        } else {
            type = .reliable
        }
        let open = DCEPMessage.open(channelType: type, unordered: !info.options.ordered, priority: info.options.priority,
                                    label: info.label, protocol: info.options.protocol)
        try? association.send(stream: info.id, ppid: DataChannelPPID.dcep, payload: open.serialized(), now: now)
    }

    /// Sends a message. Empty messages use the "empty" PPIDs with one byte of padding; before the
    /// peer's DATA_CHANNEL_ACK arrives, messages go ordered (RFC 8832 §6). Throws
    /// `.messageTooLarge` above the peer's `max-message-size` (RFC 8841 §6).
    public mutating func send(_ message: DataChannelMessage, on id: UInt16, now: NIODeadline) throws(DataChannelError) {
        guard let ch = channels[id] else { throw .unknownChannel(id) }
        guard ch.info.state == .open else { throw .channelNotOpen(id) }
        let ppid: UInt32
        var payload: ByteBuffer
        switch message {
        case .text(let s):
            if s.isEmpty {
                ppid = DataChannelPPID.stringEmpty
                payload = ByteBuffer(bytes: [0])
            } else {
                ppid = DataChannelPPID.string
                payload = ByteBuffer(string: s)
            }
        case .binary(let b):
            if b.readableBytes == 0 {
                ppid = DataChannelPPID.binaryEmpty
                payload = ByteBuffer(bytes: [0])
            } else {
                ppid = DataChannelPPID.binary
                payload = b
            }
        }
        let limit = configuration.remoteMaxMessageSize
        let size = ppid == DataChannelPPID.stringEmpty || ppid == DataChannelPPID.binaryEmpty ? 0 : payload.readableBytes
        if limit > 0 && size > limit { throw .messageTooLarge(size: size, limit: limit) }
        let unordered = !ch.info.options.ordered && ch.ackReceived
        do {
            try association.send(stream: id, ppid: ppid, unordered: unordered, reliability: ch.info.options.reliability,
                                 payload: payload, now: now)
        } catch {
            throw .association(error)
        }
        if association.bufferedAmount(stream: id) > ch.info.bufferedAmountLowThreshold { aboveThreshold.insert(id) }
    }

    /// Bytes queued on channel `id` and not yet sent (W3C `bufferedAmount`).
    public func bufferedAmount(_ id: UInt16) -> Int { association.bufferedAmount(stream: id) }

    /// Sets the threshold at or below which `.bufferedAmountLow(id)` fires.
    public mutating func setBufferedAmountLowThreshold(_ threshold: Int, on id: UInt16) {
        channels[id]?.info.bufferedAmountLowThreshold = max(0, threshold)
        if association.bufferedAmount(stream: id) > max(0, threshold) { aboveThreshold.insert(id) }
    }

    /// Closes a channel: its outgoing stream is reset after queued data is sent; the peer resets
    /// its side in return and both sides then report `.closed`. RFC 8831 §6.7.
    public mutating func close(_ id: UInt16, now: NIODeadline) {
        guard var ch = channels[id], ch.info.state == .open || ch.info.state == .connecting else { return }
        if association.state != .established {
            channels[id] = nil
            events.append(.closed(id))
            return
        }
        ch.info.state = .closing
        channels[id] = ch
        events.append(.closing(id))
        requestOutgoingReset(id, now: now)
    }

    private mutating func requestOutgoingReset(_ id: UInt16, now: NIODeadline) {
        do {
            try association.resetStreams([id], now: now)
        } catch {
            // Without RE-CONFIG the stream cannot be reset: the channel simply closes here.
            channels[id] = nil
            events.append(.closed(id))
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
                for id in channels.keys.sorted() {
                    guard var ch = channels[id], ch.info.state == .connecting else { continue }
                    ch.info.state = .open
                    if ch.pendingOpen {
                        ch.pendingOpen = false
                        sendOpen(ch.info, now: now)
                    }
                    channels[id] = ch
                    events.append(.opened(id))
                }
            case .message(let m):
                handleMessage(m, now: now)
            case .incomingStreamsReset(let ids):
                for id in ids {
                    guard var ch = channels[id] else { continue }
                    ch.incomingReset = true
                    if ch.info.state != .closing {
                        ch.info.state = .closing
                        events.append(.closing(id))
                        channels[id] = ch
                        requestOutgoingReset(id, now: now)
                    } else {
                        channels[id] = ch
                    }
                    finishCloseIfDone(id)
                }
            case .outgoingStreamsReset(let ids), .streamResetFailed(let ids):
                for id in ids {
                    channels[id]?.outgoingReset = true
                    finishCloseIfDone(id)
                }
            case .closed:
                closeAll()
                events.append(.associationClosed)
            case .aborted(let reason):
                closeAll()
                events.append(.associationFailed(reason))
            }
        }
    }

    private mutating func finishCloseIfDone(_ id: UInt16) {
        guard let ch = channels[id], ch.outgoingReset, ch.incomingReset else { return }
        channels[id] = nil
        aboveThreshold.remove(id)
        events.append(.closed(id))
    }

    private mutating func closeAll() {
        for id in channels.keys.sorted() { events.append(.closed(id)) }
        channels.removeAll()
        aboveThreshold.removeAll()
    }

    mutating func handleMessage(_ m: SCTPMessage, now: NIODeadline) {
        switch m.ppid {
        case DataChannelPPID.dcep:
            guard let dcep = try? DCEPMessage.parse(m.payload) else { return }
            switch dcep {
            case .ack:
                channels[m.stream]?.ackReceived = true
            case .open(let type, let unordered, let priority, let label, let proto):
                guard channels[m.stream] == nil else { return }
                var options = DataChannelOptions(ordered: !unordered, protocol: proto, priority: priority)
                switch type {
                case .reliable: break
                case .partialReliableRexmit(let n): options.maxRetransmits = Int(n)
                case .partialReliableTimed(let ms): options.maxPacketLifeTime = .milliseconds(Int64(ms))
                }
                let info = DataChannelInfo(id: m.stream, label: label, options: options, state: .open)
                channels[m.stream] = Channel(info: info, ackReceived: true)
                try? association.send(stream: m.stream, ppid: DataChannelPPID.dcep, payload: DCEPMessage.ack.serialized(), now: now)
                events.append(.peerOpened(info))
            }
        case DataChannelPPID.string, DataChannelPPID.stringEmpty, DataChannelPPID.binary, DataChannelPPID.binaryEmpty:
            guard var ch = channels[m.stream], ch.info.state == .open || ch.info.state == .closing else { return }
            // Any user message implies the peer saw our OPEN. RFC 8832 §6.
            if !ch.ackReceived {
                ch.ackReceived = true
                channels[m.stream] = ch
            }
            let message: DataChannelMessage
            switch m.ppid {
            case DataChannelPPID.string: message = .text(String(buffer: m.payload))
            case DataChannelPPID.stringEmpty: message = .text("")
            case DataChannelPPID.binary: message = .binary(m.payload)
            default: message = .binary(ByteBuffer())
            }
            events.append(.message(m.stream, message))
        default:
            break
        }
    }

    mutating func checkBufferedAmounts() {
        guard !aboveThreshold.isEmpty else { return }
        for id in aboveThreshold {
            guard let ch = channels[id] else { aboveThreshold.remove(id); continue }
            if association.bufferedAmount(stream: id) <= ch.info.bufferedAmountLowThreshold {
                aboveThreshold.remove(id)
                events.append(.bufferedAmountLow(id))
            }
        }
    }
}
