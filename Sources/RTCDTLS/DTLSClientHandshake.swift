import NIOCore
import RTCCore

/// The client's handshake state machine (RFC 6347 §4.2, RFC 5246 §7.3): ClientHello (again
/// with the cookie after a HelloVerifyRequest), then the server's flight, then our
/// [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec Finished, then the
/// server's ChangeCipherSpec and Finished.
struct DTLSClientHandshake: DTLSHandshake {
    private enum Step: Equatable {
        case idle, waitHello, waitCertificate, waitKeyExchange, waitDone, waitChangeCipherSpec, waitFinished, done
    }

    private(set) var context: DTLSHandshakeContext
    private var step = Step.idle
    private var clientHello: DTLSClientHello?
    private var certificateRequested = false

    init(configuration: DTLSConfiguration, rng: any RandomNumberGenerator & Sendable) {
        context = DTLSHandshakeContext(role: .client, configuration: configuration, rng: rng)
    }

    var isDone: Bool { step == .done }
    var awaitsChangeCipherSpec: Bool { step == .waitChangeCipherSpec }
    var awaitsPeerFinished: Bool { step == .waitChangeCipherSpec || step == .waitFinished }
    func restartsPeerSequence(type: UInt8) -> Bool { false }

    mutating func changeCipherSpecReceived() { step = .waitFinished }

    mutating func start(now: NIODeadline) -> [DTLSHandshakeAction] {
        guard step == .idle else { return [] }
        let configuration = context.configuration
        context.clientRandom = context.makeRandom()
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
        clientHello = DTLSClientHello(random: context.clientRandom, cipherSuites: configuration.cipherSuites.map(\.rawValue),
                                      extensions: extensions)
        step = .waitHello
        return [.started, helloFlight()]
    }

    mutating func process(_ kind: DTLSHandshakeType, seq: UInt16, body: [UInt8], now: NIODeadline) throws -> [DTLSHandshakeAction] {
        switch (step, kind) {
        case (.waitHello, .helloVerifyRequest):
            let hvr = try DTLSHelloVerifyRequest(parsing: body)
            guard hvr.cookie.count <= 255 else { throw DTLSError.illegalParameter("cookie") }
            clientHello?.cookie = hvr.cookie
            context.transcript.removeAll()
            return [helloFlight()]
        case (.waitHello, .serverHello):
            try processServerHello(body)
            step = .waitCertificate
        case (.waitCertificate, .certificate):
            try context.processPeerCertificate(body)
            step = .waitKeyExchange
        case (.waitKeyExchange, .serverKeyExchange):
            try processServerKeyExchange(body)
            step = .waitDone
        case (.waitDone, .certificateRequest):
            let request = try DTLSCertificateRequest(parsing: body)
            guard request.certificateTypes.contains(64) else { throw DTLSError.illegalParameter("server does not accept ecdsa_sign certificates") }
            certificateRequested = true
        case (.waitDone, .serverHelloDone):
            guard body.isEmpty else { throw DTLSError.decodeError(reason: "ServerHelloDone: \(body.count) unexpected bytes at offset 0") }
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            let actions = try finishedFlight()
            step = .waitChangeCipherSpec
            return actions
        case (.waitFinished, .finished):
            try context.verifyFinished(body, label: "server finished")
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            step = .done
            return [context.completion]
        default:
            throw DTLSError.unexpectedMessage("\(kind) while in client step \(step)")
        }
        context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
        return []
    }

    /// The (first or cookie-carrying) ClientHello as a flight of its own.
    private mutating func helloFlight() -> DTLSHandshakeAction {
        let body = clientHello?.serialize() ?? []
        return .flight([context.message(.clientHello, body)], expectsReply: true)
    }

    private mutating func processServerHello(_ body: [UInt8]) throws {
        let configuration = context.configuration
        let hello = try DTLSServerHello(parsing: body)
        guard hello.version == DTLSRecord.version12 else { throw DTLSError.illegalParameter("server version \(hello.version)") }
        guard let chosen = DTLSCipherSuite(rawValue: hello.cipherSuite), configuration.cipherSuites.contains(chosen) else {
            throw DTLSError.noSharedCipherSuite
        }
        guard hello.compressionMethod == 0 else { throw DTLSError.illegalParameter("compression method") }
        context.suite = chosen
        context.serverRandom = hello.random
        context.useExtendedMasterSecret = hello.extensions.first(DTLSExtensionType.extendedMasterSecret) != nil
        if !context.useExtendedMasterSecret && configuration.requireExtendedMasterSecret { throw DTLSError.extendedMasterSecretRequired }
        if let reneg = hello.extensions.first(DTLSExtensionType.renegotiationInfo), reneg.data != [0] {
            throw DTLSError.illegalParameter("renegotiation_info")
        }
        if let srtp = hello.extensions.first(DTLSExtensionType.useSRTP) {
            let offered = try DTLSHandshakeContext.parseSRTP(srtp.data)
            guard offered.count == 1, let p = SRTPProtectionProfile(rawValue: offered[0]), configuration.srtpProfiles.contains(p) else {
                throw DTLSError.illegalParameter("use_srtp profile")
            }
            context.srtpProfile = p
        }
    }

    mutating func prepareKeyShare() {
        context.prepareX25519()
    }

    private mutating func processServerKeyExchange(_ body: [UInt8]) throws {
        let ske = try DTLSServerKeyExchange(parsing: body)
        guard let g = DTLSNamedGroup(rawValue: ske.namedGroup), context.configuration.groups.contains(g) else { throw DTLSError.noSharedGroup }
        guard let peerKey = context.peerKey,
              peerKey.verify(signature: ske.signature, scheme: ske.signatureScheme,
                             data: context.clientRandom + context.serverRandom + ske.params) else {
            throw DTLSError.badSignature
        }
        context.group = g
        context.peerPublicKey = ske.publicKey
        context.ephemeral = context.makeEphemeral(g)
    }

    /// [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec Finished, after
    /// deriving the keys that protect the Finished.
    private mutating func finishedFlight() throws -> [DTLSHandshakeAction] {
        guard let ephemeral = context.ephemeral else { throw DTLSError.unexpectedMessage("ServerHelloDone before ServerKeyExchange") }
        var flight: [DTLSFlightItem] = []
        if certificateRequested {
            flight.append(context.message(.certificate, context.certificateBody))
        }
        flight.append(context.message(.clientKeyExchange, DTLSClientKeyExchange(publicKey: ephemeral.publicBytes).serialize()))
        let keys = try context.deriveKeys()
        if certificateRequested {
            let signature = try context.sign(context.transcript)
            flight.append(context.message(.certificateVerify, DTLSCertificateVerify(signatureScheme: 0x0403, signature: signature).serialize()))
        }
        flight.append(.changeCipherSpec)
        flight.append(context.message(.finished, context.finishedData(label: "client finished"), epoch: 1))
        return [keys, .flight(flight, expectsReply: true)]
    }
}
