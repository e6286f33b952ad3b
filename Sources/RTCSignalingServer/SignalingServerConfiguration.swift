/// Everything a ``SignalingServer`` needs; every field has a default, so
/// `SignalingServerConfiguration()` is a working server on 127.0.0.1:8080 (what
/// `swiftrtc serve` runs without flags).
public struct SignalingServerConfiguration: Sendable {
    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// TCP port to listen on; 0 picks a free port (see ``SignalingServer/waitUntilRunning()``).
    public var port: Int = 8080
    /// Most peers in one room.
    public var maxRoomSize: Int = 16
    /// Largest accepted signaling message in bytes (bigger ones get `message_too_large`).
    public var maxMessageBytes: Int = 64 * 1024
    /// Per-connection rate limit.
    public var rateLimit: SignalingRateLimit = .init()
    /// When set, `join` needs a ``SignalingJoinToken`` signed with this secret (off by default).
    public var joinTokenSecret: String?
    /// When set, `GET /turn-credentials?user=NAME` hands out TURN REST credentials.
    public var turn: TURNConfiguration?
    /// Folder served as static files at `/`; `nil` serves the bundled demo page.
    public var publicDirectory: String?
    /// Bound of each connection's outbound queue in bytes (messages waiting while the client
    /// does not read; each counts its length plus 64 bytes). A message that does not fit closes
    /// the connection with a `queue_overflow` error.
    public var maxQueuedBytes: Int = 256 * 1024
    /// Event-loop threads serving connections; `nil` uses NIO's shared group (one per core).
    /// One thread avoids cross-thread hand-offs when the host has few cores to spare.
    public var eventLoopThreads: Int?
    /// How long to wait for a client's close frame before dropping the connection.
    public var webSocketCloseTimeout: Duration = .seconds(5)
    /// How long a new connection may take to send its first request head (the WebSocket upgrade
    /// or a page's GET); one that has not by then is closed, so clients that connect and send
    /// nothing, or trickle a head byte by byte, cannot pile up.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// When set, this instance shares its rooms with other instances through PostgreSQL
    /// (`docs/cluster.md`); `nil` (the default) keeps rooms in this process, no database.
    public var cluster: SignalingClusterConfiguration?
    /// When set, the server runs an SFU: rooms joined with `"mode":"sfu"` are served by it
    /// (`docs/signaling-protocol.md`; with ``cluster``, the rooms whose home is this instance,
    /// `docs/cluster.md`). `nil` (the default) refuses such joins with `sfu_unavailable`;
    /// `swiftrtc serve` sets it unless `--no-sfu`.
    public var sfu: SignalingSFUConfiguration?
    /// Test configurations only: when set, `POST /test-report` passes each request body here
    /// (the browser demo-page test reports its results this way). `nil` disables the route.
    public var testReportHandler: (@Sendable (String) -> Void)?

    /// Creates the default configuration.
    public init() {}

    /// The room rules derived from this configuration.
    public var hubConfiguration: SignalingHubConfiguration {
        SignalingHubConfiguration(maxRoomSize: maxRoomSize, maxMessageBytes: maxMessageBytes,
                                  rateLimit: rateLimit, joinTokenSecret: joinTokenSecret,
                                  membership: cluster == nil ? .local : .directory,
                                  sfuAvailable: sfu != nil)
    }
}
