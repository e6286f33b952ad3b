import Foundation
import NIOCore
import NIOPosix
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// One OpenSSL configuration to interoperate with: cipher suite, curve and SRTP profile.
struct OpenSSLCase: Sendable, CustomTestStringConvertible {
    var cipher: String
    var group: String
    var srtp: String
    var suite: DTLSCipherSuite
    var profile: SRTPProtectionProfile
    var testDescription: String { "\(cipher) \(group) \(srtp)" }
    /// The ECDHE group we expect to be used.
    var expectedGroup: DTLSNamedGroup { group == "X25519" ? .x25519 : .secp256r1 }
    /// What we offer: the ECDHE group first, and always P-256 because the certificates are
    /// P-256 and OpenSSL requires the certificate's curve among the supported groups in TLS 1.2.
    var ourGroups: [DTLSNamedGroup] { group == "X25519" ? [.x25519, .secp256r1] : [.secp256r1] }
    /// The `-groups` list given to OpenSSL.
    var opensslGroups: String { group == "X25519" ? "X25519:P-256" : "P-256" }

    static let all: [OpenSSLCase] = [
        OpenSSLCase(cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", group: "X25519", srtp: "SRTP_AES128_CM_SHA1_80", suite: .ecdheECDSAWithAES128GCMSHA256, profile: .aes128CmHmacSha1_80),
        OpenSSLCase(cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", group: "P-256", srtp: "SRTP_AEAD_AES_128_GCM", suite: .ecdheECDSAWithAES128GCMSHA256, profile: .aeadAes128Gcm),
        OpenSSLCase(cipher: "ECDHE-ECDSA-AES256-GCM-SHA384", group: "P-256", srtp: "SRTP_AES128_CM_SHA1_80", suite: .ecdheECDSAWithAES256GCMSHA384, profile: .aes128CmHmacSha1_80),
        OpenSSLCase(cipher: "ECDHE-ECDSA-CHACHA20-POLY1305", group: "X25519", srtp: "SRTP_AEAD_AES_128_GCM", suite: .ecdheECDSAWithChaCha20Poly1305SHA256, profile: .aeadAes128Gcm),
    ]
}

/// An OpenSSL identity made with `openssl req` in a temporary directory.
struct OpenSSLIdentity {
    let directory: URL
    let certPath: String
    let keyPath: String
    let certificate: DTLSCertificate

    static func make(openssl: String) throws -> OpenSSLIdentity {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dtls-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: openssl)
        p.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                       "-subj", "/CN=peer", "-keyout", key, "-out", cert]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw InteropPeerMissing("openssl req failed (\(p.terminationStatus))") }
        let identity = try DTLSCertificate(certificatePEM: String(contentsOfFile: cert, encoding: .utf8),
                                           privateKeyPEM: String(contentsOfFile: key, encoding: .utf8))
        return OpenSSLIdentity(directory: dir, certPath: cert, keyPath: key, certificate: identity)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite(.serialized) struct DTLSOpenSSLInteropTests {
    static func keyingMaterial(from peer: PeerProcess) async throws -> [UInt8] {
        let line = try await peer.waitForLine { $0.contains("Keying material:") }
        let hex = line.components(separatedBy: "Keying material:")[1].trimmingCharacters(in: .whitespaces)
        return try #require(Hex.decode(hex))
    }

    static func configuration(_ c: OpenSSLCase, peer: DTLSCertificate) -> DTLSConfiguration {
        DTLSConfiguration(certificate: TestIdentities.client, verification: .fingerprints([peer.fingerprint]),
                          cipherSuites: [c.suite], groups: c.ourGroups, srtpProfiles: [c.profile])
    }

    @Test(arguments: OpenSSLCase.all)
    func ourClientWithOpenSSLServer(_ c: OpenSSLCase) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let openssl = try InteropEnvironment.executable("openssl", installHint: "apt-get install openssl")
        let identity = try OpenSSLIdentity.make(openssl: openssl)
        defer { identity.remove() }
        let port = InteropEnvironment.freePort()
        let server = try PeerProcess("openssl s_server", executable: openssl, arguments: [
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-cert", identity.certPath, "-key", identity.keyPath,
            "-Verify", "1", "-cipher", c.cipher, "-groups", c.opensslGroups, "-use_srtp", c.srtp,
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
        ])
        defer { server.terminate() }
        try await server.waitForLine { $0.contains("ACCEPT") }

        var connection = DTLSConnection(role: .client, configuration: Self.configuration(c, peer: identity.certificate))
        connection.startHandshake(now: .now())
        let driver = try DTLSUDPDriver(connection: connection, remote: try SocketAddress(ipAddress: "127.0.0.1", port: Int(port)))
        defer { driver.shutdown() }
        driver.flush()
        try await driver.run { $0.contains { if case .handshakeCompleted = $0 { return true }; return false } }
        let info = try #require(driver.connection.handshakeInfo)
        #expect(info.cipherSuite == c.suite)
        #expect(info.srtpProfile == c.profile)
        #expect(info.group == c.expectedGroup)
        #expect(info.extendedMasterSecret)
        #expect(info.remoteFingerprint == identity.certificate.fingerprint)

        let theirs = try await Self.keyingMaterial(from: server)
        let ours = try driver.connection.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        #expect(theirs.count == 60)
        #expect(ours == theirs)

        try driver.connection.send(applicationData: ByteBuffer(string: "hello from swift\n"), now: .now())
        driver.flush()
        try await server.waitForLine { $0.contains("hello from swift") }
        server.write("hello from openssl\n")
        try await driver.run { _ in driver.receivedText.contains("hello from openssl") }

        driver.connection.close(now: .now())
        driver.flush()
        try await server.waitForLine { $0 == "DONE" }
    }

    @Test(arguments: OpenSSLCase.all)
    func ourServerWithOpenSSLClient(_ c: OpenSSLCase) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let openssl = try InteropEnvironment.executable("openssl", installHint: "apt-get install openssl")
        let identity = try OpenSSLIdentity.make(openssl: openssl)
        defer { identity.remove() }

        var config = Self.configuration(c, peer: identity.certificate)
        config.certificate = TestIdentities.server
        let driver = try DTLSUDPDriver(connection: DTLSConnection(role: .server, configuration: config), remote: nil)
        defer { driver.shutdown() }
        let client = try PeerProcess("openssl s_client", executable: openssl, arguments: [
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(driver.localPort)", "-cert", identity.certPath, "-key", identity.keyPath,
            "-cipher", c.cipher, "-groups", c.opensslGroups, "-use_srtp", c.srtp,
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
        ])
        defer { client.terminate() }
        try await driver.run { $0.contains { if case .handshakeCompleted = $0 { return true }; return false } }
        let info = try #require(driver.connection.handshakeInfo)
        #expect(info.cipherSuite == c.suite)
        #expect(info.srtpProfile == c.profile)
        #expect(info.group == c.expectedGroup)
        #expect(info.extendedMasterSecret)
        #expect(info.remoteFingerprint == identity.certificate.fingerprint)

        let theirs = try await Self.keyingMaterial(from: client)
        let ours = try driver.connection.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        #expect(ours == theirs)

        try driver.connection.send(applicationData: ByteBuffer(string: "hello from swift server\n"), now: .now())
        driver.flush()
        try await client.waitForLine { $0.contains("hello from swift server") }
        client.write("hello from openssl client\n")
        try await driver.run { _ in driver.receivedText.contains("hello from openssl client") }
        client.closeInput()
        try await driver.run { $0.contains(.closed) }
    }
}
