import RTCCore
import Crypto
import Foundation
import NIOCore

/// A DTLS 1.2 association (RFC 6347) as a sans-IO state machine.
///
/// Feed it received datagrams with `handle(datagram:now:)` and expired timers with
/// `handleTimeout(now:)`; after each call drain `pollTransmit()` (datagrams to send),
/// `pollEvent()` (handshake completion, application data, alerts, failures) and read
/// `pollDeadline()` (when to call `handleTimeout` next). A client starts with
/// `startHandshake(now:)`. Nothing here reads a clock, touches a socket or sleeps.
public struct DTLSConnection {
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

    private var rng: any RandomNumberGenerator
    private let allocator = ByteBufferAllocator()

    // MARK: handshake state
    private enum Step: Equatable {
        case clientIdle, clientWaitHello, clientWaitCertificate, clientWaitKeyExchange, clientWaitDone
        case clientWaitChangeCipherSpec, clientWaitFinished
        case serverWaitHello, serverWaitCertificate, serverWaitKeyExchange, serverWaitCertificateVerify
        case serverWaitChangeCipherSpec, serverWaitFinished
        case done
    }

    private enum FlightItem {
        case handshake(type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16)
        case changeCipherSpec
    }

    private var step: Step
    private var clientRandom: [UInt8] = []
    private var serverRandom: [UInt8] = []
    private var clientHello: DTLSClientHello?
    private var suite: DTLSCipherSuite?
    private var group: DTLSNamedGroup?
    private var srtpProfile: SRTPProtectionProfile?
    private var useExtendedMasterSecret = false
    private var ephemeral: EphemeralKey?
    private var peerPublicKey: [UInt8] = []
    private var peerKey: DTLSPeerKey?
    private var peerCertificate: [UInt8]?
    private var certificateRequested = false
    private var transcript: [UInt8] = []
    private var masterSecret: [UInt8] = []
    private let cookieSecret: SymmetricKey

    private var nextSendSeq: UInt16 = 0
    private var nextReceiveSeq: UInt16 = 0
    private var peerFlightStartSeq: UInt16 = 0
    private var reassembly: [UInt16: DTLSReassembly] = [:]
    private var lastFlight: [FlightItem] = []
    private var retransmitDeadline: NIODeadline?
    private var currentTimeout: TimeAmount
    private var handshakeStart: NIODeadline?
    private var retransmittedInThisDatagram = false

    // MARK: record state
    private var readEpoch: UInt16 = 0
    private var readProtection: DTLSRecordProtection?
    private var pendingReadProtection: DTLSRecordProtection?
    private var replay: [DTLSReplayWindow] = [DTLSReplayWindow(), DTLSReplayWindow()]
    private var writeEpoch: UInt16 = 0
    private var writeProtection: DTLSRecordProtection?
    private var writeSequence: [UInt64] = [0, 0]
    private var futureRecords: [DTLSRecord] = []
    private var closeNotifySent = false

    // MARK: outputs
    private var datagrams: [ByteBuffer] = []
    private var datagramHead = 0
    private var current: ByteBuffer
    private var events: [DTLSEvent] = []
    private var eventHead = 0

    /// Creates a connection. `rng` supplies randoms, ephemeral keys and the cookie secret: pass
    /// `SystemRandomNumberGenerator()` in production, a seeded generator in tests.
    public init(role: DTLSRole, configuration: DTLSConfiguration, rng: some RandomNumberGenerator = SystemRandomNumberGenerator()) {
        self.role = role
        self.configuration = configuration
        var rng: any RandomNumberGenerator = rng
        self.cookieSecret = SymmetricKey(data: rng.bytes(32))
        self.rng = rng
        self.step = role == .client ? .clientIdle : .serverWaitHello
        self.currentTimeout = configuration.initialRetransmitTimeout
        self.current = ByteBufferAllocator().buffer(capacity: configuration.mtu)
    }

    // MARK: - Public API

    /// Client: sends the first ClientHello (RFC 6347 §4.2.1). Does nothing for a server or
    /// when already started.
    public mutating func startHandshake(now: NIODeadline) {
        guard role == .client, step == .clientIdle else { return }
        handshakeStart = now
        clientRandom = makeRandom()
        var extensions: [DTLSExtension] = []
        var groups: [UInt8] = []
        for g in configuration.groups { groups.put16(g.rawValue) }
        var groupsExt: [UInt8] = []
        groupsExt.putVector16(groups)
        extensions.append(DTLSExtension(type: DTLSExtensionType.supportedGroups, data: groupsExt))
        extensions.append(DTLSExtension(type: DTLSExtensionType.ecPointFormats, data: [1, 0]))
        var sigs: [UInt8] = []
        for s: UInt16 in [0x0403, 0x0503, 0x0603] { sigs.put16(s) }
        var sigExt: [UInt8] = []
        sigExt.putVector16(sigs)
        extensions.append(DTLSExtension(type: DTLSExtensionType.signatureAlgorithms, data: sigExt))
        if !configuration.srtpProfiles.isEmpty {
            var profiles: [UInt8] = []
            for p in configuration.srtpProfiles { profiles.put16(p.rawValue) }
            var srtp: [UInt8] = []
            srtp.putVector16(profiles)
            srtp.putVector8([])
            extensions.append(DTLSExtension(type: DTLSExtensionType.useSRTP, data: srtp))
        }
        extensions.append(DTLSExtension(type: DTLSExtensionType.extendedMasterSecret, data: []))
        extensions.append(DTLSExtension(type: DTLSExtensionType.renegotiationInfo, data: [0]))
        clientHello = DTLSClientHello(random: clientRandom, cipherSuites: configuration.cipherSuites.map(\.rawValue), extensions: extensions)
        step = .clientWaitHello
        sendClientHello(now: now)
        finishDatagram()
    }

    /// Processes one received datagram (RFC 6347 §4.1: it may hold several records).
    public mutating func handle(datagram: ByteBuffer, now: NIODeadline) {
        handle(bytes: Array(datagram.readableBytesView), now: now)
    }

    /// Processes one received datagram given as bytes.
    public mutating func handle(bytes: [UInt8], now: NIODeadline) {
        guard state == .handshaking || state == .connected else { return }
        retransmittedInThisDatagram = false
        var offset = 0
        while offset < bytes.count, state == .handshaking || state == .connected {
            let record: DTLSRecord
            do { record = try DTLSRecord.parse(bytes, offset: &offset) } catch {
                statistics.recordsDroppedMalformed += 1
                break
            }
            process(record: record, now: now)
        }
        finishDatagram()
    }

    /// Call when `pollDeadline()` has passed: retransmits the last flight with exponential
    /// back-off (RFC 6347 §4.2.4) or fails with `.handshakeTimeout` once the total handshake
    /// time is exceeded.
    public mutating func handleTimeout(now: NIODeadline) {
        guard state == .handshaking else { return }
        if let start = handshakeStart, now >= start + configuration.handshakeTimeout {
            fail(.handshakeTimeout, sendAlert: false)
            return
        }
        guard let deadline = retransmitDeadline, now >= deadline else { return }
        statistics.timeoutRetransmissions += 1
        let doubled = TimeAmount.nanoseconds(currentTimeout.nanoseconds &* 2)
        currentTimeout = doubled > configuration.maxRetransmitTimeout ? configuration.maxRetransmitTimeout : doubled
        retransmitDeadline = now + currentTimeout
        transmitLastFlight()
        finishDatagram()
    }

    /// The next datagram to send, or `nil` when there is none.
    public mutating func pollTransmit() -> ByteBuffer? {
        if datagramHead == datagrams.count { finishDatagram() }
        guard datagramHead < datagrams.count else {
            if !datagrams.isEmpty { datagrams.removeAll(keepingCapacity: true); datagramHead = 0 }
            return nil
        }
        defer { datagramHead += 1 }
        statistics.datagramsSent += 1
        return datagrams[datagramHead]
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

    /// When `handleTimeout(now:)` must be called next, or `nil` when no timer runs.
    public func pollDeadline() -> NIODeadline? {
        guard state == .handshaking else { return nil }
        let overall = handshakeStart.map { $0 + configuration.handshakeTimeout }
        switch (retransmitDeadline, overall) {
        case let (r?, o?): return min(r, o)
        case let (r?, nil): return r
        case let (nil, o?): return o
        default: return nil
        }
    }

    /// Protects and queues application data (RFC 5246 §10) as one record in its own datagram.
    public mutating func send(applicationData: ByteBuffer) throws {
        guard state == .connected, let protection = writeProtection else { throw DTLSError.notConnected }
        let count = applicationData.readableBytes
        guard count <= 16384 else { throw DTLSError.recordTooLarge(count) }
        finishDatagram()
        let seq = writeSequence[1]
        writeSequence[1] &+= 1
        writeHeader(type: DTLSContentType.applicationData.rawValue, epoch: 1, seq: seq, length: count + protection.suite.recordOverhead)
        try applicationData.withUnsafeReadableBytes { ptr in
            try protection.seal(ptr, plaintextCount: count, epoch: 1, sequence: seq, type: DTLSContentType.applicationData.rawValue,
                                version: DTLSRecord.version12, into: &current)
        }
        finishDatagram()
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and closes the association.
    public mutating func close() {
        guard state == .handshaking || state == .connected else { return }
        sendAlert(level: DTLSAlert.warning, description: DTLSAlert.closeNotify)
        closeNotifySent = true
        state = .closed
        retransmitDeadline = nil
        finishDatagram()
    }

    /// The keying material exporter of RFC 5705 §4: PRF(master_secret, label,
    /// client_random ‖ server_random [‖ context_length ‖ context]).
    public func exportKeyingMaterial(label: String, context: [UInt8]? = nil, length: Int) throws -> [UInt8] {
        guard state == .connected, let suite else { throw DTLSError.notConnected }
        var seed = clientRandom + serverRandom
        if let context {
            seed.put16(UInt16(truncatingIfNeeded: context.count))
            seed.append(contentsOf: context)
        }
        return suite.prf(secret: masterSecret, label: label, seed: seed, length: length)
    }

    /// The SRTP master keys and salts of the negotiated profile (RFC 5764 §4.2), split into
    /// this side's (local) and the peer's (remote) halves.
    public func srtpKeyingMaterial() throws -> DTLSSRTPKeyingMaterial {
        guard let profile = srtpProfile else { throw DTLSError.notConnected }
        let m = try exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: profile.keyingMaterialLength)
        let k = profile.keyLength, s = profile.saltLength
        let clientKey = Array(m[0..<k]), serverKey = Array(m[k..<(2 * k)])
        let clientSalt = Array(m[(2 * k)..<(2 * k + s)]), serverSalt = Array(m[(2 * k + s)..<(2 * k + 2 * s)])
        let isClient = role == .client
        return DTLSSRTPKeyingMaterial(profile: profile,
                                      localKey: isClient ? clientKey : serverKey, localSalt: isClient ? clientSalt : serverSalt,
                                      remoteKey: isClient ? serverKey : clientKey, remoteSalt: isClient ? serverSalt : clientSalt)
    }

    // MARK: - Records in

    private mutating func process(record: DTLSRecord, now: NIODeadline) {
        if record.epoch == readEpoch {
            let e = Int(record.epoch)
            guard replay[e].isFresh(record.sequenceNumber) else { statistics.recordsDroppedReplay += 1; return }
            let plaintext: [UInt8]
            if readEpoch == 0 {
                plaintext = record.fragment
            } else {
                guard let protection = readProtection,
                      let pt = protection.open(record.fragment[...], epoch: record.epoch, sequence: record.sequenceNumber,
                                               type: record.contentType, version: record.version) else {
                    statistics.recordsDroppedBadMAC += 1
                    return
                }
                plaintext = pt
            }
            replay[e].mark(record.sequenceNumber)
            dispatch(type: record.contentType, plaintext: plaintext, epoch: record.epoch, now: now)
        } else if record.epoch == readEpoch &+ 1, readEpoch == 0, state == .handshaking, futureRecords.count < 32 {
            // Records of the next epoch that overtook the ChangeCipherSpec (RFC 6347 §4.1).
            futureRecords.append(record)
        } else if record.epoch == 0, readEpoch == 1, record.contentType == DTLSContentType.handshake.rawValue {
            // The peer retransmits (part of) its plaintext flight: we may need to answer it.
            guard replay[0].isFresh(record.sequenceNumber) else { statistics.recordsDroppedReplay += 1; return }
            replay[0].mark(record.sequenceNumber)
            guard let fragments = try? DTLSHandshakeFragment.parseAll(record.fragment) else {
                statistics.recordsDroppedMalformed += 1
                return
            }
            for f in fragments where f.messageSeq < nextReceiveSeq { noteOldMessage(seq: f.messageSeq) }
        } else if record.epoch == 0, readEpoch == 1, record.contentType == DTLSContentType.changeCipherSpec.rawValue {
            return   // part of a retransmitted flight; harmless
        } else {
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
                if state != .handshaking && state != .connected { return }
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
            var buffer = allocator.buffer(capacity: plaintext.count)
            buffer.writeBytes(plaintext)
            events.append(.applicationData(buffer))
        case nil:
            statistics.recordsDroppedMalformed += 1
        }
    }

    private mutating func handleAlert(level: UInt8, description: UInt8) {
        if description == DTLSAlert.closeNotify {
            if !closeNotifySent {
                sendAlert(level: DTLSAlert.warning, description: DTLSAlert.closeNotify)
                closeNotifySent = true
            }
            state = .closed
            retransmitDeadline = nil
            events.append(.closed)
        } else if level == DTLSAlert.fatal {
            state = .failed
            retransmitDeadline = nil
            events.append(.failed(.alertReceived(level: level, description: description)))
        } else {
            events.append(.alert(level: level, description: description))
        }
    }

    private mutating func handleChangeCipherSpec(now: NIODeadline) {
        guard step == .clientWaitChangeCipherSpec || step == .serverWaitChangeCipherSpec,
              let pending = pendingReadProtection else {
            statistics.recordsDroppedUnexpected += 1
            return
        }
        readProtection = pending
        pendingReadProtection = nil
        readEpoch = 1
        step = step == .clientWaitChangeCipherSpec ? .clientWaitFinished : .serverWaitFinished
        let buffered = futureRecords
        futureRecords.removeAll()
        for r in buffered where state == .handshaking || state == .connected {
            process(record: r, now: now)
        }
    }

    // MARK: - Handshake messages in

    private mutating func handle(fragment f: DTLSHandshakeFragment, epoch: UInt16, now: NIODeadline) {
        if step == .serverWaitHello, f.messageType == DTLSHandshakeType.clientHello.rawValue, f.messageSeq != nextReceiveSeq {
            // A (re)started handshake: the ClientHello sets the receive sequence (RFC 6347 §4.2.2).
            reassembly.removeAll()
            nextReceiveSeq = f.messageSeq
        }
        if f.messageSeq < nextReceiveSeq {
            noteOldMessage(seq: f.messageSeq)
            return
        }
        guard f.messageSeq - nextReceiveSeq < 16, f.length <= 65536 else { statistics.recordsDroppedUnexpected += 1; return }
        var entry = reassembly[f.messageSeq] ?? DTLSReassembly(type: f.messageType, length: f.length, epoch: epoch)
        guard entry.epoch == epoch, entry.add(f) else { statistics.recordsDroppedMalformed += 1; return }
        reassembly[f.messageSeq] = entry
        while let m = reassembly[nextReceiveSeq], m.isComplete {
            reassembly[nextReceiveSeq] = nil
            let seq = nextReceiveSeq
            nextReceiveSeq &+= 1
            do {
                try process(message: m.messageType, seq: seq, body: m.body, epoch: m.epoch, now: now)
            } catch let error as DTLSError {
                fail(error, sendAlert: true)
            } catch {
                fail(.cryptoFailure("\(error)"), sendAlert: true)
            }
            if state != .handshaking && state != .connected { return }
        }
    }

    /// A message of the peer's flight we already processed arrived again: if it belongs to the
    /// flight before our last one, the peer lost our flight, so we send it again (RFC 6347 §4.2.4).
    private mutating func noteOldMessage(seq: UInt16) {
        guard seq < peerFlightStartSeq, !lastFlight.isEmpty, !retransmittedInThisDatagram else { return }
        retransmittedInThisDatagram = true
        statistics.triggeredRetransmissions += 1
        transmitLastFlight()
    }

    private func fullMessage(type: UInt8, seq: UInt16, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 12)
        DTLSHandshakeFragment(messageType: type, length: body.count, messageSeq: seq, fragmentOffset: 0, body: body).serialize(into: &out)
        return out
    }

    private mutating func appendTranscript(type: UInt8, seq: UInt16, body: [UInt8]) {
        transcript.append(contentsOf: fullMessage(type: type, seq: seq, body: body))
    }

    private mutating func process(message type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16, now: NIODeadline) throws {
        guard let kind = DTLSHandshakeType(rawValue: type) else { throw DTLSError.unexpectedMessage("handshake type \(type)") }
        if step == .done {
            // Renegotiation is not supported (RFC 5746 §4.2 allows refusing it).
            sendAlert(level: DTLSAlert.warning, description: DTLSAlert.noRenegotiation)
            return
        }
        guard (kind == .finished) == (epoch == 1) else {
            throw DTLSError.unexpectedMessage("\(kind) in epoch \(epoch)")
        }
        switch (step, kind) {
        case (.clientWaitHello, .helloVerifyRequest):
            let hvr = try DTLSHelloVerifyRequest(parsing: body)
            guard hvr.cookie.count <= 255 else { throw DTLSError.illegalParameter("cookie") }
            clientHello?.cookie = hvr.cookie
            transcript.removeAll()
            sendClientHello(now: now)
        case (.clientWaitHello, .serverHello):
            try clientProcessServerHello(body)
            appendTranscript(type: type, seq: seq, body: body)
            step = .clientWaitCertificate
        case (.clientWaitCertificate, .certificate):
            try processPeerCertificate(body)
            appendTranscript(type: type, seq: seq, body: body)
            step = .clientWaitKeyExchange
        case (.clientWaitKeyExchange, .serverKeyExchange):
            try clientProcessServerKeyExchange(body)
            appendTranscript(type: type, seq: seq, body: body)
            step = .clientWaitDone
        case (.clientWaitDone, .certificateRequest):
            let request = try DTLSCertificateRequest(parsing: body)
            guard request.certificateTypes.contains(64) else { throw DTLSError.illegalParameter("server does not accept ecdsa_sign certificates") }
            certificateRequested = true
            appendTranscript(type: type, seq: seq, body: body)
        case (.clientWaitDone, .serverHelloDone):
            guard body.isEmpty else { throw DTLSError.decodeError(reason: "ServerHelloDone: \(body.count) unexpected bytes at offset 0") }
            appendTranscript(type: type, seq: seq, body: body)
            try clientSendFinishedFlight(now: now)
            step = .clientWaitChangeCipherSpec
        case (.clientWaitFinished, .finished):
            try verifyFinished(body, label: "server finished")
            appendTranscript(type: type, seq: seq, body: body)
            complete()
        case (.serverWaitHello, .clientHello):
            try serverProcessClientHello(body, seq: seq, now: now)
        case (.serverWaitCertificate, .certificate):
            try processPeerCertificate(body)
            appendTranscript(type: type, seq: seq, body: body)
            step = .serverWaitKeyExchange
        case (.serverWaitKeyExchange, .clientKeyExchange):
            let cke = try DTLSClientKeyExchange(parsing: body)
            peerPublicKey = cke.publicKey
            appendTranscript(type: type, seq: seq, body: body)
            try deriveKeys()
            step = peerCertificate != nil ? .serverWaitCertificateVerify : .serverWaitChangeCipherSpec
        case (.serverWaitCertificateVerify, .certificateVerify):
            let cv = try DTLSCertificateVerify(parsing: body)
            guard let peerKey, peerKey.verify(signature: cv.signature, scheme: cv.signatureScheme, data: transcript) else {
                throw DTLSError.badSignature
            }
            appendTranscript(type: type, seq: seq, body: body)
            step = .serverWaitChangeCipherSpec
        case (.serverWaitFinished, .finished):
            try verifyFinished(body, label: "client finished")
            appendTranscript(type: type, seq: seq, body: body)
            try serverSendFinishedFlight(now: now)
            complete()
        default:
            throw DTLSError.unexpectedMessage("\(kind) while in \(step)")
        }
    }

    // MARK: - Client steps

    private mutating func sendClientHello(now: NIODeadline) {
        guard let hello = clientHello else { return }
        let body = hello.serialize()
        let seq = nextSendSeq
        nextSendSeq &+= 1
        appendTranscript(type: DTLSHandshakeType.clientHello.rawValue, seq: seq, body: body)
        startFlight([.handshake(type: DTLSHandshakeType.clientHello.rawValue, seq: seq, body: body, epoch: 0)], now: now, expectsReply: true)
    }

    private mutating func clientProcessServerHello(_ body: [UInt8]) throws {
        let hello = try DTLSServerHello(parsing: body)
        guard hello.version == DTLSRecord.version12 else { throw DTLSError.illegalParameter("server version \(hello.version)") }
        guard let chosen = DTLSCipherSuite(rawValue: hello.cipherSuite), configuration.cipherSuites.contains(chosen) else {
            throw DTLSError.noSharedCipherSuite
        }
        guard hello.compressionMethod == 0 else { throw DTLSError.illegalParameter("compression method") }
        suite = chosen
        serverRandom = hello.random
        useExtendedMasterSecret = hello.extensions.first(DTLSExtensionType.extendedMasterSecret) != nil
        if !useExtendedMasterSecret && configuration.requireExtendedMasterSecret { throw DTLSError.extendedMasterSecretRequired }
        if let reneg = hello.extensions.first(DTLSExtensionType.renegotiationInfo), reneg.data != [0] {
            throw DTLSError.illegalParameter("renegotiation_info")
        }
        if let srtp = hello.extensions.first(DTLSExtensionType.useSRTP) {
            let offered = try Self.parseSRTP(srtp.data)
            guard offered.count == 1, let p = SRTPProtectionProfile(rawValue: offered[0]), configuration.srtpProfiles.contains(p) else {
                throw DTLSError.illegalParameter("use_srtp profile")
            }
            srtpProfile = p
        }
    }

    private mutating func clientProcessServerKeyExchange(_ body: [UInt8]) throws {
        let ske = try DTLSServerKeyExchange(parsing: body)
        guard let g = DTLSNamedGroup(rawValue: ske.namedGroup), configuration.groups.contains(g) else { throw DTLSError.noSharedGroup }
        guard let peerKey, peerKey.verify(signature: ske.signature, scheme: ske.signatureScheme,
                                          data: clientRandom + serverRandom + ske.params) else {
            throw DTLSError.badSignature
        }
        group = g
        peerPublicKey = ske.publicKey
        ephemeral = EphemeralKey(group: g, rng: &rng)
    }

    private mutating func clientSendFinishedFlight(now: NIODeadline) throws {
        guard let ephemeral else { throw DTLSError.unexpectedMessage("ServerHelloDone before ServerKeyExchange") }
        var flight: [FlightItem] = []
        func add(_ type: DTLSHandshakeType, _ body: [UInt8], epoch: UInt16 = 0) {
            let seq = nextSendSeq
            nextSendSeq &+= 1
            appendTranscript(type: type.rawValue, seq: seq, body: body)
            flight.append(.handshake(type: type.rawValue, seq: seq, body: body, epoch: epoch))
        }
        if certificateRequested {
            add(.certificate, DTLSCertificateMessage(certificates: [configuration.certificate.derBytes]).serialize())
        }
        add(.clientKeyExchange, DTLSClientKeyExchange(publicKey: ephemeral.publicBytes).serialize())
        try deriveKeys()
        if certificateRequested {
            let signature = try sign(transcript)
            add(.certificateVerify, DTLSCertificateVerify(signatureScheme: 0x0403, signature: signature).serialize())
        }
        flight.append(.changeCipherSpec)
        add(.finished, finishedData(label: "client finished"), epoch: 1)
        startFlight(flight, now: now, expectsReply: true)
    }

    // MARK: - Server steps

    private func cookie(for hello: DTLSClientHello) -> [UInt8] {
        var mac = HMAC<SHA256>(key: cookieSecret)
        mac.update(data: hello.random)
        mac.update(data: hello.sessionID)
        var suites: [UInt8] = []
        for s in hello.cipherSuites { suites.put16(s) }
        mac.update(data: suites)
        return Array(mac.finalize())
    }

    private mutating func serverProcessClientHello(_ body: [UInt8], seq: UInt16, now: NIODeadline) throws {
        let hello = try DTLSClientHello(parsing: body)
        if configuration.cookieExchange {
            let expected = cookie(for: hello)
            guard hello.cookie == expected else {
                // Stateless HelloVerifyRequest (RFC 6347 §4.2.1); not part of the transcript.
                let hvr = DTLSHelloVerifyRequest(cookie: expected).serialize()
                emitHandshake(type: DTLSHandshakeType.helloVerifyRequest.rawValue, seq: seq, body: hvr, epoch: 0)
                nextReceiveSeq = seq   // the next ClientHello may reuse or follow this sequence
                return
            }
        }
        guard hello.version <= DTLSRecord.version12 else { throw DTLSError.illegalParameter("client version \(hello.version)") }
        guard hello.compressionMethods.contains(0) else { throw DTLSError.illegalParameter("no null compression") }
        guard let chosen = configuration.cipherSuites.first(where: { hello.cipherSuites.contains($0.rawValue) }) else {
            throw DTLSError.noSharedCipherSuite
        }
        var offeredGroups: [UInt16] = [DTLSNamedGroup.secp256r1.rawValue]
        if let ext = hello.extensions.first(DTLSExtensionType.supportedGroups) {
            var r = DTLSReader(ext.data, context: "supported_groups")
            let list = try r.vector16("named_group_list")
            guard list.count % 2 == 0 else { throw r.error("named_group_list length") }
            offeredGroups = stride(from: 0, to: list.count, by: 2).map { UInt16(list[$0]) << 8 | UInt16(list[$0 + 1]) }
        }
        guard let g = configuration.groups.first(where: { offeredGroups.contains($0.rawValue) }) else { throw DTLSError.noSharedGroup }
        useExtendedMasterSecret = hello.extensions.first(DTLSExtensionType.extendedMasterSecret) != nil
        if !useExtendedMasterSecret && configuration.requireExtendedMasterSecret { throw DTLSError.extendedMasterSecretRequired }
        if let srtp = hello.extensions.first(DTLSExtensionType.useSRTP) {
            let offered = try Self.parseSRTP(srtp.data)
            srtpProfile = configuration.srtpProfiles.first { offered.contains($0.rawValue) }
        }
        let secureRenegotiation = hello.extensions.first(DTLSExtensionType.renegotiationInfo) != nil || hello.cipherSuites.contains(0x00FF)

        handshakeStart = now
        suite = chosen
        group = g
        clientRandom = hello.random
        serverRandom = makeRandom()
        ephemeral = EphemeralKey(group: g, rng: &rng)
        nextSendSeq = seq   // our first message answers the ClientHello's sequence (RFC 6347 §4.2.2)
        transcript.removeAll()
        appendTranscript(type: DTLSHandshakeType.clientHello.rawValue, seq: seq, body: body)

        var extensions: [DTLSExtension] = []
        if secureRenegotiation { extensions.append(DTLSExtension(type: DTLSExtensionType.renegotiationInfo, data: [0])) }
        if useExtendedMasterSecret { extensions.append(DTLSExtension(type: DTLSExtensionType.extendedMasterSecret, data: [])) }
        if let p = srtpProfile {
            var data: [UInt8] = []
            data.put16(2)
            data.put16(p.rawValue)
            data.putVector8([])
            extensions.append(DTLSExtension(type: DTLSExtensionType.useSRTP, data: data))
        }
        if hello.extensions.first(DTLSExtensionType.ecPointFormats) != nil {
            extensions.append(DTLSExtension(type: DTLSExtensionType.ecPointFormats, data: [1, 0]))
        }

        var flight: [FlightItem] = []
        func add(_ type: DTLSHandshakeType, _ body: [UInt8]) {
            let s = nextSendSeq
            nextSendSeq &+= 1
            appendTranscript(type: type.rawValue, seq: s, body: body)
            flight.append(.handshake(type: type.rawValue, seq: s, body: body, epoch: 0))
        }
        add(.serverHello, DTLSServerHello(random: serverRandom, sessionID: [], cipherSuite: chosen.rawValue, extensions: extensions).serialize())
        add(.certificate, DTLSCertificateMessage(certificates: [configuration.certificate.derBytes]).serialize())
        var ske = DTLSServerKeyExchange(namedGroup: g.rawValue, publicKey: ephemeral!.publicBytes, signatureScheme: 0x0403, signature: [])
        ske.signature = try sign(clientRandom + serverRandom + ske.params)
        add(.serverKeyExchange, ske.serialize())
        if configuration.requireClientCertificate {
            add(.certificateRequest, DTLSCertificateRequest(certificateTypes: [64], signatureSchemes: [0x0403, 0x0503, 0x0603]).serialize())
        }
        add(.serverHelloDone, [])
        step = configuration.requireClientCertificate ? .serverWaitCertificate : .serverWaitKeyExchange
        startFlight(flight, now: now, expectsReply: true)
    }

    private mutating func serverSendFinishedFlight(now: NIODeadline) throws {
        let seq = nextSendSeq
        nextSendSeq &+= 1
        let body = finishedData(label: "server finished")
        appendTranscript(type: DTLSHandshakeType.finished.rawValue, seq: seq, body: body)
        startFlight([.changeCipherSpec, .handshake(type: DTLSHandshakeType.finished.rawValue, seq: seq, body: body, epoch: 1)],
                    now: now, expectsReply: false)
    }

    // MARK: - Shared steps

    private static func parseSRTP(_ data: [UInt8]) throws -> [UInt16] {
        var r = DTLSReader(data, context: "use_srtp")
        let list = try r.vector16("SRTPProtectionProfiles")
        guard list.count % 2 == 0 else { throw r.error("SRTPProtectionProfiles length") }
        _ = try r.vector8("srtp_mki")
        try r.expectEnd("srtp_mki")
        return stride(from: 0, to: list.count, by: 2).map { UInt16(list[$0]) << 8 | UInt16(list[$0 + 1]) }
    }

    private mutating func processPeerCertificate(_ body: [UInt8]) throws {
        let message = try DTLSCertificateMessage(parsing: body)
        guard let leaf = message.certificates.first else {
            if role == .server && !configuration.requireClientCertificate { return }
            throw DTLSError.noCertificate
        }
        let actual = CertificateFingerprint.sha256(of: leaf)
        switch configuration.verification {
        case .fingerprints(let expected):
            guard expected.contains(where: { $0.matches(der: leaf) }) else {
                throw DTLSError.fingerprintMismatch(expected: expected, actual: actual)
            }
        case .callback(let accept):
            guard accept(leaf) else { throw DTLSError.badCertificate("rejected by the verify callback") }
        case .acceptAny:
            break
        }
        peerKey = try DTLSPeerKey(certificateDER: leaf)
        peerCertificate = leaf
    }

    private func sign(_ data: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try configuration.certificate.privateKey.signature(for: data).derRepresentation)
        } catch {
            throw DTLSError.cryptoFailure("ECDSA signing: \(error)")
        }
    }

    /// Computes the master secret (RFC 7627 §4 or RFC 5246 §8.1) and the epoch-1 keys
    /// (RFC 5246 §6.3); called right after the ClientKeyExchange entered the transcript.
    private mutating func deriveKeys() throws {
        guard let suite, let ephemeral else { throw DTLSError.unexpectedMessage("key exchange before hello") }
        let premaster = try ephemeral.sharedSecret(with: peerPublicKey)
        if useExtendedMasterSecret {
            masterSecret = suite.prf(secret: premaster, label: "extended master secret", seed: suite.transcriptHash(transcript), length: 48)
        } else {
            masterSecret = suite.prf(secret: premaster, label: "master secret", seed: clientRandom + serverRandom, length: 48)
        }
        let k = suite.keyLength, iv = suite.fixedIVLength
        let block = suite.prf(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom, length: 2 * (k + iv))
        let client = DTLSRecordProtection(suite: suite, key: Array(block[0..<k]), fixedIV: Array(block[(2 * k)..<(2 * k + iv)]))
        let server = DTLSRecordProtection(suite: suite, key: Array(block[k..<(2 * k)]), fixedIV: Array(block[(2 * k + iv)..<(2 * k + 2 * iv)]))
        writeProtection = role == .client ? client : server
        pendingReadProtection = role == .client ? server : client
    }

    private func finishedData(label: String) -> [UInt8] {
        guard let suite else { return [] }
        return suite.prf(secret: masterSecret, label: label, seed: suite.transcriptHash(transcript), length: 12)
    }

    private func verifyFinished(_ body: [UInt8], label: String) throws {
        let expected = finishedData(label: label)
        guard body.count == 12, Self.constantTimeEqual(body, expected) else { throw DTLSError.badFinished }
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    private mutating func complete() {
        step = .done
        state = .connected
        retransmitDeadline = nil
        reassembly.removeAll()
        futureRecords.removeAll()
        guard let suite, let group else { return }
        let cert = peerCertificate ?? []
        let info = DTLSHandshakeInfo(cipherSuite: suite, group: group, srtpProfile: srtpProfile,
                                     remoteFingerprint: .sha256(of: cert), remoteCertificate: cert,
                                     extendedMasterSecret: useExtendedMasterSecret)
        handshakeInfo = info
        events.append(.handshakeCompleted(info))
    }

    private mutating func fail(_ error: DTLSError, sendAlert alert: Bool) {
        guard state == .handshaking || state == .connected else { return }
        if alert { sendAlert(level: DTLSAlert.fatal, description: error.alertDescription) }
        state = .failed
        retransmitDeadline = nil
        events.append(.failed(error))
    }

    private mutating func makeRandom() -> [UInt8] { rng.bytes(32) }

    // MARK: - Records out

    private mutating func startFlight(_ flight: [FlightItem], now: NIODeadline, expectsReply: Bool) {
        lastFlight = flight
        peerFlightStartSeq = nextReceiveSeq
        currentTimeout = configuration.initialRetransmitTimeout
        retransmitDeadline = expectsReply ? now + currentTimeout : nil
        transmitLastFlight()
    }

    private mutating func transmitLastFlight() {
        for item in lastFlight {
            switch item {
            case .handshake(let type, let seq, let body, let epoch):
                emitHandshake(type: type, seq: seq, body: body, epoch: epoch)
            case .changeCipherSpec:
                emitRecord(type: DTLSContentType.changeCipherSpec.rawValue, epoch: 0, plaintext: [1])
                writeEpoch = 1
            }
        }
    }

    /// Fragments a handshake message into records that fit the MTU (RFC 6347 §4.2.3), filling
    /// the datagram being built before starting a new one.
    private mutating func emitHandshake(type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16) {
        let overhead = DTLSRecord.headerLength + DTLSHandshakeFragment.headerLength + (epoch > 0 ? (suite?.recordOverhead ?? 0) : 0)
        let mtu = max(configuration.mtu, overhead + 32)
        var offset = 0
        repeat {
            var room = mtu - current.readableBytes - overhead
            if room < 32 || (room < body.count - offset && room < 128) {
                finishDatagram()
                room = mtu - overhead
            }
            let n = min(room, body.count - offset)
            var fragment: [UInt8] = []
            fragment.reserveCapacity(n + 12)
            DTLSHandshakeFragment(messageType: type, length: body.count, messageSeq: seq, fragmentOffset: offset,
                                  body: Array(body[offset..<(offset + n)])).serialize(into: &fragment)
            emitRecord(type: DTLSContentType.handshake.rawValue, epoch: epoch, plaintext: fragment)
            offset += n
        } while offset < body.count
    }

    private mutating func sendAlert(level: UInt8, description: UInt8) {
        emitRecord(type: DTLSContentType.alert.rawValue, epoch: writeEpoch, plaintext: [level, description])
        finishDatagram()
    }

    private mutating func writeHeader(type: UInt8, epoch: UInt16, seq: UInt64, length: Int) {
        current.writeInteger(type)
        current.writeInteger(DTLSRecord.version12)
        current.writeInteger(epoch)
        current.writeInteger(UInt16(truncatingIfNeeded: seq >> 32))
        current.writeInteger(UInt32(truncatingIfNeeded: seq))
        current.writeInteger(UInt16(truncatingIfNeeded: length))
    }

    private mutating func emitRecord(type: UInt8, epoch: UInt16, plaintext: [UInt8]) {
        let protection = epoch > 0 ? writeProtection : nil
        let length = plaintext.count + (protection?.suite.recordOverhead ?? 0)
        if current.readableBytes > 0, current.readableBytes + DTLSRecord.headerLength + length > configuration.mtu {
            finishDatagram()
        }
        let e = Int(min(epoch, 1))
        let seq = writeSequence[e]
        writeSequence[e] &+= 1
        writeHeader(type: type, epoch: epoch, seq: seq, length: length)
        if let protection {
            do {
                try protection.seal(plaintext, plaintextCount: plaintext.count, epoch: epoch, sequence: seq, type: type,
                                    version: DTLSRecord.version12, into: &current)
            } catch {
                // AES-GCM / ChaCha20 sealing with valid sizes cannot fail; drop the record if it does.
                current.moveWriterIndex(to: current.writerIndex - DTLSRecord.headerLength)
            }
        } else {
            current.writeBytes(plaintext)
        }
    }

    private mutating func finishDatagram() {
        guard current.readableBytes > 0 else { return }
        datagrams.append(current)
        current = allocator.buffer(capacity: configuration.mtu)
    }
}

/// SRTP master keys and salts for both directions, from the exporter (RFC 5764 §4.2).
public struct DTLSSRTPKeyingMaterial: Sendable, Equatable {
    /// The negotiated protection profile.
    public var profile: SRTPProtectionProfile
    /// Master key protecting what we send.
    public var localKey: [UInt8]
    /// Master salt for what we send.
    public var localSalt: [UInt8]
    /// Master key protecting what the peer sends.
    public var remoteKey: [UInt8]
    /// Master salt for what the peer sends.
    public var remoteSalt: [UInt8]
}

/// An ephemeral ECDHE key pair (RFC 8422 §5.10).
enum EphemeralKey {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case p256(P256.KeyAgreement.PrivateKey)

    init(group: DTLSNamedGroup, rng: inout any RandomNumberGenerator) {
        switch group {
        case .x25519:
            let key = (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rng.bytes(32))) ?? Curve25519.KeyAgreement.PrivateKey()
            self = .x25519(key)
        case .secp256r1:
            for _ in 0..<8 {
                if let key = try? P256.KeyAgreement.PrivateKey(rawRepresentation: rng.bytes(32)) { self = .p256(key); return }
            }
            self = .p256(P256.KeyAgreement.PrivateKey())
        }
    }

    /// The public value as sent on the wire (uncompressed point for P-256, RFC 8422 §5.4.1).
    var publicBytes: [UInt8] {
        switch self {
        case .x25519(let k): return Array(k.publicKey.rawRepresentation)
        case .p256(let k): return Array(k.publicKey.x963Representation)
        }
    }

    /// The ECDH shared secret used as pre-master secret (RFC 8422 §5.10).
    func sharedSecret(with peer: [UInt8]) throws -> [UInt8] {
        do {
            switch self {
            case .x25519(let k):
                guard peer.count == 32 else { throw DTLSError.illegalParameter("X25519 public key length \(peer.count)") }
                let secret = try k.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer))
                let bytes = secret.withUnsafeBytes { Array($0) }
                guard bytes.contains(where: { $0 != 0 }) else { throw DTLSError.illegalParameter("X25519 all-zero shared secret") }
                return bytes
            case .p256(let k):
                guard peer.count == 65, peer.first == 4 else { throw DTLSError.illegalParameter("P-256 point encoding") }
                let secret = try k.sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: peer))
                return secret.withUnsafeBytes { Array($0) }
            }
        } catch let error as DTLSError {
            throw error
        } catch {
            throw DTLSError.illegalParameter("peer ECDHE public key: \(error)")
        }
    }
}
