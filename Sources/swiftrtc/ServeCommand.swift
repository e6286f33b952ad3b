import ArgumentParser
import Foundation
import Logging
import RTCSignalingServer

/// `swiftrtc serve`: the signaling server with rooms, TURN credentials and the demo page.
/// Runs on 127.0.0.1:8080 with no flags; flags override each setting.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the signaling server (WebSocket /ws, /health, /turn-credentials, demo page at /) and its SFU."
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Most peers in one room.")
    var maxRoomSize: Int = 16

    @Option(help: "Largest accepted signaling message in bytes.")
    var maxMessageBytes: Int = 64 * 1024

    @Option(help: "Sustained messages per second allowed per connection.")
    var rateLimit: Double = 100

    @Option(help: "Messages a connection may send at once (token bucket size).")
    var rateBurst: Double = 200

    @Option(help: "Require HMAC-signed join tokens made with this secret (env SWIFTRTC_JOIN_SECRET).")
    var joinSecret: String?

    @Option(help: "TURN REST shared secret (coturn static-auth-secret; env SWIFTRTC_TURN_SECRET).")
    var turnSecret: String?

    @Option(help: "TURN URI handed out with credentials (repeatable), e.g. turn:127.0.0.1:3478.")
    var turnURI: [String] = []

    @Option(help: "TURN credential lifetime in seconds.")
    var turnTTL: Int = 86_400

    @Option(help: "Serve static files from this folder instead of the bundled demo page.")
    var publicDir: String?

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "Bound of each connection's outbound queue in bytes; a client over it gets queue_overflow and is disconnected.")
    var maxQueuedBytes: Int = 256 * 1024

    @Option(help: "Share rooms with other instances through PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (env SWIFTRTC_CLUSTER). Without it, rooms live in this process and no database is needed.")
    var cluster: String?

    @Option(help: ArgumentHelp("Cluster mode: the WebSocket URL clients reach this instance at, e.g. wss://sfu-2.example.com/ws (env SWIFTRTC_PUBLIC_URL).",
                               discussion: "An SFU room lives on one instance, its home; joins arriving elsewhere are redirected to the home's public URL. Without it, joins of the SFU rooms homed here that arrive at other instances are refused with home_unavailable."))
    var publicURL: String?

    @Option(help: "Cluster mode: seconds between this instance's heartbeats.")
    var heartbeatInterval: Double = 1

    @Option(help: "Cluster mode: seconds without a heartbeat after which an instance is dead and its members leave their rooms.")
    var heartbeatTimeout: Double = 5

    @Option(name: .customLong("sfu-ip"),
            help: ArgumentHelp("IP address the SFU's UDP socket binds (repeatable); members of SFU rooms reach the server there.",
                               discussion: "Default: --host, or 127.0.0.1 when --host is a wildcard address. The port is ephemeral."))
    var sfuIPs: [String] = []

    @Flag(help: "Run no SFU: joins with \"mode\":\"sfu\" are refused with sfu_unavailable (mesh rooms only).")
    var noSFU = false

    @Option(help: "Log level of the records written to standard error.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        CommandLogging.bootstrap(level: logLevel)
        let environment = ProcessInfo.processInfo.environment
        var config = SignalingServerConfiguration()
        config.host = host
        config.port = port
        config.maxRoomSize = maxRoomSize
        config.maxMessageBytes = maxMessageBytes
        config.rateLimit = SignalingRateLimit(messagesPerSecond: rateLimit, burst: rateBurst)
        config.joinTokenSecret = joinSecret ?? environment["SWIFTRTC_JOIN_SECRET"]
        if let secret = turnSecret ?? environment["SWIFTRTC_TURN_SECRET"] {
            guard !turnURI.isEmpty else { throw ValidationError("--turn-secret needs at least one --turn-uri") }
            config.turn = TURNConfiguration(secret: secret, uris: turnURI, ttl: turnTTL)
        }
        config.publicDirectory = publicDir
        config.eventLoopThreads = threads
        config.maxQueuedBytes = maxQueuedBytes
        if let url = cluster ?? environment["SWIFTRTC_CLUSTER"], !url.isEmpty {
            guard heartbeatInterval > 0, heartbeatTimeout > heartbeatInterval else {
                throw ValidationError("--heartbeat-timeout must be longer than --heartbeat-interval (both in seconds, > 0)")
            }
            let publicURL = publicURL ?? environment["SWIFTRTC_PUBLIC_URL"]
            if let publicURL, !publicURL.isEmpty {
                guard let scheme = URLComponents(string: publicURL)?.scheme, scheme == "ws" || scheme == "wss" else {
                    throw ValidationError("--public-url must be a ws:// or wss:// URL (the WebSocket clients reach this instance at)")
                }
            }
            config.cluster = SignalingClusterConfiguration(databaseURL: url, heartbeatInterval: .milliseconds(Int64(heartbeatInterval * 1000)),
                                                           heartbeatTimeout: .milliseconds(Int64(heartbeatTimeout * 1000)),
                                                           publicURL: publicURL?.isEmpty == false ? publicURL : nil)
        } else if publicURL != nil {
            throw ValidationError("--public-url is for cluster mode (--cluster or SWIFTRTC_CLUSTER)")
        }
        if !noSFU {
            let wildcard = ["0.0.0.0", "::", "[::]"].contains(host) || host == "localhost"
            config.sfu = SignalingSFUConfiguration(addresses: sfuIPs.isEmpty ? [wildcard ? "127.0.0.1" : host] : sfuIPs)
        }
        let logger = CommandLogging.logger("swiftrtc.serve", level: logLevel)
        let server = SignalingServer(configuration: config, logger: logger)
        do {
            try await server.run(handleSignals: true)
        } catch let error as SignalingSFUError {
            logger.critical("cannot start the SFU", metadata: ["reason": "\(error)"])
            FileHandle.standardError.write(Data("swiftrtc serve: \(error) (or run with --no-sfu)\n".utf8))
            throw ExitCode(78)
        } catch let error as SignalingClusterError {
            // A clear message and a distinct exit status: 69 (EX_UNAVAILABLE) when the database
            // cannot be reached, 78 (EX_CONFIG) when the URL or the schema is wrong.
            logger.critical("cannot start in cluster mode", metadata: ["reason": "\(error)"])
            FileHandle.standardError.write(Data("swiftrtc serve: \(error)\n".utf8))
            switch error {
            case .databaseUnreachable, .databaseError: throw ExitCode(69)
            case .invalidDatabaseURL, .schemaTooNew: throw ExitCode(78)
            }
        }
    }
}
