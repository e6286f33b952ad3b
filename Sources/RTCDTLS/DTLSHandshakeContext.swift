import Crypto
import NIOCore
import RTCCore

/// What a handshake step asks the connection to do, in order.
enum DTLSHandshakeAction {
    /// The handshake (re)started now: the overall handshake deadline runs from here.
    case started
    /// The epoch-1 keys are known (RFC 5246 §6.3).
    case installKeys(write: DTLSRecordProtection, read: DTLSRecordProtection)
    /// Send a new flight and remember it for retransmission (RFC 6347 §4.2.4).
    case flight([DTLSFlightItem], expectsReply: Bool)
    /// Send one message without remembering it (the stateless HelloVerifyRequest, RFC 6347 §4.2.1).
    case statelessReply(DTLSFlightItem)
    /// The next message expected from the peer carries this sequence number.
    case expectMessageSeq(UInt16)
    /// The handshake finished (with what it negotiated).
    case completed(DTLSHandshakeInfo?)
}

/// A role's handshake state machine (RFC 6347 §4.2, RFC 5246 §7.3): it consumes whole,
/// in-order handshake messages and answers with actions for the connection.
protocol DTLSHandshake {
    /// What both roles share: negotiated parameters, transcript, secrets.
    var context: DTLSHandshakeContext { get }
    /// `true` once the handshake finished.
    var isDone: Bool { get }
    /// `true` while the peer's ChangeCipherSpec is the next thing expected.
    var awaitsChangeCipherSpec: Bool { get }
    /// `true` once our Finished went out and the peer's has not yet come (the client's wait
    /// for the server's last flight).
    var awaitsPeerFinished: Bool { get }
    /// `true` if a message of `type` that does not carry the expected sequence number restarts
    /// the peer's sequence numbering (a server's new ClientHello, RFC 6347 §4.2.2).
    func restartsPeerSequence(type: UInt8) -> Bool
    /// Client: the first flight. A server does nothing.
    mutating func start(now: NIODeadline) -> [DTLSHandshakeAction]
    /// The peer's ChangeCipherSpec arrived (checked with `awaitsChangeCipherSpec`).
    mutating func changeCipherSpecReceived()
    /// Processes one reassembled handshake message with sequence number `seq`.
    mutating func process(_ type: DTLSHandshakeType, seq: UInt16, body: [UInt8], now: NIODeadline) throws -> [DTLSHandshakeAction]
    /// Client: makes the X25519 key share of the ClientKeyExchange ahead (see
    /// ``DTLSConnection/prepareKeyShare()``). A server does nothing.
    mutating func prepareKeyShare()
}

extension DTLSHandshake {
    mutating func prepareKeyShare() {}
}

/// What the client and server handshakes share: the negotiated parameters, the transcript,
/// the secrets, our message sequence numbers and the steps both roles take alike.
struct DTLSHandshakeContext {
    let role: DTLSRole
    let configuration: DTLSConfiguration
    var rng: any RandomNumberGenerator & Sendable

    var clientRandom: [UInt8] = []
    var serverRandom: [UInt8] = []
    var suite: DTLSCipherSuite?
    var group: DTLSNamedGroup?
    var srtpProfile: SRTPProtectionProfile?
    var useExtendedMasterSecret = false
    var ephemeral: EphemeralKey?
    /// An X25519 key pair made ahead by a client waiting for the server's flight; taken (once)
    /// by `makeEphemeral` if the server picks X25519.
    var preparedX25519: EphemeralKey?
    var peerPublicKey: [UInt8] = []
    var peerKey: DTLSPeerKey?
    var peerCertificate: [UInt8]?
    var transcript: [UInt8] = []
    var masterSecret: [UInt8] = []
    /// The sequence number of our next handshake message (RFC 6347 §4.2.2).
    var nextSendSeq: UInt16 = 0

    init(role: DTLSRole, configuration: DTLSConfiguration, rng: any RandomNumberGenerator & Sendable) {
        self.role = role
        self.configuration = configuration
        self.rng = rng
    }

    /// A fresh 32-byte hello random.
    mutating func makeRandom() -> [UInt8] { rng.bytes(32) }

    /// A fresh ephemeral key pair of `group`.
    mutating func makeEphemeral(_ group: DTLSNamedGroup) -> EphemeralKey {
        if group == .x25519, let prepared = preparedX25519 {
            preparedX25519 = nil
            return prepared
        }
        return EphemeralKey(group: group, rng: &rng)
    }

    /// Makes ``preparedX25519`` unless there is one, the key exchange is done, or X25519 is
    /// not offered.
    mutating func prepareX25519() {
        guard ephemeral == nil, preparedX25519 == nil, configuration.groups.contains(.x25519) else { return }
        preparedX25519 = EphemeralKey(group: .x25519, rng: &rng)
    }

    /// Adds a whole message (with its DTLS header, as unfragmented) to the transcript.
    mutating func appendTranscript(type: UInt8, seq: UInt16, body: [UInt8]) {
        transcript.reserveCapacity(transcript.count + body.count + 12)
        DTLSHandshakeFragment(messageType: type, length: body.count, messageSeq: seq, fragmentOffset: 0, body: body)
            .serialize(into: &transcript)
    }

    /// Our next message: takes a sequence number and enters the transcript.
    mutating func message(_ type: DTLSHandshakeType, _ body: [UInt8], epoch: UInt16 = 0) -> DTLSFlightItem {
        let seq = nextSendSeq
        nextSendSeq &+= 1
        appendTranscript(type: type.rawValue, seq: seq, body: body)
        return .handshake(type: type.rawValue, seq: seq, body: body, epoch: epoch)
    }

    /// Our Certificate message.
    var certificateBody: [UInt8] { DTLSCertificateMessage(certificates: [configuration.certificate.derBytes]).serialize() }

    /// The profiles of a use_srtp extension (RFC 5764 §4.1.1).
    static func parseSRTP(_ data: [UInt8]) throws -> [UInt16] {
        var r = DTLSReader(data, context: "use_srtp")
        let list = try r.vector16("SRTPProtectionProfiles")
        guard list.count % 2 == 0 else { throw r.error("SRTPProtectionProfiles length") }
        _ = try r.vector8("srtp_mki")
        try r.expectEnd("srtp_mki")
        return stride(from: 0, to: list.count, by: 2).map { UInt16(list[$0]) << 8 | UInt16(list[$0 + 1]) }
    }

    /// Checks the peer's certificate against the configured verification (RFC 8827 §6.5) and
    /// keeps its public key.
    mutating func processPeerCertificate(_ body: [UInt8]) throws {
        let message = try DTLSCertificateMessage(parsing: body)
        guard let leaf = message.certificates.first else {
            if role == .server && !configuration.requireClientCertificate { return }
            throw DTLSError.noCertificate
        }
        switch configuration.verification {
        case .fingerprints(let expected):
            guard expected.contains(where: { $0.matches(der: leaf) }) else {
                throw DTLSError.fingerprintMismatch(expected: expected, actual: CertificateFingerprint.sha256(of: leaf))
            }
        case .callback(let accept):
            guard accept(leaf) else { throw DTLSError.badCertificate("rejected by the verify callback") }
        case .acceptAny:
            break
        }
        peerKey = try DTLSPeerKey(certificateDER: leaf)
        peerCertificate = leaf
    }

    /// Signs with our certificate's key (ECDSA P-256, DER signature).
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try configuration.certificate.privateKey.signature(for: data).derRepresentation)
        } catch {
            throw DTLSError.cryptoFailure("ECDSA signing: \(error)")
        }
    }

    /// Computes the master secret (RFC 7627 §4 or RFC 5246 §8.1) and the epoch-1 keys
    /// (RFC 5246 §6.3); called right after the ClientKeyExchange entered the transcript.
    mutating func deriveKeys() throws -> DTLSHandshakeAction {
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
        return role == .client ? .installKeys(write: client, read: server) : .installKeys(write: server, read: client)
    }

    /// The Finished verify_data (RFC 5246 §7.4.9) over the transcript so far.
    func finishedData(label: String) -> [UInt8] {
        guard let suite else { return [] }
        return suite.prf(secret: masterSecret, label: label, seed: suite.transcriptHash(transcript), length: 12)
    }

    /// Checks the peer's Finished in constant time.
    func verifyFinished(_ body: [UInt8], label: String) throws {
        let expected = finishedData(label: label)
        guard body.count == 12, expected.count == 12 else { throw DTLSError.badFinished }
        var diff: UInt8 = 0
        for i in 0..<12 { diff |= body[i] ^ expected[i] }
        guard diff == 0 else { throw DTLSError.badFinished }
    }

    /// The completion action, with what was negotiated.
    var completion: DTLSHandshakeAction {
        guard let suite, let group else { return .completed(nil) }
        let cert = peerCertificate ?? []
        return .completed(DTLSHandshakeInfo(cipherSuite: suite, group: group, srtpProfile: srtpProfile,
                                             remoteFingerprint: .sha256(of: cert), remoteCertificate: cert,
                                             extendedMasterSecret: useExtendedMasterSecret))
    }

    /// The keying material exporter of RFC 5705 §4: PRF(master_secret, label,
    /// client_random ‖ server_random [‖ context_length ‖ context]).
    func exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) throws -> [UInt8] {
        guard let suite else { throw DTLSError.notConnected }
        var seed = clientRandom + serverRandom
        if let context {
            seed.put16(UInt16(truncatingIfNeeded: context.count))
            seed.append(contentsOf: context)
        }
        return suite.prf(secret: masterSecret, label: label, seed: seed, length: length)
    }
}
