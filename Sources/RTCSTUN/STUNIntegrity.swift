import Crypto

/// The key of MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9). The HMAC-SHA1
/// state (every ICE check and response) is keyed once, so each message only copies it (no pad
/// derivation per packet); MESSAGE-INTEGRITY-SHA256, which ICE peers do not send, is keyed
/// when used (keying both made every new key, several per connection, twice as dear).
public struct STUNIntegrityKey: Sendable {
    /// The raw key bytes.
    public let bytes: [UInt8]
    let sha1: HMAC<Insecure.SHA1>

    /// A key from raw bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        sha1 = HMAC<Insecure.SHA1>(key: SymmetricKey(data: bytes))
    }

    /// Short-term credential key (RFC 8489 §9.1.1): the password's bytes. ICE passwords are
    /// ASCII, so OpaqueString preparation leaves them unchanged and is not applied here.
    public static func shortTerm(password: String) -> STUNIntegrityKey {
        STUNIntegrityKey(bytes: Array(password.utf8))
    }

    /// Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password).
    /// The caller passes already-prepared (OpaqueString/SASLprep) strings.
    public static func longTerm(username: String, realm: String, password: String) -> STUNIntegrityKey {
        let digest = Insecure.MD5.hash(data: Array("\(username):\(realm):\(password)".utf8))
        return STUNIntegrityKey(bytes: Array(digest))
    }

    func hmacSHA1(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var h = sha1
        h.update(data: data)
        return Array(h.finalize())
    }

    func hmacSHA256(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var h = HMAC<SHA256>(key: SymmetricKey(data: bytes))
        h.update(data: data)
        return Array(h.finalize())
    }
}

/// Compares two byte sequences in time that depends only on their lengths.
@inline(never)
func constantTimeEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    var j = b.startIndex
    for i in 0..<a.count {
        diff |= a[i] ^ b[j]
        j += 1
    }
    return diff == 0
}

/// CRC-32 (ISO-HDLC, as in FINGERPRINT, RFC 8489 §14.7).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in data { crc = t[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBytes { checksum($0) }
    }
}

/// The value XORed into FINGERPRINT's CRC-32 (RFC 8489 §14.7): "STUN".
public let stunFingerprintXOR: UInt32 = 0x5354_554E
