/// TLS extension numbers used here (RFC 8422, RFC 5246, RFC 5764, RFC 7627, RFC 5746).
public enum DTLSExtensionType {
    /// supported_groups (RFC 8422 §5.1.1).
    public static let supportedGroups: UInt16 = 10
    /// ec_point_formats (RFC 8422 §5.1.2).
    public static let ecPointFormats: UInt16 = 11
    /// signature_algorithms (RFC 5246 §7.4.1.4.1).
    public static let signatureAlgorithms: UInt16 = 13
    /// use_srtp (RFC 5764 §4.1.1).
    public static let useSRTP: UInt16 = 14
    /// extended_master_secret (RFC 7627 §5.1).
    public static let extendedMasterSecret: UInt16 = 23
    /// renegotiation_info (RFC 5746 §3.2).
    public static let renegotiationInfo: UInt16 = 0xFF01
}

/// A TLS extension: type and opaque data (RFC 5246 §7.4.1.4).
public struct DTLSExtension: Equatable, Sendable {
    /// The extension type.
    public var type: UInt16
    /// The extension data.
    public var data: [UInt8]
    /// Creates an extension.
    public init(type: UInt16, data: [UInt8]) { self.type = type; self.data = data }

    static func parseList(_ r: inout DTLSReader) throws -> [DTLSExtension] {
        guard !r.isAtEnd else { return [] }
        let block = try r.vector16("extensions")
        var e = DTLSReader(block, context: r.context + " extensions")
        var out: [DTLSExtension] = []
        while !e.isAtEnd {
            let type = try e.u16("extension type")
            let data = try e.vector16("extension data")
            out.append(DTLSExtension(type: type, data: data))
        }
        return out
    }

    static func serializeList(_ list: [DTLSExtension], into out: inout [UInt8]) {
        var block: [UInt8] = []
        for e in list { block.put16(e.type); block.putVector16(e.data) }
        out.putVector16(block)
    }
}

extension Array where Element == DTLSExtension {
    func first(_ type: UInt16) -> DTLSExtension? { first { $0.type == type } }
}

/// ClientHello (RFC 5246 §7.4.1.2 with the DTLS cookie of RFC 6347 §4.2.1).
public struct DTLSClientHello: Equatable, Sendable {
    /// client_version.
    public var version: UInt16
    /// 32-byte random.
    public var random: [UInt8]
    /// session_id (we never resume; kept for echoing).
    public var sessionID: [UInt8]
    /// The HelloVerifyRequest cookie (empty on the first ClientHello).
    public var cookie: [UInt8]
    /// Offered cipher suites, as raw code points.
    public var cipherSuites: [UInt16]
    /// Offered compression methods.
    public var compressionMethods: [UInt8]
    /// Extensions.
    public var extensions: [DTLSExtension]

    /// Creates a ClientHello.
    public init(version: UInt16 = DTLSRecord.version12, random: [UInt8], sessionID: [UInt8] = [], cookie: [UInt8] = [],
                cipherSuites: [UInt16], compressionMethods: [UInt8] = [0], extensions: [DTLSExtension]) {
        self.version = version; self.random = random; self.sessionID = sessionID; self.cookie = cookie
        self.cipherSuites = cipherSuites; self.compressionMethods = compressionMethods; self.extensions = extensions
    }

    /// Parses a ClientHello body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "ClientHello")
        version = try r.u16("client_version")
        random = try r.take(32, "random")
        sessionID = try r.vector8("session_id")
        guard sessionID.count <= 32 else { throw r.error("session_id length") }
        cookie = try r.vector8("cookie")
        let suites = try r.vector16("cipher_suites")
        guard suites.count % 2 == 0 else { throw r.error("cipher_suites length") }
        cipherSuites = stride(from: 0, to: suites.count, by: 2).map { UInt16(suites[$0]) << 8 | UInt16(suites[$0 + 1]) }
        compressionMethods = try r.vector8("compression_methods")
        extensions = try DTLSExtension.parseList(&r)
        try r.expectEnd("extensions")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.put16(version)
        out.append(contentsOf: random)
        out.putVector8(sessionID)
        out.putVector8(cookie)
        out.put16(UInt16(truncatingIfNeeded: cipherSuites.count * 2))
        for s in cipherSuites { out.put16(s) }
        out.putVector8(compressionMethods)
        DTLSExtension.serializeList(extensions, into: &out)
        return out
    }
}

/// ServerHello (RFC 5246 §7.4.1.3).
public struct DTLSServerHello: Equatable, Sendable {
    /// server_version.
    public var version: UInt16
    /// 32-byte random.
    public var random: [UInt8]
    /// session_id.
    public var sessionID: [UInt8]
    /// The chosen cipher suite.
    public var cipherSuite: UInt16
    /// The chosen compression method.
    public var compressionMethod: UInt8
    /// Extensions.
    public var extensions: [DTLSExtension]

    /// Creates a ServerHello.
    public init(version: UInt16 = DTLSRecord.version12, random: [UInt8], sessionID: [UInt8], cipherSuite: UInt16,
                compressionMethod: UInt8 = 0, extensions: [DTLSExtension]) {
        self.version = version; self.random = random; self.sessionID = sessionID; self.cipherSuite = cipherSuite
        self.compressionMethod = compressionMethod; self.extensions = extensions
    }

    /// Parses a ServerHello body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "ServerHello")
        version = try r.u16("server_version")
        random = try r.take(32, "random")
        sessionID = try r.vector8("session_id")
        guard sessionID.count <= 32 else { throw r.error("session_id length") }
        cipherSuite = try r.u16("cipher_suite")
        compressionMethod = try r.u8("compression_method")
        extensions = try DTLSExtension.parseList(&r)
        try r.expectEnd("extensions")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.put16(version)
        out.append(contentsOf: random)
        out.putVector8(sessionID)
        out.put16(cipherSuite)
        out.put8(compressionMethod)
        DTLSExtension.serializeList(extensions, into: &out)
        return out
    }
}

/// HelloVerifyRequest (RFC 6347 §4.2.1).
public struct DTLSHelloVerifyRequest: Equatable, Sendable {
    /// server_version (DTLS 1.0 per RFC 6347 §4.2.1).
    public var version: UInt16
    /// The stateless cookie.
    public var cookie: [UInt8]

    /// Creates a HelloVerifyRequest.
    public init(version: UInt16 = DTLSRecord.version10, cookie: [UInt8]) { self.version = version; self.cookie = cookie }

    /// Parses a HelloVerifyRequest body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "HelloVerifyRequest")
        version = try r.u16("server_version")
        cookie = try r.vector8("cookie")
        try r.expectEnd("cookie")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.put16(version)
        out.putVector8(cookie)
        return out
    }
}

/// Certificate (RFC 5246 §7.4.2): a chain of DER certificates, leaf first.
public struct DTLSCertificateMessage: Equatable, Sendable {
    /// DER certificates.
    public var certificates: [[UInt8]]

    /// Creates the message.
    public init(certificates: [[UInt8]]) { self.certificates = certificates }

    /// Parses a Certificate body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "Certificate")
        let list = try r.vector24("certificate_list")
        try r.expectEnd("certificate_list")
        var l = DTLSReader(list, context: "Certificate list")
        certificates = []
        while !l.isAtEnd { certificates.append(try l.vector24("certificate")) }
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var list: [UInt8] = []
        for c in certificates { list.putVector24(c) }
        var out: [UInt8] = []
        out.putVector24(list)
        return out
    }
}

/// ServerKeyExchange for ECDHE_ECDSA (RFC 8422 §5.4): named-curve params and a signature.
public struct DTLSServerKeyExchange: Equatable, Sendable {
    /// The named curve.
    public var namedGroup: UInt16
    /// The server's ephemeral public key (ECPoint).
    public var publicKey: [UInt8]
    /// SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1).
    public var signatureScheme: UInt16
    /// DER ECDSA signature.
    public var signature: [UInt8]

    /// Creates the message.
    public init(namedGroup: UInt16, publicKey: [UInt8], signatureScheme: UInt16, signature: [UInt8]) {
        self.namedGroup = namedGroup; self.publicKey = publicKey; self.signatureScheme = signatureScheme; self.signature = signature
    }

    /// The ServerECDHParams bytes that are signed together with both randoms.
    public var params: [UInt8] {
        var out: [UInt8] = [3]   // curve_type named_curve
        out.put16(namedGroup)
        out.putVector8(publicKey)
        return out
    }

    /// Parses a ServerKeyExchange body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "ServerKeyExchange")
        let curveType = try r.u8("curve_type")
        guard curveType == 3 else { throw DTLSError.decodeError(reason: "ServerKeyExchange: curve_type \(curveType) is not named_curve at offset 0") }
        namedGroup = try r.u16("named_curve")
        publicKey = try r.vector8("public")
        signatureScheme = try r.u16("signature algorithm")
        signature = try r.vector16("signature")
        try r.expectEnd("signature")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out = params
        out.put16(signatureScheme)
        out.putVector16(signature)
        return out
    }
}

/// CertificateRequest (RFC 5246 §7.4.4).
public struct DTLSCertificateRequest: Equatable, Sendable {
    /// ClientCertificateType values (64 = ecdsa_sign, RFC 8422 §5.5).
    public var certificateTypes: [UInt8]
    /// Accepted SignatureAndHashAlgorithms.
    public var signatureSchemes: [UInt16]
    /// DER distinguished names of acceptable CAs (unused by WebRTC).
    public var authorities: [UInt8]

    /// Creates the message.
    public init(certificateTypes: [UInt8], signatureSchemes: [UInt16], authorities: [UInt8] = []) {
        self.certificateTypes = certificateTypes; self.signatureSchemes = signatureSchemes; self.authorities = authorities
    }

    /// Parses a CertificateRequest body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "CertificateRequest")
        certificateTypes = try r.vector8("certificate_types")
        let schemes = try r.vector16("supported_signature_algorithms")
        guard schemes.count % 2 == 0 else { throw r.error("supported_signature_algorithms length") }
        signatureSchemes = stride(from: 0, to: schemes.count, by: 2).map { UInt16(schemes[$0]) << 8 | UInt16(schemes[$0 + 1]) }
        authorities = try r.vector16("certificate_authorities")
        try r.expectEnd("certificate_authorities")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.putVector8(certificateTypes)
        out.put16(UInt16(truncatingIfNeeded: signatureSchemes.count * 2))
        for s in signatureSchemes { out.put16(s) }
        out.putVector16(authorities)
        return out
    }
}

/// CertificateVerify (RFC 5246 §7.4.8).
public struct DTLSCertificateVerify: Equatable, Sendable {
    /// SignatureAndHashAlgorithm.
    public var signatureScheme: UInt16
    /// DER ECDSA signature over the handshake messages so far.
    public var signature: [UInt8]

    /// Creates the message.
    public init(signatureScheme: UInt16, signature: [UInt8]) { self.signatureScheme = signatureScheme; self.signature = signature }

    /// Parses a CertificateVerify body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "CertificateVerify")
        signatureScheme = try r.u16("signature algorithm")
        signature = try r.vector16("signature")
        try r.expectEnd("signature")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.put16(signatureScheme)
        out.putVector16(signature)
        return out
    }
}

/// ClientKeyExchange for ECDHE (RFC 8422 §5.7): the client's ephemeral ECPoint.
public struct DTLSClientKeyExchange: Equatable, Sendable {
    /// The client's ephemeral public key.
    public var publicKey: [UInt8]

    /// Creates the message.
    public init(publicKey: [UInt8]) { self.publicKey = publicKey }

    /// Parses a ClientKeyExchange body.
    public init(parsing body: [UInt8]) throws {
        var r = DTLSReader(body, context: "ClientKeyExchange")
        publicKey = try r.vector8("ecdh_Yc")
        try r.expectEnd("ecdh_Yc")
    }

    /// The message body.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.putVector8(publicKey)
        return out
    }
}

/// Parses the body of any handshake message this implementation understands, for fuzzing
/// and diagnostics; returns the re-serialized body so round trips can be checked.
public enum DTLSHandshakeCodec {
    /// Parses `body` as a message of `type` and serializes it again; `nil` for types without a
    /// structured parser (Finished, ServerHelloDone, HelloRequest).
    public static func roundTrip(type: UInt8, body: [UInt8]) throws -> [UInt8]? {
        switch DTLSHandshakeType(rawValue: type) {
        case .clientHello: return try DTLSClientHello(parsing: body).serialize()
        case .serverHello: return try DTLSServerHello(parsing: body).serialize()
        case .helloVerifyRequest: return try DTLSHelloVerifyRequest(parsing: body).serialize()
        case .certificate: return try DTLSCertificateMessage(parsing: body).serialize()
        case .serverKeyExchange: return try DTLSServerKeyExchange(parsing: body).serialize()
        case .certificateRequest: return try DTLSCertificateRequest(parsing: body).serialize()
        case .certificateVerify: return try DTLSCertificateVerify(parsing: body).serialize()
        case .clientKeyExchange: return try DTLSClientKeyExchange(parsing: body).serialize()
        default: return nil
        }
    }
}
