import RTCSignaling
import RTCTURN

/// The server's side of RTCSignaling's ``TURNCredentials`` (the one JSON body of
/// `GET /turn-credentials`): deriving them with RTCTURN's ``TURNRESTCredentials``
/// (`"<expiry>:<user>"`, base64(HMAC-SHA1(secret, username)), as coturn checks them with
/// `use-auth-secret`).
extension TURNCredentials {
    /// Wraps REST credentials derived by RTCTURN with their lifetime and URIs.
    public init(_ credentials: TURNRESTCredentials, ttl: Int, uris: [String]) {
        self.init(username: credentials.username, password: credentials.password, ttl: ttl, uris: uris)
    }

    /// Makes credentials for `user` (non-empty; the server refuses an empty one), valid for
    /// `ttl` seconds from `unixTime`: ``TURNRESTCredentials`` expiring at `unixTime + ttl`
    /// (clamped to 0 if that is negative).
    public static func make(secret: String, user: String, ttl: Int, uris: [String], unixTime: Int64) -> TURNCredentials {
        let expiry = UInt64(clamping: unixTime + Int64(ttl))
        return TURNCredentials(TURNRESTCredentials(secret: secret, name: user, expiry: expiry), ttl: ttl, uris: uris)
    }
}

/// The TURN settings of a signaling server: a shared secret (coturn `static-auth-secret`),
/// the URIs handed to clients and the credential lifetime.
public struct TURNConfiguration: Sendable, Equatable {
    /// The secret shared with the TURN server.
    public var secret: String
    /// TURN URIs given to clients (RFC 7065).
    public var uris: [String]
    /// Credential lifetime in seconds.
    public var ttl: Int

    /// Creates a TURN configuration (default lifetime one day).
    public init(secret: String, uris: [String], ttl: Int = 86_400) {
        self.secret = secret
        self.uris = uris
        self.ttl = ttl
    }
}
