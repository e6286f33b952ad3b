import Crypto
#if canImport(FoundationEssentials)
import struct FoundationEssentials.Date
#else
import struct Foundation.Date
#endif
import NIOCore
import RTCCore
import SwiftASN1
import X509

extension CertificateFingerprint {
    /// The SHA-256 fingerprint of a DER certificate (RFC 8122 §5, RFC 8827 §6.5).
    public static func sha256(of der: [UInt8]) -> CertificateFingerprint {
        CertificateFingerprint(algorithm: "sha-256", digest: Array(SHA256.hash(data: der)))
    }

    /// Whether `der` hashes to this fingerprint with its hash function; `false` for functions
    /// that are not supported (sha-1, sha-256, sha-384, sha-512 are).
    func matches(der: [UInt8]) -> Bool {
        let actual: [UInt8]
        switch algorithm {
        case "sha-256": actual = Array(SHA256.hash(data: der))
        case "sha-384": actual = Array(SHA384.hash(data: der))
        case "sha-512": actual = Array(SHA512.hash(data: der))
        case "sha-1": actual = Array(Insecure.SHA1.hash(data: der))
        default: return false
        }
        return actual == digest
    }
}

/// A local DTLS identity: an X.509 certificate (DER) and its ECDSA P-256 private key.
/// WebRTC endpoints use self-signed certificates authenticated by their SDP fingerprint
/// (RFC 8827 §6.5).
public struct DTLSCertificate: Sendable {
    /// The certificate, DER encoded, as sent in the Certificate message (RFC 5246 §7.4.2).
    public let derBytes: [UInt8]
    /// The private key that signs ServerKeyExchange / CertificateVerify.
    public let privateKey: P256.Signing.PrivateKey
    /// The SHA-256 fingerprint for the SDP `a=fingerprint` attribute (RFC 8122 §5), hashed
    /// once: every offer and answer carries it.
    public let fingerprint: CertificateFingerprint

    /// Wraps an existing certificate and key; throws if the certificate's public key is not
    /// the key pair of `privateKey`.
    public init(derBytes: [UInt8], privateKey: P256.Signing.PrivateKey) throws {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: derBytes) } catch {
            throw DTLSError.badCertificate("cannot parse certificate: \(error)")
        }
        guard let key = P256.Signing.PublicKey(certificate.publicKey),
              key.rawRepresentation == privateKey.publicKey.rawRepresentation else {
            throw DTLSError.badCertificate("certificate key is not the given P-256 private key")
        }
        self.derBytes = derBytes
        self.privateKey = privateKey
        self.fingerprint = .sha256(of: derBytes)
    }

    /// Wraps a certificate already known to hold `privateKey`'s public key.
    private init(checkedDERBytes derBytes: [UInt8], privateKey: P256.Signing.PrivateKey) {
        self.derBytes = derBytes
        self.privateKey = privateKey
        self.fingerprint = .sha256(of: derBytes)
    }

    /// Loads a PEM certificate and PEM (SEC1 or PKCS#8) P-256 private key, e.g. made by `openssl req`.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw DTLSError.badCertificate("cannot load PEM: \(error)")
        }
        var serializer = DER.Serializer()
        do { try serializer.serialize(certificate) } catch { throw DTLSError.badCertificate("\(error)") }
        try self.init(derBytes: serializer.serializedBytes, privateKey: key)
    }

    /// Generates a fresh ECDSA P-256 self-signed certificate, as WebRTC endpoints do
    /// (RFC 8827 §6.5), valid from a day before `now` until `validity` after it.
    ///
    /// `now` is the wall-clock time, supplied by the caller: this module reads no clock.
    public static func generateSelfSigned(commonName: String = "SwiftRTC", now: Date,
                                          validity: TimeAmount = .hours(30 * 24)) throws -> DTLSCertificate {
        let key = P256.Signing.PrivateKey()
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-86400),
                notValidAfter: now.addingTimeInterval(Double(validity.nanoseconds) / 1e9),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            // Made from `key` just now: no need to parse it back to check the pair.
            return DTLSCertificate(checkedDERBytes: serializer.serializedBytes, privateKey: key)
        } catch let error as DTLSError {
            throw error
        } catch {
            throw DTLSError.badCertificate("cannot generate certificate: \(error)")
        }
    }
}

/// A peer's public signing key taken from its certificate.
enum DTLSPeerKey {
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)

    /// Takes the key out of the peer's certificate. Only the key is read: the certificate is
    /// authenticated by its SDP fingerprint (checked before, over all its bytes), and WebRTC
    /// gives its other fields (names, validity, its self-signature) no meaning, so a full
    /// X.509 parse per handshake would be work on the open path for nothing.
    init(certificateDER der: [UInt8]) throws {
        guard let spki = DTLSPeerKey.subjectPublicKeyInfo(in: der) else {
            throw DTLSError.badCertificate("cannot parse certificate: no subjectPublicKeyInfo where X.509 puts it")
        }
        if let k = try? P256.Signing.PublicKey(derRepresentation: spki) { self = .p256(k) }
        else if let k = try? P384.Signing.PublicKey(derRepresentation: spki) { self = .p384(k) }
        else { throw DTLSError.badCertificate("unsupported public key (need ECDSA P-256 or P-384)") }
    }

    /// The DER `subjectPublicKeyInfo` element (tag, length and contents) of an X.509
    /// certificate, found by stepping over the fields before it (RFC 5280 §4.1:
    /// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
    /// serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }`);
    /// nil when the bytes do not have that shape. Every length is bounds-checked.
    static func subjectPublicKeyInfo(in der: [UInt8]) -> ArraySlice<UInt8>? {
        /// Reads the element at `offset` with tag `tag` ending no later than `end`: returns its
        /// contents' range and where it ends.
        func element(at offset: Int, end: Int, tag: UInt8) -> (contents: Range<Int>, next: Int)? {
            guard offset + 2 <= end, der[offset] == tag else { return nil }
            var length = Int(der[offset + 1])
            var start = offset + 2
            if length >= 0x80 {
                let count = length & 0x7F
                // Long form: one to four length bytes (a certificate is far below 4 GiB).
                guard count >= 1, count <= 4, start + count <= end else { return nil }
                length = 0
                for i in 0..<count { length = length << 8 | Int(der[start + i]) }
                start += count
            }
            guard length <= end - start else { return nil }
            return (start..<start + length, start + length)
        }
        let sequence: UInt8 = 0x30
        guard let certificate = element(at: 0, end: der.count, tag: sequence),
              let tbs = element(at: certificate.contents.lowerBound, end: certificate.contents.upperBound, tag: sequence)
        else { return nil }
        let end = tbs.contents.upperBound
        var at = tbs.contents.lowerBound
        if at < end, der[at] == 0xA0 {  // [0] EXPLICIT version
            guard let version = element(at: at, end: end, tag: 0xA0) else { return nil }
            at = version.next
        }
        // serialNumber INTEGER, signature, issuer, validity, subject (SEQUENCEs).
        for tag: UInt8 in [0x02, sequence, sequence, sequence, sequence] {
            guard let field = element(at: at, end: end, tag: tag) else { return nil }
            at = field.next
        }
        guard let spki = element(at: at, end: end, tag: sequence) else { return nil }
        return der[at..<spki.next]
    }

    /// Verifies a DER ECDSA signature with the hash named by the TLS SignatureAndHashAlgorithm
    /// (RFC 5246 §7.4.1.4.1: hash 4 = sha256, 5 = sha384, 6 = sha512; signature 3 = ecdsa).
    func verify(signature der: [UInt8], scheme: UInt16, data: [UInt8]) -> Bool {
        guard scheme & 0xff == 3 else { return false }
        switch self {
        case .p256(let key):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: der) else { return false }
            switch scheme >> 8 {
            case 4: return key.isValidSignature(sig, for: SHA256.hash(data: data))
            case 5: return key.isValidSignature(sig, for: SHA384.hash(data: data))
            case 6: return key.isValidSignature(sig, for: SHA512.hash(data: data))
            default: return false
            }
        case .p384(let key):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: der) else { return false }
            switch scheme >> 8 {
            case 4: return key.isValidSignature(sig, for: SHA256.hash(data: data))
            case 5: return key.isValidSignature(sig, for: SHA384.hash(data: data))
            case 6: return key.isValidSignature(sig, for: SHA512.hash(data: data))
            default: return false
            }
        }
    }
}
