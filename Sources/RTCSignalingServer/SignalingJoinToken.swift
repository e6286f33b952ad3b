import Crypto
import Foundation
import RTCSignaling

/// HMAC-signed join tokens with an expiry (optional server authentication, off by default).
///
/// A token is `"<expiry>.<signature>"` where `expiry` is a Unix time in seconds and
/// `signature` is the lowercase hex HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the server's
/// join secret over `"<expiry>\n<room_id>\n<peer_id>"`. The application's backend mints tokens
/// with ``make(secret:peerID:roomID:expiry:)``; the server checks them on `join`.
public enum SignalingJoinToken {
    /// Mints a token allowing `peerID` to join `roomID` until `expiry` (Unix seconds).
    public static func make(secret: String, peerID: String, roomID: String, expiry: Int64) -> String {
        "\(expiry).\(signature(secret: secret, peerID: peerID, roomID: roomID, expiry: expiry))"
    }

    /// Checks `token` for `peerID`/`roomID` at `unixTime`; throws `.unauthorized` for a missing,
    /// malformed or wrongly signed token and `.tokenExpired` when it has expired.
    public static func verify(_ token: String?, secret: String, peerID: String, roomID: String,
                              unixTime: Int64) throws(SignalingProtocolError) {
        guard let token, !token.isEmpty else {
            throw SignalingProtocolError(.unauthorized, "this server requires a join token (\"token\" field)")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let expiry = Int64(parts[0]), parts[1].utf8.count == 64 else {
            throw SignalingProtocolError(.unauthorized, "the join token is malformed (expected \"<expiry>.<hex signature>\")")
        }
        let expected = signature(secret: secret, peerID: peerID, roomID: roomID, expiry: expiry)
        // Constant-time comparison of the two hex strings.
        var difference: UInt8 = 0
        for (a, b) in zip(expected.utf8, parts[1].utf8) { difference |= a ^ b }
        guard difference == 0 else {
            throw SignalingProtocolError(.unauthorized, "the join token's signature does not match this peer id and room")
        }
        guard expiry > unixTime else {
            throw SignalingProtocolError(.tokenExpired, "the join token expired at \(expiry) (now \(unixTime))")
        }
    }

    private static func signature(secret: String, peerID: String, roomID: String, expiry: Int64) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(expiry)\n\(roomID)\n\(peerID)".utf8), using: key)
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
