import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import RTCCore
import RTCSFU
import RTCSignaling
import ServiceLifecycle
import UnixSignals

/// The signaling server: Hummingbird HTTP + WebSocket on top of a ``SignalingHub``.
///
/// Routes: `GET /ws` (the JSON protocol, `docs/signaling-protocol.md`), `GET /health`,
/// `GET /turn-credentials?user=NAME` (when TURN is configured), and static files (the demo
/// page) at `/`. On graceful shutdown (SIGINT/SIGTERM or ``shutdown()``) every client gets
/// `{"type":"shutdown"}` and a close frame before the HTTP server stops.
public actor SignalingServer {
    /// The configuration the server runs with.
    public nonisolated let configuration: SignalingServerConfiguration
    private let logger: Logger
    private let connections: SignalingConnections
    private let outbox: SignalingClusterOutbox?
    /// The SFU for SFU rooms (``SignalingServerConfiguration/sfu``; in cluster mode, for the
    /// rooms whose home is this instance).
    private let sfu: SignalingSFU?
    private let sfuFailure: SignalingSFUError?
    private var cluster: SignalingCluster?
    private var group: ServiceGroup?
    private var port: Int?
    private var portWaiters: [CheckedContinuation<Int, any Error>] = []
    private var finished = false
    /// Why ``run(handleSignals:)`` ended before listening (what ``waitUntilRunning()`` throws).
    private var startFailure: (any Error)?

    /// Creates a server (it starts with ``run(handleSignals:)``).
    public init(configuration: SignalingServerConfiguration = .init(), logger: Logger = Logger(label: "swiftrtc.signaling")) {
        self.configuration = configuration
        self.logger = logger
        let outbox = configuration.cluster == nil ? nil : SignalingClusterOutbox()
        self.outbox = outbox
        var sfu: SignalingSFU?
        var sfuFailure: SignalingSFUError?
        if let sfuConfiguration = configuration.sfu, configuration.hubConfiguration.sfuAvailable {
            do {
                sfu = try SignalingSFU(configuration: sfuConfiguration, maxRoomSize: configuration.maxRoomSize, logger: logger)
            } catch {
                sfuFailure = error
            }
        }
        self.sfu = sfu
        self.sfuFailure = sfuFailure
        self.connections = SignalingConnections(configuration: configuration.hubConfiguration,
                                                maxQueuedBytes: configuration.maxQueuedBytes, logger: logger, outbox: outbox,
                                                sfu: sfu)
    }

    /// The UDP addresses the SFU serves members on (empty without an SFU, or before it runs).
    public func sfuAddresses() async -> [TransportAddress] {
        await sfu?.edge.localAddresses ?? []
    }

    /// The server's SFU (nil without one): its statistics, bitrate caps and layer choice.
    public var sfuEdge: SFUEdge? { sfu?.edge }

    /// Runs until graceful shutdown (SIGINT/SIGTERM when `handleSignals`, or ``shutdown()``).
    ///
    /// With ``SignalingServerConfiguration/cluster`` it first connects to the database and
    /// migrates its schema; it throws ``SignalingClusterError`` (and does not listen) when it cannot.
    /// With ``SignalingServerConfiguration/sfu`` it first binds the SFU's UDP socket; it throws
    /// ``SignalingSFUError`` when it cannot.
    public func run(handleSignals: Bool = true) async throws {
        var services: [any Service] = []
        if let sfuFailure {
            markFinished(sfuFailure)
            throw sfuFailure
        }
        if let sfu {
            do {
                try await sfu.start()
            } catch {
                markFinished(error)
                throw error
            }
            services.append(SignalingSFUService(sfu: sfu, connections: connections))
        }
        if let clusterConfiguration = configuration.cluster, let outbox {
            let cluster: SignalingCluster
            let first: SignalingCluster.Session
            do {
                cluster = try SignalingCluster(configuration: clusterConfiguration, connections: connections, outbox: outbox,
                                               maxRoomSize: configuration.maxRoomSize, logger: logger)
                first = try await cluster.start(address: "\(configuration.host):\(configuration.port)")
            } catch {
                markFinished(error)
                throw error
            }
            self.cluster = cluster
            services.append(SignalingClusterService(cluster: cluster, first: first))
        }
        let app = makeApplication()
        let notifier = ShutdownNotifier(connections: connections, logger: logger)
        // Services shut down in reverse order: the notifier closes every WebSocket first,
        // then the HTTP server stops, then the cluster leaves the database.
        let group = ServiceGroup(
            services: services + [app, notifier],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        self.group = group
        do {
            try await group.run()
        } catch {
            markFinished(error)
            throw error
        }
        markFinished(nil)
    }

    /// Starts a graceful shutdown: clients are told, connections closed, the server stops.
    public func shutdown() async {
        await group?.triggerGracefulShutdown()
    }

    /// Waits until the server listens and returns its TCP port. Throws why the server ended
    /// when it stopped first (the database unreachable, the SFU's socket not bound, …), or
    /// `CancellationError` when it was shut down before listening.
    public func waitUntilRunning() async throws -> Int {
        if let port { return port }
        if finished { throw startFailure ?? CancellationError() }
        return try await withCheckedThrowingContinuation { portWaiters.append($0) }
    }

    /// Current room/peer/relay counters.
    public func stats() async -> SignalingHubStats {
        connections.stats
    }

    /// The cluster as this instance sees it; `nil` without ``SignalingServerConfiguration/cluster``.
    public func clusterStatus() async -> SignalingClusterStatus? {
        cluster?.status
    }

    /// Outbound-queue counters: the largest queue seen and overflow disconnects.
    public func queueStats() async -> SignalingQueueStats {
        connections.queueStats
    }

    private func started(port: Int) {
        self.port = port
        logger.info("signaling server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        for waiter in portWaiters { waiter.resume(returning: port) }
        portWaiters.removeAll()
    }

    private func markFinished(_ failure: (any Error)?) {
        finished = true
        if port == nil, startFailure == nil { startFailure = failure }
        for waiter in portWaiters { waiter.resume(throwing: failure ?? CancellationError()) }
        portWaiters.removeAll()
    }

    // MARK: - Routes

    private func makeApplication() -> some ApplicationProtocol {
        let configuration = self.configuration
        let connections = self.connections
        let logger = self.logger
        let cluster = self.cluster

        let router = Router()
        router.add(middleware: FileMiddleware(Self.publicDirectory(configuration), searchForIndexHtml: true, logger: logger))
        router.get("/health") { _, _ -> Response in
            let stats = connections.stats
            guard let cluster else {
                return Self.json(HealthReport(status: "ok", connections: stats.connections, rooms: stats.rooms,
                                              peers: stats.peers, messagesRelayed: stats.messagesRelayed))
            }
            let status = cluster.status
            let report = HealthReport(status: status.healthy ? "ok" : "unavailable", connections: stats.connections,
                                      rooms: stats.rooms, peers: stats.peers, messagesRelayed: stats.messagesRelayed,
                                      cluster: ClusterHealth(status, rooms: stats.rooms, members: stats.members))
            return Self.json(report, status: status.healthy ? .ok : .serviceUnavailable)
        }
        router.get("/turn-credentials") { request, _ -> Response in
            guard let turn = configuration.turn else {
                return Self.json(HTTPError(error: "TURN is not configured on this server"), status: .notFound)
            }
            guard let user = request.uri.queryParameters.get("user"), !user.isEmpty, user.utf8.count <= 128,
                  !user.contains(":") else {
                return Self.json(HTTPError(error: "query parameter \"user\" is required (1…128 bytes, no ':')"), status: .badRequest)
            }
            return Self.json(TURNCredentials.make(secret: turn.secret, user: user, ttl: turn.ttl, uris: turn.uris,
                                                  unixTime: Int64(Date().timeIntervalSince1970)))
        }
        if let handler = configuration.testReportHandler {
            router.post("/test-report") { request, _ -> HTTPResponse.Status in
                let body = try await request.body.collect(upTo: 1 << 20)
                handler(String(buffer: body))
                return .noContent
            }
        }

        let maxFrameSize = max(configuration.maxMessageBytes * 4, 1 << 20)
        let closeTimeout = TimeAmount(configuration.webSocketCloseTimeout)
        let requestHeadTimeout = TimeAmount(configuration.requestHeadTimeout)
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                SignalingChildChannel(responder: responder, connections: connections,
                                      maxFrameSize: maxFrameSize, closeTimeout: closeTimeout, requestHeadTimeout: requestHeadTimeout)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "swiftrtc"),
            onServerRunning: { [weak self] channel in
                await cluster?.waitUntilRegistered()
                await self?.started(port: channel.localAddress?.port ?? 0)
            },
            // A group of our own lives as long as the process (servers with it are long-lived).
            eventLoopGroupProvider: configuration.eventLoopThreads.map { .shared(MultiThreadedEventLoopGroup(numberOfThreads: max(1, $0))) } ?? .singleton,
            logger: logger
        )
    }

    private static func publicDirectory(_ configuration: SignalingServerConfiguration) -> String {
        if let dir = configuration.publicDirectory { return dir }
        return Bundle.module.resourceURL?.appendingPathComponent("Public").path ?? "Public"
    }

    private static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `GET /health` body.
struct HealthReport: Codable {
    var status: String
    var connections: Int
    var rooms: Int
    var peers: Int
    var messagesRelayed: UInt64
    var cluster: ClusterHealth?

    enum CodingKeys: String, CodingKey {
        case status, connections, rooms, peers, cluster
        case messagesRelayed = "messages_relayed"
    }
}

/// The `cluster` object of `GET /health` (cluster mode only).
struct ClusterHealth: Codable {
    var healthy: Bool
    var instance: String?
    var instances: Int
    var rooms: Int
    var members: Int
    var relayedOut: UInt64
    var relayedIn: UInt64
    var undeliverable: UInt64
    var databaseLosses: UInt64
    var lastError: String?

    init(_ status: SignalingClusterStatus, rooms: Int, members: Int) {
        self.rooms = rooms
        healthy = status.healthy
        instance = status.instance
        instances = status.instances
        self.members = members
        relayedOut = status.relayedOut
        relayedIn = status.relayedIn
        undeliverable = status.undeliverable
        databaseLosses = status.databaseLosses
        lastError = status.lastError
    }

    enum CodingKeys: String, CodingKey {
        case healthy, instance, instances, rooms, members, undeliverable
        case relayedOut = "relayed_out"
        case relayedIn = "relayed_in"
        case databaseLosses = "database_losses"
        case lastError = "last_error"
    }
}

/// Runs the cluster's database sessions as a service: it stops (leaving the cluster) after
/// the HTTP server has.
struct SignalingClusterService: Service {
    let cluster: SignalingCluster
    let first: SignalingCluster.Session

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await cluster.run(first: first)
        }
    }
}

/// Runs the SFU's task as a service: it stops (closing every member's session and the socket)
/// after the HTTP server has.
struct SignalingSFUService: Service {
    let sfu: SignalingSFU
    let connections: SignalingConnections

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await sfu.run(connections: connections)
        }
    }
}

/// JSON body of an HTTP error.
struct HTTPError: Codable {
    var error: String
}

/// Waits for graceful shutdown, then tells every client and closes their connections.
struct ShutdownNotifier: Service {
    let connections: SignalingConnections
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let (closed, deliveries) = connections.shutdown()
        SignalingDeliveryBatch.dispatchDetached(deliveries)
        logger.info("signaling server shutting down", metadata: ["clients_notified": "\(closed)"])
        // Give clients a moment to complete the close handshake before the HTTP server stops.
        for _ in 0..<50 where connections.openCount > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
