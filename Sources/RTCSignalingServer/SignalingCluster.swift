import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import RTCSignaling
import ServiceLifecycle

/// What `/health` and metrics report about the cluster, as this instance sees it.
public struct SignalingClusterStatus: Sendable, Equatable {
    /// `true` while the database is reachable and this instance is registered.
    public var healthy: Bool
    /// This instance's id in the cluster (a new one per database session), `nil` while unhealthy.
    public var instance: String?
    /// Live instances, at the last heartbeat.
    public var instances: Int
    /// Messages sent to members on other instances.
    public var relayedOut: UInt64
    /// Messages from other instances delivered to clients here.
    public var relayedIn: UInt64
    /// Messages from other instances whose target was not here any more (the sender was told).
    public var undeliverable: UInt64
    /// Times the database was lost while running.
    public var databaseLosses: UInt64
    /// The last database problem, if any.
    public var lastError: String?
}

/// The PostgreSQL backend of ``SignalingMembership/directory``: registers this instance with
/// a heartbeat, stores joins and leaves, carries messages to members on other instances with
/// LISTEN/NOTIFY (a table row when a message is larger than NOTIFY takes), removes the members
/// of dead instances, and reconnects with back-off when the database goes away. See
/// `docs/cluster.md`.
///
/// One database session uses three connections: one LISTENs on this instance's channel
/// (membership events and messages, in commit order), one runs directory requests one at a
/// time (so a connection's leave and join keep their order), one sends messages in batches.
final class SignalingCluster: Sendable {
    struct Session: Sendable {
        let id: String
        let listener: PostgresConnection
        let directory: PostgresConnection
        let sender: PostgresConnection
        /// Why the session was ended from outside its tasks (a heartbeat the database did not
        /// answer): closing the connections fails every task, and this is the reason to report
        /// rather than the first task's "connection closed".
        let endedBecause = NIOLockedValueBox<String?>(nil)

        func close() async {
            for connection in [listener, directory, sender] { try? await connection.close() }
        }
    }

    /// Raised inside a session when it must end (the database went away or dropped us).
    struct SessionLost: Error, CustomStringConvertible {
        var description: String
    }

    let configuration: SignalingClusterConfiguration
    private let postgres: PostgresConnection.Configuration
    private let endpoint: String
    private let connections: SignalingConnections
    private let outbox: SignalingClusterOutbox
    let logger: Logger
    private let maxRoomSize: Int
    private let address: NIOLockedValueBox<String>
    private let statusBox = NIOLockedValueBox(SignalingClusterStatus(healthy: false, instance: nil, instances: 0, relayedOut: 0,
                                                                     relayedIn: 0, undeliverable: 0, databaseLosses: 0, lastError: nil))
    private let noticeSequence = NIOLockedValueBox<UInt64>(0)
    private let metrics = SignalingClusterMetrics()
    /// NOTIFY payloads must stay under 8000 bytes; longer notices go through `swiftrtc_relay`.
    static let maxNotifyBytes = 7900

    init(configuration: SignalingClusterConfiguration, connections: SignalingConnections, outbox: SignalingClusterOutbox,
         maxRoomSize: Int, logger: Logger) throws(SignalingClusterError) {
        self.configuration = configuration
        (postgres, endpoint) = try Self.parse(configuration.databaseURL, connectTimeout: configuration.connectTimeout)
        self.connections = connections
        self.outbox = outbox
        self.maxRoomSize = maxRoomSize
        self.logger = logger
        self.address = NIOLockedValueBox("")
    }

    var status: SignalingClusterStatus { statusBox.withLockedValue { $0 } }

    /// Waits until this instance has registered (or the task is cancelled): the server says
    /// it is listening only then, so a client that connects at once can join.
    func waitUntilRegistered() async {
        while !Task.isCancelled, statusBox.withLockedValue({ $0.instance == nil && $0.databaseLosses == 0 }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: - Lifecycle

    /// Connects, migrates the schema and returns the first session's connections; throws
    /// when the database cannot be used (the server does not start then).
    func start(address: String) async throws(SignalingClusterError) -> Session {
        self.address.withLockedValue { $0 = address }
        do {
            let session = try await connect()
            do {
                try await migrate(session.directory)
            } catch {
                await session.close()
                throw error
            }
            return session
        } catch let error as SignalingClusterError {
            throw error
        } catch {
            throw .databaseUnreachable(endpoint: endpoint, reason: Self.describe(error))
        }
    }

    /// Runs sessions until graceful shutdown: a lost database makes the instance unhealthy
    /// (its room members are disconnected and joins refused) and it reconnects with back-off.
    func run(first: Session) async {
        var session: Session? = first
        var delay = configuration.reconnectDelay
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if session == nil {
                do {
                    let next = try await connect()
                    do {
                        try await migrate(next.directory)
                    } catch {
                        // The connections (and any advisory lock they hold) go with the attempt.
                        await next.close()
                        throw error
                    }
                    session = next
                    delay = configuration.reconnectDelay
                } catch {
                    note(error: "reconnecting failed: \(Self.describe(error))")
                    logger.warning("cluster database still unreachable; retrying", metadata: [
                        "endpoint": "\(endpoint)", "in": "\(delay)", "error": "\(Self.describe(error))"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, configuration.maxReconnectDelay)
                    continue
                }
            }
            guard let current = session else { continue }
            session = nil
            let reason = await runSessionBoundedOnShutdown(current)
            if Task.isCancelled || Task.isShuttingDownGracefully {
                await deregister(current)
                await current.close()
                break
            }
            await current.close()
            lost(reason: reason)
            try? await Task.sleep(for: delay)
        }
        statusBox.withLockedValue { $0.healthy = false; $0.instance = nil }
    }

    /// The database went away (or dropped this instance): unhealthy until the next session.
    private func lost(reason: String) {
        logger.error("cluster database lost: members disconnected, joins refused until it is back", metadata: [
            "endpoint": "\(endpoint)", "reason": "\(reason)"])
        statusBox.withLockedValue {
            $0.healthy = false
            $0.instance = nil
            $0.databaseLosses += 1
            $0.lastError = reason
        }
        metrics.healthy.record(0)
        connections.applyDirectory { $0.directoryLost() }
        // Requests queued for the lost session are void: the hub has forgotten their connections.
        _ = outbox.takeRequests()
        for notice in outbox.takeNotices() {
            if case .relay(let relay) = notice { refuseLocally(relay.origin) }
        }
    }

    private func note(error: String) {
        statusBox.withLockedValue { $0.lastError = error }
    }

    /// One database session: register, load the rooms, then heartbeat, run requests, send
    /// and receive notices until something fails. Returns why it ended.
    func runSession(_ session: Session) async -> String {
        let channel = "swiftrtc_\(session.id)"
        do {
            return try await session.listener.listen(on: channel) { notifications in
                let members = try await register(session)
                connections.applyDirectory { hub in
                    hub.directoryReset(instance: session.id, members: members)
                    return []
                }
                statusBox.withLockedValue { $0.healthy = true; $0.instance = session.id; $0.lastError = nil }
                metrics.healthy.record(1)
                logger.info("joined the cluster", metadata: ["instance": "\(session.id)", "members": "\(members.count)",
                                                             "endpoint": "\(endpoint)"])
                let signals = outbox.makeSignals()
                return try await withThrowingTaskGroup(of: String.self) { group in
                    group.addTask { try await self.heartbeats(session) }
                    group.addTask { try await self.directoryRequests(session, wakeUps: signals.requests) }
                    group.addTask { try await self.sendNotices(session, wakeUps: signals.notices) }
                    group.addTask {
                        for try await notification in notifications {
                            try await self.received(notification.payload, session: session)
                        }
                        return "the notification stream ended"
                    }
                    let reason = try await group.next() ?? "session ended"
                    group.cancelAll()
                    return session.endedBecause.withLockedValue { $0 } ?? reason
                }
            }
        } catch let error as CancellationError {
            return session.endedBecause.withLockedValue { $0 } ?? "\(error)"
        } catch {
            return session.endedBecause.withLockedValue { $0 } ?? Self.describe(error)
        }
    }

    private func connect() async throws -> Session {
        let id = Self.makeInstanceID()
        var logger = self.logger
        logger[metadataKey: "instance"] = "\(id)"
        let group = MultiThreadedEventLoopGroup.singleton
        var opened: [PostgresConnection] = []
        do {
            for n in 0..<3 {
                opened.append(try await PostgresConnection.connect(on: group.any(), configuration: postgres, id: n, logger: logger))
            }
        } catch {
            for connection in opened { try? await connection.close() }
            throw error
        }
        return Session(id: id, listener: opened[0], directory: opened[1], sender: opened[2])
    }

    private func migrate(_ connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: SignalingClusterSchema.migrationLock), logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: SignalingClusterSchema.create), logger: logger)
            var found = 0
            for try await version in try await connection.query(PostgresQuery(unsafeSQL: SignalingClusterSchema.current),
                                                                 logger: logger).decode(Int32.self) {
                found = Int(version)
            }
            if found > SignalingClusterSchema.version {
                throw SignalingClusterError.schemaTooNew(found: found, supported: SignalingClusterSchema.version)
            }
            for version in (found + 1)..<(SignalingClusterSchema.version + 1) {
                try await connection.query("BEGIN", logger: logger)
                do {
                    for statement in SignalingClusterSchema.migrations[version] ?? [] {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO swiftrtc_schema (version) VALUES (\(Int32(version)))", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                logger.notice("cluster schema migrated", metadata: ["version": "\(version)"])
            }
        } catch {
            _ = try? await connection.query(PostgresQuery(unsafeSQL: SignalingClusterSchema.migrationUnlock), logger: logger)
            throw error
        }
        try await connection.query(PostgresQuery(unsafeSQL: SignalingClusterSchema.migrationUnlock), logger: logger)
    }

    private func register(_ session: Session) async throws -> [SignalingDirectoryMember] {
        let address = self.address.withLockedValue { $0 }
        let url = configuration.publicURL ?? ""
        let rows = try await session.directory.query("SELECT * FROM swiftrtc_register(\(session.id), \(address), \(url))", logger: logger)
        var members: [SignalingDirectoryMember] = []
        for try await (room, peer, instance, connection, seq, mode) in rows.decode((String, String, String, Int64, Int64, String).self) {
            members.append(SignalingDirectoryMember(roomID: room, peerID: peer, instance: instance,
                                                    connection: SignalingConnectionID(UInt64(bitPattern: connection)), seq: seq,
                                                    mode: SignalingRoomMode(rawValue: mode) ?? .mesh))
        }
        return members
    }

    // MARK: - Session tasks

    /// Heartbeats until the session fails. A heartbeat the database has not answered within
    /// the heartbeat timeout ends the session too: the other instances presume this one dead by
    /// then, and a database that stopped answering (frozen, or a connection left half-open)
    /// would otherwise hold the session, and this instance's clients, for ever. The session's
    /// connections are closed then, which fails every query still waiting on them.
    private func heartbeats(_ session: Session) async throws -> String {
        let timeout = configuration.heartbeatTimeout
        let timeoutMS = Int32(clamping: timeout.components.seconds * 1000
            + timeout.components.attoseconds / 1_000_000_000_000_000)
        let logger = self.logger
        while true {
            let watchdog = Task {
                try await Task.sleep(for: timeout)
                session.endedBecause.withLockedValue { $0 = $0 ?? "the database did not answer a heartbeat within \(timeout)" }
                logger.warning("the cluster database did not answer a heartbeat in time; closing its connections",
                               metadata: ["instance": "\(session.id)", "timeout": "\(timeout)"])
                await session.close()
            }
            var instances: Int32 = 0
            do {
                defer { watchdog.cancel() }
                for try await n in try await session.directory.query("SELECT swiftrtc_heartbeat(\(session.id), \(timeoutMS))",
                                                                    logger: logger).decode(Int32.self) {
                    instances = n
                }
            } catch {
                if let reason = session.endedBecause.withLockedValue({ $0 }) { throw SessionLost(description: reason) }
                throw error
            }
            if let reason = session.endedBecause.withLockedValue({ $0 }) { throw SessionLost(description: reason) }
            if instances < 0 {
                throw SessionLost(description: "this instance was presumed dead (its heartbeat was late) and removed")
            }
            statusBox.withLockedValue { $0.instances = Int(instances) }
            metrics.instances.record(Int(instances))
            try await Task.sleep(for: configuration.heartbeatInterval)
        }
    }

    private func directoryRequests(_ session: Session, wakeUps: AsyncStream<Void>) async throws -> String {
        for await _ in wakeUps {
            for request in outbox.takeRequests() {
                switch request {
                case .join(let connection, let roomID, let peerID, let mode):
                    var outcome = ""
                    for try await result in try await session.directory.query(
                        "SELECT swiftrtc_join(\(roomID), \(peerID), \(session.id), \(Int64(bitPattern: connection.rawValue)), \(Int32(clamping: maxRoomSize)), \(mode.rawValue))",
                        logger: logger).decode(String.self) {
                        outcome = result
                    }
                    if outcome.hasPrefix("redirect\t") {
                        let url = String(outcome.dropFirst("redirect\t".count))
                        connections.applyDirectory { $0.directoryJoinRedirected(connection, roomID: roomID, url: url) }
                        continue
                    }
                    let error: SignalingProtocolError
                    switch outcome {
                    case "ok": continue  // the join arrives as a notification, in the cluster's order
                    case "duplicate": error = SignalingProtocolError(.duplicatePeerID, "peer id \"\(peerID)\" is already in room \"\(roomID)\"")
                    case "full": error = SignalingProtocolError(.roomFull, "room \"\(roomID)\" is full (\(maxRoomSize) peers)")
                    case "mode":
                        let other: SignalingRoomMode = mode == .sfu ? .mesh : .sfu
                        error = SignalingProtocolError(.roomModeMismatch,
                                                       "room \"\(roomID)\" is a \(other.rawValue) room; join it with \"mode\":\"\(other.rawValue)\"")
                    case "nohome":
                        error = SignalingProtocolError(.homeUnavailable, "SFU room \"\(roomID)\" is served by another server instance, "
                            + "which has no public URL to send you to (start it with --public-url)")
                    case "stale":
                        // The home is this server's own registration before it lost the database:
                        // removed within the heartbeat timeout, then the room can be homed again.
                        error = SignalingProtocolError(.unavailable, "SFU room \"\(roomID)\" is still homed on this server's previous "
                            + "registration; reconnect and join again in a few seconds")
                    case "unregistered":
                        throw SessionLost(description: "this instance was presumed dead (its heartbeat was late) and removed")
                    default: throw SessionLost(description: "unexpected answer to a join: \(outcome)")
                    }
                    connections.applyDirectory { $0.directoryJoinRefused(connection, error: error) }
                case .leave(let roomID, let peerID):
                    try await session.directory.query("SELECT swiftrtc_leave(\(roomID), \(peerID), \(session.id))", logger: logger)
                }
            }
        }
        return "stopped"
    }

    private func sendNotices(_ session: Session, wakeUps: AsyncStream<Void>) async throws -> String {
        for await _ in wakeUps {
            let notices = outbox.takeNotices()
            var channels: [String] = []
            var payloads: [String] = []
            var origins: [SignalingConnectionID] = []
            var relays: UInt64 = 0
            do {
                for notice in notices {
                    let (instance, payload) = encode(notice, from: session.id)
                    if case .relay(let relay) = notice {
                        origins.append(relay.origin)
                        relays += 1
                    }
                    if payload.utf8.count > Self.maxNotifyBytes {
                        // Keep the order: what is batched so far goes first.
                        try await notify(channels: channels, payloads: payloads, session: session)
                        channels.removeAll(keepingCapacity: true)
                        payloads.removeAll(keepingCapacity: true)
                        try await session.sender.query("SELECT swiftrtc_send_large(\(instance), \(payload))", logger: logger)
                    } else {
                        channels.append("swiftrtc_\(instance)")
                        payloads.append(payload)
                    }
                }
                try await notify(channels: channels, payloads: payloads, session: session)
            } catch {
                // Not carried (or not known to be): the senders hear it.
                for origin in origins { refuseLocally(origin) }
                throw error
            }
            statusBox.withLockedValue { $0.relayedOut &+= relays }
            metrics.relayedOut.increment(by: Int64(relays))
        }
        return "stopped"
    }

    private func notify(channels: [String], payloads: [String], session: Session) async throws {
        guard !channels.isEmpty else { return }
        if channels.count == 1 {
            try await session.sender.query("SELECT pg_notify(\(channels[0]), \(payloads[0]))", logger: logger)
        } else {
            try await session.sender.query("SELECT pg_notify(c, p) FROM unnest(\(channels)::text[], \(payloads)::text[]) AS t(c, p)",
                                           logger: logger)
        }
    }

    /// The wire form of a notice: tab-separated fields (ids contain no control characters),
    /// with a sequence number so that NOTIFY never folds two equal payloads of one batch.
    private func encode(_ notice: SignalingClusterOutbox.Notice, from instance: String) -> (String, String) {
        let seq = noticeSequence.withLockedValue { $0 &+= 1; return $0 }
        switch notice {
        case .relay(let relay):
            return (relay.instance, "r\t\(seq)\t\(instance)\t\(relay.origin.rawValue)\t\(relay.roomID)\t\(relay.target)\t\(relay.text)")
        case .refusal(let to, let connection, let error):
            return (to, "e\t\(seq)\t\(connection.rawValue)\t\(error.code.rawValue)\t\(error.message)")
        }
    }

    /// One notification on this instance's channel.
    private func received(_ payload: String, session: Session) async throws {
        var fields = payload.split(separator: "\t", maxSplits: 6, omittingEmptySubsequences: false)
        guard let kind = fields.first else { return }
        switch kind {
        case "j" where fields.count == 7:
            guard let seq = Int64(fields[1]), let connection = UInt64(fields[3]),
                  let mode = SignalingRoomMode(rawValue: String(fields[4])) else { break }
            let member = SignalingDirectoryMember(roomID: String(fields[5]), peerID: String(fields[6]), instance: String(fields[2]),
                                                  connection: SignalingConnectionID(connection), seq: seq, mode: mode)
            connections.applyDirectory { $0.directoryJoined(member) }
            return
        case "l" where fields.count == 4:
            guard let seq = Int64(fields[1]) else { break }
            connections.applyDirectory { $0.directoryLeft(roomID: String(fields[2]), peerID: String(fields[3]), seq: seq) }
            return
        case "r" where fields.count == 7:
            guard let origin = UInt64(fields[3]) else { break }
            let (instance, roomID, target) = (String(fields[2]), String(fields[4]), String(fields[5]))
            if connections.deliverRemote(roomID: roomID, target: target, text: ByteBuffer(substring: fields[6])) {
                statusBox.withLockedValue { $0.relayedIn &+= 1 }
                metrics.relayedIn.increment()
            } else {
                statusBox.withLockedValue { $0.undeliverable &+= 1 }
                outbox.add(.refusal(instance: instance, connection: SignalingConnectionID(origin),
                                    error: SignalingProtocolError(.unknownTarget, "no peer \"\(target)\" in room \"\(roomID)\"")))
            }
            return
        case "e" where fields.count >= 5:
            fields = payload.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false)
            guard let connection = UInt64(fields[2]) else { break }
            let code = SignalingErrorCode(rawValue: String(fields[3])) ?? .unknown
            let error = SignalingProtocolError(code, String(fields[4]))
            connections.applyDirectory { $0.remoteRefused(SignalingConnectionID(connection), error: error) }
            return
        case "R" where fields.count == 2:
            guard let id = Int64(fields[1]) else { break }
            var stored: String?
            for try await text in try await session.sender.query("DELETE FROM swiftrtc_relay WHERE id = \(id) RETURNING payload",
                                                                logger: logger).decode(String.self) {
                stored = text
            }
            if let stored { try await received(stored, session: session) }
            return
        default:
            break
        }
        logger.warning("ignoring a malformed cluster notification", metadata: ["payload": "\(payload.prefix(80))"])
    }

    /// A message of local connection `origin` was not carried: it gets `unavailable`.
    private func refuseLocally(_ origin: SignalingConnectionID) {
        let error = SignalingProtocolError(.unavailable, "the message could not be carried to another server instance (cluster database unavailable)")
        connections.applyDirectory { $0.remoteRefused(origin, error: error) }
    }
}
