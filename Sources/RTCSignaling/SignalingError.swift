/// The `code` of a server `{"type":"error"}` reply (see `docs/signaling-protocol.md`).
public enum SignalingErrorCode: String, Sendable, Codable, CaseIterable {
    /// The message is not a JSON object with a string `type` field.
    case malformedJSON = "malformed_json"
    /// The `type` is not part of the protocol, or is one only the server sends.
    case unknownType = "unknown_type"
    /// A known type with missing or mistyped fields, or an invalid peer/room id.
    case invalidMessage = "invalid_message"
    /// The message is larger than the server's `maxMessageBytes`.
    case messageTooLarge = "message_too_large"
    /// A message other than `join` arrived before `join`.
    case notJoined = "not_joined"
    /// `join` arrived on a connection that is already in a room (send `leave` first).
    case alreadyJoined = "already_joined"
    /// Another connection in the room already uses this peer id.
    case duplicatePeerID = "duplicate_peer_id"
    /// The room has reached the server's size limit.
    case roomFull = "room_full"
    /// The `target` is not a member of the sender's room.
    case unknownTarget = "unknown_target"
    /// Join tokens are required and the token is missing, malformed or wrongly signed.
    case unauthorized = "unauthorized"
    /// The join token's expiry time has passed.
    case tokenExpired = "token_expired"
    /// The client sends faster than the server's rate limit; repeated abuse closes the connection.
    case rateLimited = "rate_limited"
    /// The server could not send to this client fast enough: more than its per-connection
    /// bound of outbound bytes was waiting (the client does not read). The server closes the
    /// connection (close code 1008) right after this error.
    case queueOverflow = "queue_overflow"
    /// The server cannot reach the room directory it shares with other server instances
    /// (a cluster's database): nothing was stored or relayed. The server closes the connection
    /// (close code 1013, try again later); reconnect — to any instance — and join again.
    case unavailable = "unavailable"
    /// `join` asked for another ``SignalingRoomMode`` than the room has (a mesh room joined
    /// with `"mode":"sfu"`, or the other way round).
    case roomModeMismatch = "room_mode_mismatch"
    /// `join` asked for an SFU room and this server runs no SFU (started without it).
    case sfuUnavailable = "sfu_unavailable"
    /// Cluster mode: `join` asked for an SFU room whose home is another server instance, and
    /// that instance has no public URL to send the client to (it was started without
    /// `--public-url`), so the join can be neither served here nor redirected.
    case homeUnavailable = "home_unavailable"
    /// In an SFU room: the server could not apply the member's description or candidate
    /// (malformed SDP, an unsupported offer). The member's connection to the server stays as it was.
    case negotiationFailed = "negotiation_failed"
    /// A code this client does not know (sent by a newer server).
    case unknown = "unknown"
}

/// A protocol rule was broken: the typed form of a server `error` reply, used by the server
/// (`SignalingHub` in RTCSignalingServer) when it refuses a message and by ``SignalingClient``
/// when it receives one.
public struct SignalingProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What rule was broken.
    public var code: SignalingErrorCode
    /// A human-readable explanation (what was wrong and where).
    public var message: String

    /// Creates an error.
    public init(_ code: SignalingErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }

    /// The `{"type":"error"}` message that reports this error to a client.
    public var asMessage: SignalingMessage { .error(code: code, message: message) }
}
