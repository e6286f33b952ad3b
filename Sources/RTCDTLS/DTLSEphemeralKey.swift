import Crypto

/// An ephemeral ECDHE key pair (RFC 8422 §5.10).
enum EphemeralKey {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case p256(P256.KeyAgreement.PrivateKey)

    init(group: DTLSNamedGroup, rng: inout some RandomNumberGenerator) {
        switch group {
        case .x25519:
            let key = (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rng.bytes(32))) ?? Curve25519.KeyAgreement.PrivateKey()
            self = .x25519(key)
        case .secp256r1:
            for _ in 0..<8 {
                if let key = try? P256.KeyAgreement.PrivateKey(rawRepresentation: rng.bytes(32)) { self = .p256(key); return }
            }
            self = .p256(P256.KeyAgreement.PrivateKey())
        }
    }

    /// The public value as sent on the wire (uncompressed point for P-256, RFC 8422 §5.4.1).
    var publicBytes: [UInt8] {
        switch self {
        case .x25519(let k): return Array(k.publicKey.rawRepresentation)
        case .p256(let k): return Array(k.publicKey.x963Representation)
        }
    }

    /// The ECDH shared secret used as pre-master secret (RFC 8422 §5.10).
    func sharedSecret(with peer: [UInt8]) throws -> [UInt8] {
        do {
            switch self {
            case .x25519(let k):
                guard peer.count == 32 else { throw DTLSError.illegalParameter("X25519 public key length \(peer.count)") }
                let secret = try k.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer))
                let bytes = secret.withUnsafeBytes { Array($0) }
                guard bytes.contains(where: { $0 != 0 }) else { throw DTLSError.illegalParameter("X25519 all-zero shared secret") }
                return bytes
            case .p256(let k):
                guard peer.count == 65, peer.first == 4 else { throw DTLSError.illegalParameter("P-256 point encoding") }
                let secret = try k.sharedSecretFromKeyAgreement(with: P256.KeyAgreement.PublicKey(x963Representation: peer))
                return secret.withUnsafeBytes { Array($0) }
            }
        } catch let error as DTLSError {
            throw error
        } catch {
            throw DTLSError.illegalParameter("peer ECDHE public key: \(error)")
        }
    }
}
