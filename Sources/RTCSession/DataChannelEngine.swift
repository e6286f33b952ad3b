import DequeModule
import NIOCore
import RTCDTLS
import RTCSCTP

/// WebRTC data channels over one SCTP association: DCEP (RFC 8832) and channel semantics
/// (RFC 8831): stream-id parity, PPIDs, empty messages, reliability mapping, max-message-size,
/// closing by stream reset, buffered-amount accounting.
///
/// Channels are known by a session-local `handle` from creation on; the SCTP stream id is
/// assigned once the DTLS role is known (RFC 8832 §6: the DTLS client uses even ids).
struct DataChannelEngine {
    /// RFC 8831 §8 / RFC 8832 §8.1 payload protocol identifiers.
    enum PPID {
        static let dcep: UInt32 = 50
        static let string: UInt32 = 51
        static let binary: UInt32 = 53
        static let emptyString: UInt32 = 56
        static let emptyBinary: UInt32 = 57
    }

    /// RFC 8832 §5.1 channel types.
    enum ChannelType {
        static let reliable: UInt8 = 0x00
        static let partialReliableRexmit: UInt8 = 0x01
        static let partialReliableTimed: UInt8 = 0x02
        static let unorderedBit: UInt8 = 0x80
    }

    enum Phase { case pending, opening, open, closing, closed }

    struct Channel {
        var handle: Int
        var stream: UInt16?
        var label: String
        var options: DataChannelOptions
        var phase: Phase
        var outgoingReset = false
        var incomingReset = false
        var aboveLowThreshold = false
    }

    var sctp: SCTPAssociation?
    let maxMessageSize: Int
    var remoteMaxMessageSize = 65_536
    var lowThreshold: Int
    private(set) var channels: [Int: Channel] = [:]
    private var handleByStream: [UInt16: Int] = [:]
    private var nextHandle = 1
    private var dtlsRole: DTLSRole?
    private var events = Deque<SessionEvent>()
    /// Messages dropped because their stream had no channel, or they were malformed DCEP.
    private(set) var droppedMessages = 0

    init(maxMessageSize: Int, lowThreshold: Int) {
        self.maxMessageSize = maxMessageSize
        self.lowThreshold = lowThreshold
    }

    mutating func pollEvent() -> SessionEvent? { events.popFirst() }

    var isEstablished: Bool { sctp?.state == .established }

    // MARK: Association

    /// Starts SCTP once DTLS is up; the DTLS client sends INIT, the server waits for it.
    mutating func start(dtlsRole: DTLSRole, maxPacketSize: Int, now: NIODeadline, rng: inout some RandomNumberGenerator) {
        guard sctp == nil else { return }
        self.dtlsRole = dtlsRole
        var configuration = SCTPConfiguration()
        configuration.maxPacketSize = maxPacketSize
        configuration.maxInboundMessageSize = max(maxMessageSize, 1)
        var association = SCTPAssociation(configuration: configuration, rng: &rng)
        if dtlsRole == .client { association.connect(now: now) }
        sctp = association
    }

    mutating func handle(packet: ByteBuffer, now: NIODeadline) {
        guard sctp != nil else { droppedMessages += 1; return }
        sctp!.handle(packet: packet, now: now)
        drainAssociationEvents(now: now)
    }

    mutating func handleTimeout(now: NIODeadline) {
        guard sctp != nil else { return }
        sctp!.handleTimeout(now: now)
        drainAssociationEvents(now: now)
    }

    mutating func pollTransmit(now: NIODeadline) -> ByteBuffer? {
        guard sctp != nil else { return nil }
        let packet = sctp!.pollTransmit(now: now)
        if packet != nil { checkLowThresholds() }
        return packet
    }

    func pollDeadline() -> NIODeadline? { sctp?.pollDeadline() }

    // MARK: Channels

    mutating func create(label: String, options: DataChannelOptions, now: NIODeadline) throws(SessionError) -> Int {
        if options.maxRetransmits != nil && options.maxPacketLifeTime != nil {
            throw .invalidDataChannelOptions("set maxRetransmits or maxPacketLifeTime, not both (RFC 8831 §6.1)")
        }
        if let id = options.negotiatedID {
            guard id < 65535 else { throw .invalidDataChannelOptions("stream id 65535 is reserved") }
            if handleByStream[id] != nil || channels.values.contains(where: { $0.stream == id }) {
                throw .invalidDataChannelOptions("stream id \(id) is already in use")
            }
        }
        guard label.utf8.count <= 65535, options.protocol.utf8.count <= 65535 else {
            throw .invalidDataChannelOptions("label and protocol must be at most 65535 bytes")
        }
        let handle = nextHandle
        nextHandle += 1
        channels[handle] = Channel(handle: handle, stream: options.negotiatedID, label: label, options: options, phase: .pending)
        if let id = options.negotiatedID { handleByStream[id] = handle }
        if isEstablished { openPending(now: now) }
        return handle
    }

    func streamID(of handle: Int) -> UInt16? { channels[handle]?.stream }

    mutating func send(_ message: DataChannelMessage, on handle: Int, now: NIODeadline) throws(SessionError) {
        let ppid: UInt32
        let payload: ByteBuffer
        switch message {
        case .text(let text):
            ppid = text.isEmpty ? PPID.emptyString : PPID.string
            payload = text.isEmpty ? ByteBuffer(bytes: [0]) : ByteBuffer(string: text)
        case .binary(let bytes):
            ppid = bytes.isEmpty ? PPID.emptyBinary : PPID.binary
            payload = bytes.isEmpty ? ByteBuffer(bytes: [0]) : ByteBuffer(bytes: bytes)
        }
        try send(ppid: ppid, payload: payload, on: handle, now: now)
    }

    /// Queues a binary message given as a buffer (no copy of the payload). RFC 8831 §6.6.
    mutating func send(binary buffer: ByteBuffer, on handle: Int, now: NIODeadline) throws(SessionError) {
        if buffer.readableBytes == 0 {
            try send(ppid: PPID.emptyBinary, payload: ByteBuffer(bytes: [0]), on: handle, now: now)
        } else {
            try send(ppid: PPID.binary, payload: buffer, on: handle, now: now)
        }
    }

    private mutating func send(ppid: UInt32, payload: ByteBuffer, on handle: Int, now: NIODeadline) throws(SessionError) {
        guard let channel = channels[handle], channel.phase == .open || channel.phase == .opening, let stream = channel.stream else {
            throw .unknownDataChannel(handle)
        }
        let size = (ppid == PPID.emptyString || ppid == PPID.emptyBinary) ? 0 : payload.readableBytes
        guard size <= remoteMaxMessageSize else { throw .messageTooLarge(size: size, limit: remoteMaxMessageSize) }
        guard sctp != nil else { throw .unknownDataChannel(handle) }
        do {
            try sctp!.send(stream: stream, ppid: ppid, unordered: !channel.options.ordered,
                           reliability: reliability(channel.options), payload: payload, now: now)
        } catch {
            throw .unknownDataChannel(handle)
        }
        if sctp!.bufferedAmount(stream: stream) > lowThreshold { channels[handle]?.aboveLowThreshold = true }
    }

    func bufferedAmount(of handle: Int) -> Int {
        guard let stream = channels[handle]?.stream, let sctp else { return 0 }
        return sctp.bufferedAmount(stream: stream)
    }

    mutating func close(_ handle: Int, now: NIODeadline) {
        guard var channel = channels[handle] else { return }
        switch channel.phase {
        case .closing, .closed: return
        case .pending:
            channels[handle] = nil
            events.append(.dataChannelClosed(handle: handle))
            return
        case .opening, .open:
            break
        }
        channel.phase = .closing
        channels[handle] = channel
        events.append(.dataChannelClosing(handle: handle))
        resetOutgoing(handle, now: now)
    }

    mutating func closeAll(now: NIODeadline) {
        for handle in channels.keys.sorted() {
            channels[handle]?.phase = .closed
            events.append(.dataChannelClosed(handle: handle))
        }
        channels.removeAll()
        handleByStream.removeAll()
    }

    // MARK: Internals

    private func reliability(_ options: DataChannelOptions) -> SCTPReliability {
        if let n = options.maxRetransmits { return .maxRetransmits(n) }
        if let t = options.maxPacketLifeTime {
            let c = t.components
            return .maxLifetime(.nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000))
        }
        return .reliable
    }

    private mutating func allocateStream() -> UInt16? {
        guard let role = dtlsRole else { return nil }
        let limit = min(Int(sctp?.outboundStreamCount ?? 65535), 65535)
        var id = role == .client ? 0 : 1
        while id < limit {
            if handleByStream[UInt16(id)] == nil { return UInt16(id) }
            id += 2
        }
        return nil
    }

    private mutating func openPending(now: NIODeadline) {
        for handle in channels.keys.sorted() {
            guard var channel = channels[handle], channel.phase == .pending else { continue }
            if channel.options.negotiatedID != nil {
                channel.phase = .open
                channels[handle] = channel
                events.append(.dataChannelOpened(DataChannelInfo(handle: handle, streamID: channel.stream!, label: channel.label, options: channel.options)))
                continue
            }
            guard let stream = allocateStream() else {
                channels[handle] = nil
                events.append(.dataChannelError(handle: handle, reason: "no SCTP stream id available"))
                events.append(.dataChannelClosed(handle: handle))
                continue
            }
            channel.stream = stream
            channel.phase = .opening
            channels[handle] = channel
            handleByStream[stream] = handle
            let open = DCEPOpen(channelType: channelType(channel.options), priority: 0,
                                reliabilityParameter: reliabilityParameter(channel.options),
                                label: channel.label, protocol: channel.options.protocol)
            try? sctp?.send(stream: stream, ppid: PPID.dcep, payload: open.encoded(), now: now)
        }
    }

    private func channelType(_ options: DataChannelOptions) -> UInt8 {
        var type = ChannelType.reliable
        if options.maxRetransmits != nil { type = ChannelType.partialReliableRexmit }
        if options.maxPacketLifeTime != nil { type = ChannelType.partialReliableTimed }
        if !options.ordered { type |= ChannelType.unorderedBit }
        return type
    }

    private func reliabilityParameter(_ options: DataChannelOptions) -> UInt32 {
        if let n = options.maxRetransmits { return UInt32(clamping: n) }
        if let t = options.maxPacketLifeTime {
            let c = t.components
            return UInt32(clamping: c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
        }
        return 0
    }

    private mutating func resetOutgoing(_ handle: Int, now: NIODeadline) {
        guard let stream = channels[handle]?.stream, sctp != nil else { finishClose(handle); return }
        do {
            try sctp!.resetStreams([stream], now: now)
        } catch {
            // Without RE-CONFIG (or association) the stream cannot be reset: close locally.
            finishClose(handle)
        }
    }

    private mutating func finishClose(_ handle: Int) {
        guard let channel = channels.removeValue(forKey: handle) else { return }
        if let stream = channel.stream { handleByStream[stream] = nil }
        events.append(.dataChannelClosed(handle: handle))
    }

    private mutating func checkLowThresholds() {
        guard let sctp else { return }
        for (handle, channel) in channels where channel.aboveLowThreshold {
            if let stream = channel.stream, sctp.bufferedAmount(stream: stream) <= lowThreshold {
                channels[handle]?.aboveLowThreshold = false
                events.append(.bufferedAmountLow(handle: handle))
            }
        }
    }

    private mutating func drainAssociationEvents(now: NIODeadline) {
        guard sctp != nil else { return }
        while let event = sctp!.pollEvent() {
            switch event {
            case .connected:
                openPending(now: now)
            case .message(let message):
                receive(message, now: now)
            case .incomingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream], var channel = channels[handle] else { continue }
                    channel.incomingReset = true
                    let wasClosing = channel.phase == .closing
                    channel.phase = .closing
                    channels[handle] = channel
                    if !wasClosing {
                        events.append(.dataChannelClosing(handle: handle))
                        resetOutgoing(handle, now: now)
                    }
                    if channels[handle]?.outgoingReset == true { finishClose(handle) }
                }
            case .outgoingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream] else { continue }
                    channels[handle]?.outgoingReset = true
                    if channels[handle]?.incomingReset == true { finishClose(handle) }
                }
            case .streamResetFailed(let streams):
                for stream in streams { if let handle = handleByStream[stream] { finishClose(handle) } }
            case .closed, .aborted:
                for handle in channels.keys.sorted() { finishClose(handle) }
            }
        }
        checkLowThresholds()
    }

    private mutating func receive(_ message: SCTPMessage, now: NIODeadline) {
        if message.ppid == PPID.dcep {
            receiveDCEP(message, now: now)
            return
        }
        guard let handle = handleByStream[message.stream], let channel = channels[handle] else {
            droppedMessages += 1
            return
        }
        if channel.phase == .opening {
            // RFC 8832 §6: data after our OPEN implies the peer got it (an ACK may be lost... it
            // is reliable, so this only happens with reordering); treat the channel as open.
            channels[handle]?.phase = .open
            events.append(.dataChannelOpened(DataChannelInfo(handle: handle, streamID: message.stream, label: channel.label, options: channel.options)))
        }
        var payload = message.payload
        switch message.ppid {
        case PPID.string:
            guard let text = payload.readString(length: payload.readableBytes), text.utf8.elementsEqual(message.payload.readableBytesView) else {
                events.append(.dataChannelError(handle: handle, reason: "a text message was not valid UTF-8"))
                return
            }
            events.append(.dataChannelMessage(handle: handle, .text(text)))
        case PPID.emptyString:
            events.append(.dataChannelMessage(handle: handle, .text("")))
        case PPID.binary:
            events.append(.dataChannelMessage(handle: handle, .binary(payload.readBytes(length: payload.readableBytes) ?? [])))
        case PPID.emptyBinary:
            events.append(.dataChannelMessage(handle: handle, .binary([])))
        default:
            droppedMessages += 1
        }
    }

    private mutating func receiveDCEP(_ message: SCTPMessage, now: NIODeadline) {
        var payload = message.payload
        guard let type: UInt8 = payload.getInteger(at: payload.readerIndex) else { droppedMessages += 1; return }
        switch type {
        case DCEPOpen.messageType:
            guard let open = DCEPOpen(decoding: &payload) else { droppedMessages += 1; return }
            if let existing = handleByStream[message.stream], channels[existing] != nil {
                droppedMessages += 1  // a second OPEN on a stream in use is a protocol error; ignore it
                return
            }
            var options = DataChannelOptions()
            options.ordered = open.channelType & ChannelType.unorderedBit == 0
            switch open.channelType & 0x7f {
            case ChannelType.partialReliableRexmit: options.maxRetransmits = Int(open.reliabilityParameter)
            case ChannelType.partialReliableTimed: options.maxPacketLifeTime = .milliseconds(Int64(open.reliabilityParameter))
            default: break
            }
            options.protocol = open.protocol
            let handle = nextHandle
            nextHandle += 1
            channels[handle] = Channel(handle: handle, stream: message.stream, label: open.label, options: options, phase: .open)
            handleByStream[message.stream] = handle
            try? sctp?.send(stream: message.stream, ppid: PPID.dcep, payload: ByteBuffer(bytes: [DCEPOpen.ackType]), now: now)
            events.append(.dataChannelOpened(DataChannelInfo(handle: handle, streamID: message.stream, label: open.label, options: options)))
        case DCEPOpen.ackType:
            guard let handle = handleByStream[message.stream], let channel = channels[handle], channel.phase == .opening else { return }
            channels[handle]?.phase = .open
            events.append(.dataChannelOpened(DataChannelInfo(handle: handle, streamID: message.stream, label: channel.label, options: channel.options)))
        default:
            droppedMessages += 1
        }
    }
}

/// DATA_CHANNEL_OPEN (RFC 8832 §5.1).
struct DCEPOpen: Equatable {
    static let messageType: UInt8 = 0x03
    static let ackType: UInt8 = 0x02
    var channelType: UInt8
    var priority: UInt16
    var reliabilityParameter: UInt32
    var label: String
    var `protocol`: String

    func encoded() -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(DCEPOpen.messageType)
        b.writeInteger(channelType)
        b.writeInteger(priority)
        b.writeInteger(reliabilityParameter)
        b.writeInteger(UInt16(label.utf8.count))
        b.writeInteger(UInt16(self.protocol.utf8.count))
        b.writeString(label)
        b.writeString(self.protocol)
        return b
    }

    /// Decodes and bounds-checks an OPEN; `nil` when malformed.
    init?(decoding buffer: inout ByteBuffer) {
        guard let type: UInt8 = buffer.readInteger(), type == DCEPOpen.messageType,
              let channelType: UInt8 = buffer.readInteger(), let priority: UInt16 = buffer.readInteger(),
              let reliability: UInt32 = buffer.readInteger(), let labelLength: UInt16 = buffer.readInteger(),
              let protocolLength: UInt16 = buffer.readInteger(),
              let label = buffer.readString(length: Int(labelLength)),
              let proto = buffer.readString(length: Int(protocolLength)) else { return nil }
        self.init(channelType: channelType, priority: priority, reliabilityParameter: reliability, label: label, protocol: proto)
    }

    init(channelType: UInt8, priority: UInt16, reliabilityParameter: UInt32, label: String, protocol: String) {
        self.channelType = channelType
        self.priority = priority
        self.reliabilityParameter = reliabilityParameter
        self.label = label
        self.protocol = `protocol`
    }
}
