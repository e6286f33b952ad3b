import Crypto
import Foundation
import RTCCore
import Testing
@testable import RTCDTLS

@Suite struct DTLSCertificateTests {
    @Test func selfSignedCertificateHasSDPFingerprint() throws {
        let cert = try DTLSCertificate.generateSelfSigned(now: Date())
        let fp = cert.fingerprint
        #expect(fp.algorithm == "sha-256")
        #expect(fp.digest == Array(SHA256.hash(data: cert.derBytes)))
        let value = fp.sdpValue
        #expect(value.hasPrefix("sha-256 "))
        let hex = value.dropFirst("sha-256 ".count)
        #expect(hex.split(separator: ":").count == 32)
        #expect(hex.allSatisfy { "0123456789ABCDEF:".contains($0) })
        #expect(CertificateFingerprint(sdpValue: value) == fp)
        #expect(CertificateFingerprint(sdpValue: "SHA-256 " + hex.lowercased()) == fp)
    }

    @Test func malformedFingerprintsAreRejected() {
        #expect(CertificateFingerprint(sdpValue: "sha-256") == nil)
        #expect(CertificateFingerprint(sdpValue: "sha-256 AB:CD:E") == nil)
        #expect(CertificateFingerprint(sdpValue: "sha-256 AB:XY") == nil)
        #expect(CertificateFingerprint(sdpValue: "sha-256 ABC:D") == nil)
    }

    @Test func certificateMustMatchItsKey() throws {
        let cert = try DTLSCertificate.generateSelfSigned(now: Date())
        #expect(throws: DTLSError.self) {
            _ = try DTLSCertificate(derBytes: cert.derBytes, privateKey: P256.Signing.PrivateKey())
        }
        #expect(throws: DTLSError.self) {
            _ = try DTLSCertificate(derBytes: [0x30, 0x03, 0x02, 0x01, 0x00], privateKey: cert.privateKey)
        }
        let again = try DTLSCertificate(derBytes: cert.derBytes, privateKey: cert.privateKey)
        #expect(again.fingerprint == cert.fingerprint)
    }

    @Test func fingerprintMismatchFailsWithTypedError() {
        let wrong = CertificateFingerprint(algorithm: "sha-256", digest: Array(repeating: 0xAB, count: 32))
        var pair = DTLSPair(clientConfig: { $0.verification = .fingerprints([wrong]) })
        _ = pair.handshake()
        #expect(pair.client.state == .failed)
        #expect(pair.clientEvents.contains(.failed(.fingerprintMismatch(expected: [wrong], actual: TestIdentities.server.fingerprint))))
        // The server learns it through a bad_certificate alert (RFC 5246 §7.2.2).
        #expect(pair.serverEvents.contains(.failed(.alertReceived(level: DTLSAlert.fatal, description: DTLSAlert.badCertificate))))
    }

    @Test func serverRejectsClientCertificateWithWrongFingerprint() {
        let wrong = CertificateFingerprint(algorithm: "sha-256", digest: Array(repeating: 0x01, count: 32))
        var pair = DTLSPair(serverConfig: { $0.verification = .fingerprints([wrong]) })
        _ = pair.handshake()
        #expect(pair.serverEvents.contains(.failed(.fingerprintMismatch(expected: [wrong], actual: TestIdentities.client.fingerprint))))
        #expect(pair.client.state == .failed)
    }

    @Test func verifyCallbackCanReject() {
        var pair = DTLSPair(clientConfig: { $0.verification = .callback { _ in false } })
        _ = pair.handshake()
        #expect(pair.clientEvents.contains { if case .failed(.badCertificate) = $0 { return true }; return false })
    }
    // Certificates made with OpenSSL 3.0 (`openssl req -x509` with a P-384 key: X.509 v3;
    // `openssl x509 -req -signkey` with a P-256 and an RSA key: v1, which has no version field).
    static let opensslP384v3 = "MIIBrzCCATagAwIBAgIUQZUrL2Ubtraf63aX+SBZOtJoQdEwCgYIKoZIzj0EAwIwDzENMAsGA1UEAwwEcDM4NDAeFw0yNjEyMDIxNDM3MDNaFw0yNzAxMDExNDM3MDNaMA8xDTALBgNVBAMMBHAzODQwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAT7RxWb3ID2s2JszGkkQN4o4iFQHnaEgslIiI7PLcGth9JVoSLEZPnk4Yi9VIx2cfY07IG46jA3LLijmh78IeuPJuza07KQQvmAelv1uru1cLAZ0dCRX7QGNygXmksL3QmjUzBRMB0GA1UdDgQWBBR6U0F1F6ULfX9RP/BVHzW4eWFxCzAfBgNVHSMEGDAWgBR6U0F1F6ULfX9RP/BVHzW4eWFxCzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA2cAMGQCMGzYq5PaywyariygEwtq4mBSR5nkTVZUXk2B44l2pcf2KTZI0EflLSQ4bRIb6VwpjAIwRDEi63K/ddHiIpTQ5ciodoj3y53suQJTxdm6ZFPNp6L7wDiNDXBKXMov3LNgk5Ko"
    static let opensslP256v1 = "MIIBFDCBuwIUVkoQTbSCRI9PpprrwCBxWdcn24owCgYIKoZIzj0EAwIwDTELMAkGA1UEAwwCdjEwHhcNMjYxMjAyMTQzNzA0WhcNMjcwMTAxMTQzNzA0WjANMQswCQYDVQQDDAJ2MTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIC0LOUq5gQ0eN5lr9zCvJwAGdIc20guRRve41WGUsl7UJLOPDvVZsCQf4SGCs6BHcWPApEsjdKuty5RWWenvdEwCgYIKoZIzj0EAwIDSAAwRQIhAKq64zXlYIBfUuH1+hYPJPv6yGBRxrjlL8bD1fazvMaPAiAwwYyLoUgX1KTO2I5OEAS8n2Mrsq3NFSjBQm0XeHMXMw=="
    static let opensslRSAv1 = "MIIBnjCCAQcCFAeybyCXo60JDMPkW9u9nfuVz3HTMA0GCSqGSIb3DQEBCwUAMA4xDDAKBgNVBAMMA3JzYTAeFw0yNjEyMDIxNDM3MDRaFw0yNzAxMDExNDM3MDRaMA4xDDAKBgNVBAMMA3JzYTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEAzCOwyJalC3kacaBJQqLwOjrxCErvwQEqqDTD8jCqv05pWeqHdFI2q2ksOM7QOyjd0w/Pz8ykXJJG5Mh8bD1cNuDJPJKtebLI/aFlaDUt+X/jgUmGKFAaDSRbt/NnEExNBl6JPN/4M7QfQTd6DHhEM6YlVob6dwQ7zxtsq1lUlh0CAwEAATANBgkqhkiG9w0BAQsFAAOBgQAQWf87ScB9su72cZdoiQBpM717Gyk+dee2gSXTvfSA3oPGoUBL2akJqcHprK4llE2FuNFCpk19b1lWdO7NwBDFJJwwB1Fl0zqWJXta4nrYaDRlfO7cQ+FK535ggnXBPFJsz0OZqzfoYbFGRleIB0XO1wOFCu8r9k4NhAevRUJq2Q=="

    static func der(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }
    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The peer's key is read from the certificate's subjectPublicKeyInfo alone: it must be
    /// the key OpenSSL put there, for X.509 v1 and v3 layouts and both curves.
    @Test func thePeersKeyIsTakenFromTheCertificate() throws {
        let ours = try DTLSCertificate.generateSelfSigned(now: Date())
        guard case .p256(let key) = try DTLSPeerKey(certificateDER: ours.derBytes) else { Issue.record("not P-256"); return }
        #expect(key.rawRepresentation == ours.privateKey.publicKey.rawRepresentation)
        // `openssl ec -pubout`'s uncompressed points for the two keys.
        guard case .p256(let v1) = try DTLSPeerKey(certificateDER: Self.der(Self.opensslP256v1)) else { Issue.record("not P-256"); return }
        #expect(Self.hex(v1.x963Representation) == "0480b42ce52ae6043478de65afdcc2bc9c0019d21cdb482e451bdee3558652c97b5092ce3c3bd566c0907f84860ace811dc58f02912c8dd2aeb72e515967a7bdd1")
        guard case .p384(let v3) = try DTLSPeerKey(certificateDER: Self.der(Self.opensslP384v3)) else { Issue.record("not P-384"); return }
        #expect(Self.hex(v3.x963Representation) == "04fb47159bdc80f6b3626ccc692440de28e221501e768482c948888ecf2dc1ad87d255a122c464f9e4e188bd548c7671f634ec81b8ea30372cb8a39a1efc21eb8f26ecdad3b29042f9807a5bf5babbb570b019d1d0915fb4063728179a4b0bdd09")
        // An RSA key is a typed refusal, not a crash or a wrong key.
        #expect { try DTLSPeerKey(certificateDER: Self.der(Self.opensslRSAv1)) } throws: { error in
            guard case DTLSError.badCertificate(let reason) = error else { return false }
            return reason.contains("unsupported public key")
        }
    }

    /// Every truncation and every single-byte change of a certificate is either refused with
    /// `badCertificate` or yields a key: the walk over the DER never reads out of bounds.
    @Test func damagedCertificatesAreRefusedWithoutCrashing() throws {
        for base in [try DTLSCertificate.generateSelfSigned(now: Date()).derBytes, Self.der(Self.opensslP384v3)] {
            for length in 0..<base.count {
                #expect(throws: DTLSError.self) { try DTLSPeerKey(certificateDER: Array(base[..<length])) }
            }
            var refused = 0
            for index in base.indices {
                for value: UInt8 in [0x00, 0x7F, 0x80, 0x81, 0x84, 0x85, 0xFF, base[index] ^ 0x01] {
                    var damaged = base
                    damaged[index] = value
                    do { _ = try DTLSPeerKey(certificateDER: damaged) } catch is DTLSError { refused += 1 }
                }
            }
            // Changes to the lengths before the key, or to the key itself, are refused.
            #expect(refused > base.count)
        }
    }
}
