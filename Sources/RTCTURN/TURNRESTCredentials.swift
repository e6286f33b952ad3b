import Crypto

/// Time-limited TURN credentials of the "TURN REST API" (draft-uberti-behave-turn-rest-00,
/// as coturn's `use-auth-secret`/`static-auth-secret` implements it): the user name is
/// `"<expiry>:<name>"` (expiry in Unix seconds) and the password is
/// base64(HMAC-SHA1(secret, username)). Used as RFC 8489 §9.2 long-term credentials.
public struct TURNRESTCredentials: Hashable, Sendable {
    /// `"<expiry>:<name>"`.
    public var username: String
    /// base64(HMAC-SHA1(secret, username)).
    public var password: String

    /// Derives credentials valid until `expiry` (Unix seconds; the caller reads the clock, so
    /// this stays pure) for `name` from the server's shared `secret`.
    public init(secret: String, name: String, expiry: UInt64) {
        let username = name.isEmpty ? "\(expiry)" : "\(expiry):\(name)"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(username.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        self.username = username
        self.password = base64(Array(mac))
    }
}

/// Standard base64 with padding (RFC 4648 §4).
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i < bytes.count {
        let b0 = UInt32(bytes[i])
        let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
        let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
        let v = b0 << 16 | b1 << 8 | b2
        out.append(alphabet[Int(v >> 18 & 63)])
        out.append(alphabet[Int(v >> 12 & 63)])
        out.append(i + 1 < bytes.count ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
        out.append(i + 2 < bytes.count ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
        i += 3
    }
    return String(decoding: out, as: UTF8.self)
}
