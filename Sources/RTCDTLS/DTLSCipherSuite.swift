import Crypto

/// The cipher suites this implementation negotiates: ECDHE key exchange, ECDSA authentication
/// and AEAD record protection (RFC 5289 §3.2, RFC 7905 §2).
public enum DTLSCipherSuite: UInt16, CaseIterable, Sendable {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5289 §3.2), the WebRTC baseline (RFC 8827 §6.5).
    case ecdheECDSAWithAES128GCMSHA256 = 0xC02B
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (RFC 5289 §3.2).
    case ecdheECDSAWithAES256GCMSHA384 = 0xC02C
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (RFC 7905 §2).
    case ecdheECDSAWithChaCha20Poly1305SHA256 = 0xCCA9

    /// Key length of the record cipher in bytes.
    var keyLength: Int {
        switch self {
        case .ecdheECDSAWithAES128GCMSHA256: return 16
        case .ecdheECDSAWithAES256GCMSHA384, .ecdheECDSAWithChaCha20Poly1305SHA256: return 32
        }
    }

    /// Length of the fixed (implicit) IV: 4 for AES-GCM (RFC 5288 §3), 12 for ChaCha20 (RFC 7905 §2).
    var fixedIVLength: Int { self == .ecdheECDSAWithChaCha20Poly1305SHA256 ? 12 : 4 }

    /// Bytes a protected record adds to its plaintext: explicit nonce (GCM only) and 16-byte tag.
    var recordOverhead: Int { self == .ecdheECDSAWithChaCha20Poly1305SHA256 ? 16 : 8 + 16 }

    /// `true` when the PRF hash is SHA-384 (RFC 5289 §3.2).
    var usesSHA384: Bool { self == .ecdheECDSAWithAES256GCMSHA384 }

    /// The PRF of this suite (RFC 5246 §5).
    func prf(secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        usesSHA384 ? DTLSPRF.prf(SHA384.self, secret: secret, label: label, seed: seed, length: length)
                   : DTLSPRF.prf(SHA256.self, secret: secret, label: label, seed: seed, length: length)
    }

    /// The handshake-transcript hash of this suite.
    func transcriptHash(_ data: [UInt8]) -> [UInt8] {
        usesSHA384 ? Array(SHA384.hash(data: data)) : Array(SHA256.hash(data: data))
    }
}

/// Named elliptic-curve groups for ECDHE (RFC 8422 §5.1.1, RFC 7748).
public enum DTLSNamedGroup: UInt16, CaseIterable, Sendable {
    /// secp256r1 / P-256 (RFC 8422 §5.1.1).
    case secp256r1 = 23
    /// X25519 (RFC 8422 §5.1.1).
    case x25519 = 29
}

/// The TLS 1.2 pseudo-random function (RFC 5246 §5): P_hash over HMAC.
public enum DTLSPRF {
    /// P_hash(secret, label ‖ seed) truncated to `length` bytes (RFC 5246 §5).
    public static func prf<H: HashFunction>(_ hash: H.Type, secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        // The key's pads are hashed once for every HMAC of the chain (swift-crypto's generic
        // `HMAC<H>` set the key up again for each, with its allocations and, in its generic
        // code, a runtime metadata lookup per call: a visible part of every handshake).
        let keyed = PrecomputedHMAC<H>(key: secret)
        let labelSeed = Array(label.utf8) + seed
        var output: [UInt8] = []
        output.reserveCapacity(length + H.Digest.byteCount)
        var a = keyed.authenticationCode(labelSeed)   // A(1)
        while output.count < length {
            output += keyed.authenticationCode(a, labelSeed)
            a = keyed.authenticationCode(a)
        }
        return Array(output.prefix(length))
    }
}

/// HMAC (RFC 2104) with the inner and outer key pads absorbed once: each code then costs the
/// hashing of its message and of the inner digest only. Copies of the two hash states are
/// taken per code (hash functions are values).
struct PrecomputedHMAC<H: HashFunction> {
    private let inner: H
    private let outer: H

    /// Keys the HMAC with `key` (hashed first when longer than the hash's block).
    init(key: [UInt8]) {
        var block = key.count > H.blockByteCount ? Array(H.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: H.blockByteCount - block.count)
        var inner = H()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = H()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// HMAC(key, the parts one after the other).
    func authenticationCode(_ parts: [UInt8]...) -> [UInt8] {
        var inner = self.inner
        for part in parts { inner.update(data: part) }
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return Array(outer.finalize())
    }
}
