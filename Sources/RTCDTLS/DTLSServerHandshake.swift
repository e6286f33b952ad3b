import Crypto
import NIOCore

/// The server's handshake state machine (RFC 6347 §4.2, RFC 5246 §7.3): a stateless cookie
/// check (HelloVerifyRequest), then ServerHello Certificate ServerKeyExchange
/// [CertificateRequest] ServerHelloDone, then the client's flight, then our ChangeCipherSpec
/// and Finished.
struct DTLSServerHandshake: DTLSHandshake {
    private enum Step: Equatable {
        case waitHello, waitCertificate, waitKeyExchange, waitCertificateVerify, waitChangeCipherSpec, waitFinished, done
    }

    private(set) var context: DTLSHandshakeContext
    private var step = Step.waitHello
    private let cookieSecret: SymmetricKey

    init(configuration: DTLSConfiguration, rng: any RandomNumberGenerator & Sendable) {
        var rng = rng
        cookieSecret = SymmetricKey(data: rng.bytes(32))
        context = DTLSHandshakeContext(role: .server, configuration: configuration, rng: rng)
    }

    var isDone: Bool { step == .done }
    var awaitsChangeCipherSpec: Bool { step == .waitChangeCipherSpec }
    /// Never: in a full handshake the server's Finished is the last message (RFC 5246 §7.3).
    var awaitsPeerFinished: Bool { false }
    func restartsPeerSequence(type: UInt8) -> Bool { step == .waitHello && type == DTLSHandshakeType.clientHello.rawValue }

    mutating func changeCipherSpecReceived() { step = .waitFinished }

    mutating func start(now: NIODeadline) -> [DTLSHandshakeAction] { [] }

    mutating func process(_ kind: DTLSHandshakeType, seq: UInt16, body: [UInt8], now: NIODeadline) throws -> [DTLSHandshakeAction] {
        switch (step, kind) {
        case (.waitHello, .clientHello):
            return try processClientHello(body, seq: seq)
        case (.waitCertificate, .certificate):
            try context.processPeerCertificate(body)
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            step = .waitKeyExchange
        case (.waitKeyExchange, .clientKeyExchange):
            let cke = try DTLSClientKeyExchange(parsing: body)
            context.peerPublicKey = cke.publicKey
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            let keys = try context.deriveKeys()
            step = context.peerCertificate != nil ? .waitCertificateVerify : .waitChangeCipherSpec
            return [keys]
        case (.waitCertificateVerify, .certificateVerify):
            let cv = try DTLSCertificateVerify(parsing: body)
            guard let peerKey = context.peerKey,
                  peerKey.verify(signature: cv.signature, scheme: cv.signatureScheme, data: context.transcript) else {
                throw DTLSError.badSignature
            }
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            step = .waitChangeCipherSpec
        case (.waitFinished, .finished):
            try context.verifyFinished(body, label: "client finished")
            context.appendTranscript(type: kind.rawValue, seq: seq, body: body)
            let finished = context.message(.finished, context.finishedData(label: "server finished"), epoch: 1)
            step = .done
            return [.flight([.changeCipherSpec, finished], expectsReply: false), context.completion]
        default:
            throw DTLSError.unexpectedMessage("\(kind) while in server step \(step)")
        }
        return []
    }

    /// The cookie of RFC 6347 §4.2.1: an HMAC of the hello's fields under a secret of ours.
    private func cookie(for hello: DTLSClientHello) -> [UInt8] {
        var suites: [UInt8] = []
        for s in hello.cipherSuites { suites.put16(s) }
        var mac = HMAC<SHA256>(key: cookieSecret)
        mac.update(data: hello.random)
        mac.update(data: hello.sessionID)
        mac.update(data: suites)
        return mac.finalize().withUnsafeBytes { Array($0) }
    }

    private mutating func processClientHello(_ body: [UInt8], seq: UInt16) throws -> [DTLSHandshakeAction] {
        let configuration = context.configuration
        let hello = try DTLSClientHello(parsing: body)
        if configuration.cookieExchange {
            let expected = cookie(for: hello)
            guard hello.cookie == expected else {
                // Stateless HelloVerifyRequest (RFC 6347 §4.2.1); not part of the transcript.
                let hvr = DTLSHelloVerifyRequest(cookie: expected).serialize()
                return [.statelessReply(.handshake(type: DTLSHandshakeType.helloVerifyRequest.rawValue, seq: seq, body: hvr, epoch: 0)),
                        .expectMessageSeq(seq)]   // the next ClientHello may reuse or follow this sequence
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
        context.useExtendedMasterSecret = hello.extensions.first(DTLSExtensionType.extendedMasterSecret) != nil
        if !context.useExtendedMasterSecret && configuration.requireExtendedMasterSecret { throw DTLSError.extendedMasterSecretRequired }
        if let srtp = hello.extensions.first(DTLSExtensionType.useSRTP) {
            let offered = try DTLSHandshakeContext.parseSRTP(srtp.data)
            context.srtpProfile = configuration.srtpProfiles.first { offered.contains($0.rawValue) }
        }
        let secureRenegotiation = hello.extensions.first(DTLSExtensionType.renegotiationInfo) != nil || hello.cipherSuites.contains(0x00FF)

        context.suite = chosen
        context.group = g
        context.clientRandom = hello.random
        context.serverRandom = context.makeRandom()
        let ephemeral = context.makeEphemeral(g)
        context.ephemeral = ephemeral
        context.nextSendSeq = seq   // our first message answers the ClientHello's sequence (RFC 6347 §4.2.2)
        context.transcript.removeAll()
        context.appendTranscript(type: DTLSHandshakeType.clientHello.rawValue, seq: seq, body: body)

        var extensions: [DTLSExtension] = []
        if secureRenegotiation { extensions.append(DTLSExtension(type: DTLSExtensionType.renegotiationInfo, data: [0])) }
        if context.useExtendedMasterSecret { extensions.append(DTLSExtension(type: DTLSExtensionType.extendedMasterSecret, data: [])) }
        if let p = context.srtpProfile {
            var data: [UInt8] = []
            data.put16(2)
            data.put16(p.rawValue)
            data.putVector8([])
            extensions.append(DTLSExtension(type: DTLSExtensionType.useSRTP, data: data))
        }
        if hello.extensions.first(DTLSExtensionType.ecPointFormats) != nil {
            extensions.append(DTLSExtension(type: DTLSExtensionType.ecPointFormats, data: [1, 0]))
        }

        var flight: [DTLSFlightItem] = []
        let serverHello = DTLSServerHello(random: context.serverRandom, sessionID: [], cipherSuite: chosen.rawValue, extensions: extensions)
        flight.append(context.message(.serverHello, serverHello.serialize()))
        flight.append(context.message(.certificate, context.certificateBody))
        var ske = DTLSServerKeyExchange(namedGroup: g.rawValue, publicKey: ephemeral.publicBytes, signatureScheme: 0x0403, signature: [])
        ske.signature = try context.sign(context.clientRandom + context.serverRandom + ske.params)
        flight.append(context.message(.serverKeyExchange, ske.serialize()))
        if configuration.requireClientCertificate {
            flight.append(context.message(.certificateRequest,
                                          DTLSCertificateRequest(certificateTypes: [64], signatureSchemes: [0x0403, 0x0503, 0x0603]).serialize()))
        }
        flight.append(context.message(.serverHelloDone, []))
        step = configuration.requireClientCertificate ? .waitCertificate : .waitKeyExchange
        return [.started, .flight(flight, expectsReply: true)]
    }
}
