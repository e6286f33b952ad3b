import Crypto
import RTCCore
import Testing
@testable import RTCDTLS

/// The TLS 1.2 PRF (RFC 5246 §5) against known vectors (also reproduced with
/// `openssl kdf ... TLS1-PRF`), and the master-secret derivations built on it.
@Suite struct DTLSPRFTests {
    @Test func pSHA256MatchesKnownVector() throws {
        let out = DTLSPRF.prf(SHA256.self, secret: Hex.decode("9bbe436ba940f017b17652849a71db35")!, label: "test label",
                              seed: Hex.decode("a0ba9f936cda311827a6f796ffd5198c")!, length: 100)
        #expect(Hex.encode(out) == "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66")
    }

    @Test func pSHA384MatchesKnownVector() throws {
        let out = DTLSPRF.prf(SHA384.self, secret: Hex.decode("b80b733d6ceefcdc71566ea48e5567df")!, label: "test label",
                              seed: Hex.decode("cd665cf6a8447dd6ff8b27555edb7465")!, length: 48)
        #expect(Hex.encode(out) == "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0")
    }

    /// The PRF's HMAC with precomputed pads gives swift-crypto's codes, for keys shorter than,
    /// as long as and longer than the hash's block, one key used many times (its hash states
    /// are copied per code, never shared).
    @Test(arguments: [0, 20, 64, 65, 128, 200])
    func precomputedHMACMatchesSwiftCrypto(keyLength: Int) {
        let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let hmac256 = PrecomputedHMAC<SHA256>(key: key)
        let hmac384 = PrecomputedHMAC<SHA384>(key: key)
        for n in [0, 1, 63, 64, 65, 300] {
            let a = (0..<n).map { UInt8(truncatingIfNeeded: $0 ^ 0x5A) }
            let b: [UInt8] = [9, 8, 7]
            #expect(hmac256.authenticationCode(a, b) == Array(HMAC<SHA256>.authenticationCode(for: a + b, using: SymmetricKey(data: key))))
            #expect(hmac384.authenticationCode(a) == Array(HMAC<SHA384>.authenticationCode(for: a, using: SymmetricKey(data: key))))
        }
    }

    @Test func suitePRFUsesSHA384OnlyForAES256() {
        let secret: [UInt8] = Array(repeating: 7, count: 48)
        let a = DTLSCipherSuite.ecdheECDSAWithAES128GCMSHA256.prf(secret: secret, label: "l", seed: [1], length: 32)
        let b = DTLSCipherSuite.ecdheECDSAWithChaCha20Poly1305SHA256.prf(secret: secret, label: "l", seed: [1], length: 32)
        let c = DTLSCipherSuite.ecdheECDSAWithAES256GCMSHA384.prf(secret: secret, label: "l", seed: [1], length: 32)
        #expect(a == b)
        #expect(a != c)
        #expect(c == DTLSPRF.prf(SHA384.self, secret: secret, label: "l", seed: [1], length: 32))
    }

    @Test func extendedMasterSecretChangesTheKeys() throws {
        // RFC 7627 §4: the session hash replaces the randoms; both peers must agree either way.
        var ems = DTLSPair()
        var legacy = DTLSPair(clientConfig: { _ in }, serverConfig: { $0.requireExtendedMasterSecret = false })
        let ok1 = ems.handshake(), ok2 = legacy.handshake()
        #expect(ok1 && ok2)
        #expect(ems.client.handshakeInfo?.extendedMasterSecret == true)
        let k1 = try ems.client.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        let k2 = try ems.server.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        #expect(k1 == k2)
        // RFC 5705 §4: a context changes the output.
        let withContext = try ems.client.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", context: [1, 2], length: 60)
        #expect(withContext != k1)
        #expect(try legacy.client.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60) != k1)
    }
}
