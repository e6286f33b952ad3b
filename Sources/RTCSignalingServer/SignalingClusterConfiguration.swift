import Foundation

/// Several `swiftrtc serve` instances sharing their rooms through PostgreSQL
/// (`swiftrtc serve --cluster postgres://…`, `docs/cluster.md`).
public struct SignalingClusterConfiguration: Sendable, Equatable {
    /// The database, as a URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
    public var databaseURL: String
    /// How often this instance tells the database it is alive (and reaps dead instances).
    public var heartbeatInterval: Duration
    /// An instance whose heartbeat is older than this is dead: its members leave their rooms.
    public var heartbeatTimeout: Duration
    /// First delay before reconnecting to a database that was lost; doubles up to ``maxReconnectDelay``.
    public var reconnectDelay: Duration
    /// Longest delay between reconnect attempts.
    public var maxReconnectDelay: Duration
    /// Timeout of each attempt to open a database connection.
    public var connectTimeout: Duration
    /// The WebSocket URL clients reach this instance at (e.g. `wss://sfu-2.example.com/ws`),
    /// recorded in the database: a join of an SFU room whose home is this instance, arriving at
    /// another one, is redirected here. `nil`: such joins get `home_unavailable` instead (this
    /// instance still serves the SFU rooms it is the home of to clients that connect to it).
    public var publicURL: String?

    /// A cluster configuration: heartbeat every second, dead after 5 s, reconnect back-off
    /// from 0.5 s to 10 s, no public URL.
    public init(databaseURL: String, heartbeatInterval: Duration = .seconds(1), heartbeatTimeout: Duration = .seconds(5),
                reconnectDelay: Duration = .milliseconds(500), maxReconnectDelay: Duration = .seconds(10),
                connectTimeout: Duration = .seconds(5), publicURL: String? = nil) {
        self.publicURL = publicURL
        self.databaseURL = databaseURL
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
        self.connectTimeout = connectTimeout
    }
}

/// Why the cluster backend could not start or keep going.
public enum SignalingClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database URL cannot be used (the reason says what is wrong).
    case invalidDatabaseURL(String)
    /// The database could not be reached or refused us (`endpoint` has no password).
    case databaseUnreachable(endpoint: String, reason: String)
    /// The database's SwiftRTC schema is newer than this server knows: upgrade the server.
    case schemaTooNew(found: Int, supported: Int)
    /// A statement of the cluster's schema or protocol failed.
    case databaseError(String)

    /// What happened and what to do.
    public var description: String {
        switch self {
        case .invalidDatabaseURL(let reason):
            "invalid cluster database URL: \(reason) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)"
        case .databaseUnreachable(let endpoint, let reason):
            "cannot reach the cluster database at \(endpoint): \(reason)"
        case .schemaTooNew(let found, let supported):
            "the cluster database has SwiftRTC schema version \(found); this server supports up to \(supported): upgrade swiftrtc"
        case .databaseError(let reason):
            "cluster database error: \(reason)"
        }
    }
}
