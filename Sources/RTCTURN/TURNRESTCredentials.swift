import Crypto
import RTCCore

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
        self.password = Base64.encode(Array(mac))
    }
}
