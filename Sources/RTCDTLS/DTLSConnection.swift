import NIOCore
import RTCCore

/// A DTLS 1.2 association (RFC 6347) as a sans-IO state machine, driven like every SwiftRTC
/// core (``SansIOCore``).
///
/// Feed it received datagrams with `handle(_:now:)` and expired timers with
/// `handleTimeout(now:)`; after each call drain `pollTransmit()` (datagrams to send) and
/// `pollEvent()` (handshake completion, application data, alerts, failures), and read
/// `nextDeadline` (when to call `handleTimeout` next). A client starts with
/// `startHandshake(now:)`. Nothing here reads a clock, touches a socket or sleeps.
///
/// Inside, it composes four parts: the handshake of its role (a client or a server state
/// machine), the reassembly of the peer's handshake messages, the record layer (epochs,
/// sequence numbers, replay windows, protection) and flight retransmission.
public struct DTLSConnection: SansIOCore {
    /// A received datagram (RFC 6347 §4.1: it may hold several records).
    public typealias Input = ByteBuffer
    /// A datagram to send.
    public typealias Output = ByteBuffer
    /// What the connection reports.
    public typealias Event = DTLSEvent

    /// Client or server.
    public let role: DTLSRole
    /// The configuration given at creation.
    public let configuration: DTLSConfiguration
    /// Drop and retransmission counters.
    public private(set) var statistics = DTLSStatistics()
    /// The externally visible state.
    public private(set) var state: DTLSConnectionState = .handshaking
    /// What the handshake negotiated, once it completed.
    public private(set) var handshakeInfo: DTLSHandshakeInfo?

    private var handshake: any DTLSHandshake
    private var inbox = DTLSHandshakeInbox()
    private var records: DTLSRecordLayer
    private var flights: DTLSFlightRetransmission
    private var closeNotifySent = false
    private var events: [DTLSEvent] = []
    private var eventHead = 0

    /// Creates a connection. `rng` supplies hello randoms, ephemeral keys and the cookie
    /// secret: the system CSPRNG in production, a ``SeededRandom`` in tests.
    public init(role: DTLSRole, configuration: DTLSConfiguration,
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.role = role
        self.configuration = configuration
        switch role {
        case .client: handshake = DTLSClientHandshake(configuration: configuration, rng: rng)
        case .server: handshake = DTLSServerHandshake(configuration: configuration, rng: rng)
        }
        records = DTLSRecordLayer(mtu: configuration.mtu)
        flights = DTLSFlightRetransmission(configuration: configuration)
    }

    private var isOpen: Bool { state == .handshaking || state == .connected }
    /// Whether a well-formed record of the peer's has arrived.
    private var heardFromPeer = false

    // MARK: - SansIOCore

    /// Processes one received datagram (RFC 6347 §4.1: it may hold several records).
    public mutating func handle(_ datagram: ByteBuffer, now: NIODeadline) {
        guard isOpen else { return }
        flights.datagramArrived()
        var buffer = datagram
        // Application data once connected: opened in place in the datagram's buffer, the
        // plaintext handed on as a slice of it. Whatever else the datagram holds (from the
        // first record that is not such a record on) takes the general path below.
        let handled = state == .connected && records.opensInPlace ? handleApplicationRecordsInPlace(&buffer) : 0
        guard handled < buffer.readableBytes else {
            records.finishDatagram()
            return
        }
        let bytes = buffer.getBytes(at: buffer.readerIndex + handled, length: buffer.readableBytes - handled)!
        var offset = 0
        while offset < bytes.count, isOpen {
            let record: DTLSRecord
            do { record = try DTLSRecord.parse(bytes, offset: &offset) } catch {
                statistics.recordsDroppedMalformed += 1
                break
            }
            heardFromPeer = true
            process(record: record, now: now)
        }
        records.finishDatagram()
    }

    /// Opens the application-data records at the start of `buffer` in place (epoch 1, keys on
    /// CRTCCrypto) and queues their plaintext as slices of it; returns how many bytes (whole
    /// records) it handled. Stops at the first record that is not application data of epoch 1
    /// or whose header or length the general path should judge.
    private mutating func handleApplicationRecordsInPlace(_ buffer: inout ByteBuffer) -> Int {
        var offset = 0
        while buffer.readableBytes - offset >= DTLSRecord.headerLength {
            let at = buffer.readerIndex + offset
            guard buffer.getInteger(at: at, as: UInt8.self) == DTLSContentType.applicationData.rawValue,
                  let version = buffer.getInteger(at: at + 1, as: UInt16.self), version >> 8 == 0xFE,
                  buffer.getInteger(at: at + 3, as: UInt16.self) == 1,
                  let sequenceHigh = buffer.getInteger(at: at + 5, as: UInt16.self),
                  let sequenceLow = buffer.getInteger(at: at + 7, as: UInt32.self),
                  let length = buffer.getInteger(at: at + 11, as: UInt16.self).map(Int.init),
                  length <= 16384 + 2048, DTLSRecord.headerLength + length <= buffer.readableBytes - offset else { break }
            let sequence = UInt64(sequenceHigh) << 32 | UInt64(sequenceLow)
            switch records.receiveInPlace(&buffer, offset: offset + DTLSRecord.headerLength, length: length, sequence: sequence,
                                          version: version) {
            case .deliver(let plaintextOffset, let plaintextLength):
                statistics.applicationRecordsReceived += 1
                events.append(.applicationData(buffer.getSlice(at: buffer.readerIndex + plaintextOffset, length: plaintextLength)!))
            case .droppedReplay:
                statistics.recordsDroppedReplay += 1
            case .droppedBadMAC:
                statistics.recordsDroppedBadMAC += 1
            }
            offset += DTLSRecord.headerLength + length
        }
        return offset
    }

    /// Call when `nextDeadline` has passed: retransmits the last flight with exponential
    /// back-off (RFC 6347 §4.2.4) or fails with `.handshakeTimeout` once the total handshake
    /// time is exceeded.
    public mutating func handleTimeout(now: NIODeadline) {
        guard state == .handshaking else { return }
        switch flights.timeout(now: now) {
        case .none:
            return
        case .handshakeExpired:
            fail(.handshakeTimeout, sendAlert: false)
        case .retransmit:
            statistics.timeoutRetransmissions += 1
            flights.transmit(into: &records)
            records.finishDatagram()
        }
    }

    /// The next datagram to send, or `nil` when there is none.
    public mutating func pollTransmit() -> ByteBuffer? {
        guard let datagram = records.nextDatagram() else { return nil }
        statistics.datagramsSent += 1
        return datagram
    }

    /// The next event, or `nil` when there is none.
    public mutating func pollEvent() -> DTLSEvent? {
        guard eventHead < events.count else {
            if !events.isEmpty { events.removeAll(keepingCapacity: true); eventHead = 0 }
            return nil
        }
        defer { eventHead += 1 }
        return events[eventHead]
    }

    /// When `handleTimeout(now:)` must be called next, or `nil` when no timer runs (only a
    /// handshake in progress has timers).
    public var nextDeadline: NIODeadline? { state == .handshaking ? flights.nextDeadline : nil }

    // MARK: - Commands

    /// Client: if no record of the server's has arrived yet, sends the first flight (the
    /// ClientHello) again at `deadline` unless the retransmission timer fires earlier. For a
    /// ClientHello sent before ICE selected the pair (RFC 8445 §12.1 lets data go on a valid
    /// pair before): a peer that was not ready for it and dropped it gets it again soon after
    /// the pair is selected, not after the initial timeout (1 s). Not at once: the server's
    /// reply is usually on its way already, and an early duplicate makes every later flight of
    /// both sides go twice (each side answers a repeated flight by repeating its own).
    public mutating func resendFirstFlightIfUnanswered(by deadline: NIODeadline) {
        guard role == .client, state == .handshaking, !heardFromPeer else { return }
        flights.retransmit(by: deadline)
    }

    /// Client: sends the first ClientHello (RFC 6347 §4.2.1). Does nothing for a server or
    /// when already started.
    public mutating func startHandshake(now: NIODeadline) {
        let actions = handshake.start(now: now)
        guard !actions.isEmpty else { return }
        perform(actions, now: now)
        records.finishDatagram()
    }

    /// Client, while it waits for the server's flight: makes the X25519 key pair of its
    /// ClientKeyExchange now, so the reply to that flight costs one key generation less (every
    /// peer seen picks X25519 when offered). Optional: without it the key is made when needed;
    /// a server, or a client past that point, does nothing. A key made ahead is used once.
    public mutating func prepareKeyShare() {
        guard role == .client, state == .handshaking, !heardFromPeer else { return }
        handshake.prepareKeyShare()
    }

    /// The public half of the key share made by ``prepareKeyShare()`` and not yet used (tests).
    var preparedKeySharePublicBytes: [UInt8]? { handshake.context.preparedX25519?.publicBytes }

    /// `true` when `send(applicationData:now:)` accepts data: once connected, and for a client
    /// with ``DTLSConfiguration/sendsEarlyApplicationData`` already once its Finished went out
    /// (False Start, RFC 7918: the keys are known and the server was authenticated; only its
    /// Finished is still to come).
    public var canSendApplicationData: Bool {
        state == .connected || (state == .handshaking && configuration.sendsEarlyApplicationData && handshake.awaitsPeerFinished)
    }

    /// Protects and queues application data (RFC 5246 §10) as one record in its own datagram.
    /// Throws `notConnected` unless ``canSendApplicationData``. DTLS needs no clock to send;
    /// `now` keeps the command shaped like every core's.
    public mutating func send(applicationData: ByteBuffer, now: NIODeadline) throws {
        guard canSendApplicationData else { throw DTLSError.notConnected }
        if state == .handshaking { statistics.earlyApplicationRecordsSent += 1 }
        try records.writeApplicationData(applicationData)
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and closes the association. DTLS needs no clock
    /// to close; `now` keeps the command shaped like every core's.
    public mutating func close(now: NIODeadline) {
        guard isOpen else { return }
        records.writeAlert(level: DTLSAlert.warning, description: DTLSAlert.closeNotify)
        closeNotifySent = true
        state = .closed
        flights.stop()
        records.finishDatagram()
    }

    // MARK: - Keying material

    /// The keying material exporter of RFC 5705 §4: PRF(master_secret, label,
    /// client_random ‖ server_random [‖ context_length ‖ context]).
    public func exportKeyingMaterial(label: String, context: [UInt8]? = nil, length: Int) throws -> [UInt8] {
        guard state == .connected else { throw DTLSError.notConnected }
        return try handshake.context.exportKeyingMaterial(label: label, context: context, length: length)
    }

    /// The SRTP master keys and salts of the negotiated profile (RFC 5764 §4.2), split into
    /// this side's (local) and the peer's (remote) halves.
    public func srtpKeyingMaterial() throws -> DTLSSRTPKeyingMaterial {
        guard let profile = handshake.context.srtpProfile else { throw DTLSError.notConnected }
        let m = try exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: profile.keyingMaterialLength)
        guard let keys = profile.splitKeyingMaterial(m, isClient: role == .client) else {
            throw DTLSError.cryptoFailure("exporter returned \(m.count) bytes")
        }
        return DTLSSRTPKeyingMaterial(profile: profile,
                                      localKey: keys.local.key, localSalt: keys.local.salt,
                                      remoteKey: keys.remote.key, remoteSalt: keys.remote.salt)
    }

    // MARK: - Records in

    private mutating func process(record: DTLSRecord, now: NIODeadline) {
        switch records.receive(record, handshaking: state == .handshaking) {
        case .deliver(let type, let plaintext, let epoch):
            dispatch(type: type, plaintext: plaintext, epoch: epoch, now: now)
        case .retransmittedHandshake(let fragment):
            // The peer retransmits (part of) its plaintext flight: we may need to answer it.
            guard let fragments = try? DTLSHandshakeFragment.parseAll(fragment) else {
                statistics.recordsDroppedMalformed += 1
                return
            }
            for f in fragments where f.messageSeq < inbox.nextReceiveSeq { peerRepeated(seq: f.messageSeq) }
        case .held:
            break
        case .droppedReplay:
            statistics.recordsDroppedReplay += 1
        case .droppedBadMAC:
            statistics.recordsDroppedBadMAC += 1
        case .droppedWrongEpoch:
            statistics.recordsDroppedWrongEpoch += 1
        }
    }

    private mutating func dispatch(type: UInt8, plaintext: [UInt8], epoch: UInt16, now: NIODeadline) {
        switch DTLSContentType(rawValue: type) {
        case .handshake:
            let fragments: [DTLSHandshakeFragment]
            do { fragments = try DTLSHandshakeFragment.parseAll(plaintext) } catch {
                statistics.recordsDroppedMalformed += 1
                return
            }
            for f in fragments {
                handle(fragment: f, epoch: epoch, now: now)
                if !isOpen { return }
            }
        case .changeCipherSpec:
            guard plaintext == [1] else { statistics.recordsDroppedMalformed += 1; return }
            handleChangeCipherSpec(now: now)
        case .alert:
            guard plaintext.count == 2 else { statistics.recordsDroppedMalformed += 1; return }
            handleAlert(level: plaintext[0], description: plaintext[1])
        case .applicationData:
            guard state == .connected, epoch >= 1 else { statistics.recordsDroppedUnexpected += 1; return }
            statistics.applicationRecordsReceived += 1
            events.append(.applicationData(ByteBuffer(bytes: plaintext)))
        case nil:
            statistics.recordsDroppedMalformed += 1
        }
    }

    private mutating func handleAlert(level: UInt8, description: UInt8) {
        if description == DTLSAlert.closeNotify {
            if !closeNotifySent {
                records.writeAlert(level: DTLSAlert.warning, description: DTLSAlert.closeNotify)
                closeNotifySent = true
            }
            state = .closed
            flights.stop()
            events.append(.closed)
        } else if level == DTLSAlert.fatal {
            state = .failed
            flights.stop()
            events.append(.failed(.alertReceived(level: level, description: description)))
        } else {
            events.append(.alert(level: level, description: description))
        }
    }

    private mutating func handleChangeCipherSpec(now: NIODeadline) {
        guard handshake.awaitsChangeCipherSpec, records.hasPendingReadKeys else {
            statistics.recordsDroppedUnexpected += 1
            return
        }
        let early = records.activatePendingReadKeys()
        handshake.changeCipherSpecReceived()
        for r in early where isOpen { process(record: r, now: now) }
    }

    // MARK: - Handshake messages in

    private mutating func handle(fragment f: DTLSHandshakeFragment, epoch: UInt16, now: NIODeadline) {
        if handshake.restartsPeerSequence(type: f.messageType), f.messageSeq != inbox.nextReceiveSeq {
            // A (re)started handshake: the ClientHello sets the receive sequence (RFC 6347 §4.2.2).
            inbox.restart(at: f.messageSeq)
        }
        switch inbox.add(f, epoch: epoch) {
        case .accepted: break
        case .old: peerRepeated(seq: f.messageSeq); return
        case .unexpected: statistics.recordsDroppedUnexpected += 1; return
        case .malformed: statistics.recordsDroppedMalformed += 1; return
        }
        while let m = inbox.nextMessage() {
            do {
                try process(message: m.type, seq: m.seq, body: m.body, epoch: m.epoch, now: now)
            } catch let error as DTLSError {
                fail(error, sendAlert: true)
            } catch {
                fail(.cryptoFailure("\(error)"), sendAlert: true)
            }
            if !isOpen { return }
        }
    }

    /// A message of the peer's flight we already processed arrived again: if it belongs to the
    /// flight before our last one, the peer lost our flight, so we send it again (RFC 6347 §4.2.4).
    private mutating func peerRepeated(seq: UInt16) {
        guard flights.peerRepeated(seq: seq) else { return }
        statistics.triggeredRetransmissions += 1
        flights.transmit(into: &records)
    }

    private mutating func process(message type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16, now: NIODeadline) throws {
        guard let kind = DTLSHandshakeType(rawValue: type) else { throw DTLSError.unexpectedMessage("handshake type \(type)") }
        if handshake.isDone {
            // Renegotiation is not supported (RFC 5746 §4.2 allows refusing it).
            records.writeAlert(level: DTLSAlert.warning, description: DTLSAlert.noRenegotiation)
            return
        }
        guard (kind == .finished) == (epoch == 1) else {
            throw DTLSError.unexpectedMessage("\(kind) in epoch \(epoch)")
        }
        perform(try handshake.process(kind, seq: seq, body: body, now: now), now: now)
    }

    /// Carries out what the handshake asked for, in order.
    private mutating func perform(_ actions: [DTLSHandshakeAction], now: NIODeadline) {
        for action in actions {
            switch action {
            case .started:
                flights.handshakeStarted(now: now)
            case .installKeys(let write, let read):
                records.install(write: write, read: read)
            case .flight(let flight, let expectsReply):
                flights.start(flight, peerNextSeq: inbox.nextReceiveSeq, expectsReply: expectsReply, now: now)
                flights.transmit(into: &records)
            case .statelessReply(let item):
                item.write(into: &records)
            case .expectMessageSeq(let seq):
                inbox.expect(seq)
            case .completed(let info):
                complete(info)
            }
        }
    }

    private mutating func complete(_ info: DTLSHandshakeInfo?) {
        state = .connected
        flights.stop()
        inbox.clear()
        records.discardFutureRecords()
        guard let info else { return }
        handshakeInfo = info
        events.append(.handshakeCompleted(info))
    }

    private mutating func fail(_ error: DTLSError, sendAlert alert: Bool) {
        guard isOpen else { return }
        if alert { records.writeAlert(level: DTLSAlert.fatal, description: error.alertDescription) }
        state = .failed
        flights.stop()
        events.append(.failed(error))
    }
}
