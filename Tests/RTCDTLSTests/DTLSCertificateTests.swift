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
}
