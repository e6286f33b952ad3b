import Foundation
import Logging
import NIOConcurrencyHelpers
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// Several signaling servers sharing their rooms through a real PostgreSQL (a throwaway
/// cluster per test, `PostgresServer`): clients spread over the instances behave as on one.
@Suite("Signaling cluster over PostgreSQL", .serialized)
struct SignalingClusterTests {
    /// Instances in one test process beside the rest of the suite: a heartbeat timeout that a
    /// loaded machine cannot miss (with 2 s, a CI run starved an instance's heartbeat, the others
    /// presumed it dead and its clients were told `unavailable`), and a connect timeout that a
    /// busy PostgreSQL can meet (2 s timed out at start-up beside the other suites). The test
    /// that kills an instance runs processes with a short timeout of their own.
    static func clusterConfiguration(_ database: PostgresServer) -> SignalingClusterConfiguration {
        SignalingClusterConfiguration(databaseURL: database.url, heartbeatInterval: .milliseconds(300),
                                      heartbeatTimeout: .seconds(8), reconnectDelay: .milliseconds(200),
                                      maxReconnectDelay: .seconds(1), connectTimeout: .seconds(10))
    }

    /// Six `RoomClient`s, two on each of three instances, join one mesh room: each gets the
    /// members before it (across instances) in join order, every one of the 15 pairs opens its
    /// data channel and echoes both ways, `/health` on each instance shows the cluster (3
    /// instances, 1 room, 6 members); when everyone has left, no member row is left behind.
    @Test func sixRoomClientsOnThreeInstancesFormAMeshThatEchoes() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await withClusterServers(3, database: database) { _, ports in
            try await Self.meshOfSix(ports: ports, database: database)
        }
        #expect(try await database.psql("SELECT count(*) FROM swiftrtc_instances") == "0", "instances deregister on shutdown")
    }

    static func meshOfSix(ports: [Int], database: PostgresServer) async throws {
            let ids = ["a", "b", "c", "d", "e", "f"]
            var peers: [RoomPeer] = []
            for (n, id) in ids.enumerated() {
                let peer = RoomPeer(port: ports[n % 3], id: id, room: "mesh")
                peers.append(peer)
                #expect(try await peer.join() == Array(ids.prefix(n)), "\(id) on instance \(n % 3)")
            }
            for (i, x) in peers.enumerated() {
                for y in peers[(i + 1)...] {
                    let xy = try await x.channel(with: y.id, timeout: 60)
                    let yx = try await y.channel(with: x.id, timeout: 60)
                    try await xy.send("\(x.id)→\(y.id)")
                    #expect(try await withTimeout(15, "\(y.id) receiving") { try await yx.receiveText() } == "\(x.id)→\(y.id)")
                    try await yx.send("\(y.id)→\(x.id)")
                    #expect(try await withTimeout(15, "\(x.id) receiving") { try await xy.receiveText() } == "\(y.id)→\(x.id)")
                }
            }
            for peer in peers {
                #expect(await peer.room.members.sorted() == ids.filter { $0 != peer.id })
            }
            for port in ports {
                let health = try await clusterHealth(port: port)
                #expect(health.status == 200)
                #expect(health.body?.cluster?.instances == 3)
                #expect(health.body?.cluster?.members == 6)
                #expect(health.body?.cluster?.rooms == 1)
                #expect(health.body?.cluster?.healthy == true)
                #expect(health.body?.peers == 2, "two clients per instance")
            }
            for peer in peers { await peer.close() }
            try await waitUntil(10, "member rows removed") {
                try await database.psql("SELECT count(*) FROM swiftrtc_members") == "0"
            }
    }

    /// Messages between members on different instances arrive in order, including an offer
    /// larger than NOTIFY carries (through a `swiftrtc_relay` row, deleted once read); the
    /// errors are the ones of a single server (duplicate id across instances, unknown target).
    @Test func messagesCrossInstancesInOrderAndLargeOnesGoThroughATable() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await withClusterServers(2, database: database) { _, ports in
            let a = LiveClient(port: ports[0], peer: "a", room: "order")
            try await a.recorder.wait { if case .joined(_, []) = $0 { true } else { false } }
            let b = LiveClient(port: ports[1], peer: "b", room: "order")
            defer { Task { await a.stop(); await b.stop() } }
            try await b.recorder.wait { if case .joined(_, ["a"]) = $0 { true } else { false } }
            try await a.recorder.wait { $0 == .peerJoined("b") }

            let big = "v=0\r\n" + String(repeating: "a=x-filler:0123456789abcdef0123456789abcdef\r\n", count: 500)  // ~22 KB
            for n in 0..<40 {
                let candidate = ICECandidateInit(candidate: "candidate:\(n) 1 udp 1 127.0.0.1 \(1000 + n) typ host", sdpMid: "0", sdpMLineIndex: 0)
                try await b.client.sendCandidate(candidate, to: "a")
                if n == 20 { try await b.client.sendOffer(SessionDescription(type: .offer, sdp: big), to: "a") }
            }
            try await a.recorder.waitCount(41) { event in
                switch event { case .iceCandidate(_, "b"), .offer(_, "b"): true; default: false }
            }
            let received = a.recorder.all.compactMap { event -> String? in
                switch event {
                case .iceCandidate(let c, "b"): c.candidate.split(separator: " ").first.map(String.init)
                case .offer(let o, "b"): o.sdp == big ? "big" : "wrong offer"
                default: nil
                }
            }
            let expected = (0..<40).flatMap { n in n == 20 ? ["candidate:20", "big"] : ["candidate:\(n)"] }
            #expect(received == expected)
            #expect(try await database.psql("SELECT count(*) FROM swiftrtc_relay") == "0")

            // The same peer id on the other instance is a duplicate; a stranger is unknown.
            let dup = LiveClient(port: ports[0], peer: "b", room: "order")
            try await dup.recorder.wait { if case .error(let e) = $0 { e.code == .duplicatePeerID } else { false } }
            await dup.stop()
            try await a.client.sendOffer(SessionDescription(type: .offer, sdp: "v=0"), to: "nobody")
            try await a.recorder.wait { if case .error(let e) = $0 { e.code == .unknownTarget } else { false } }
        }
    }

    /// Three `swiftrtc serve --cluster` processes; one is killed (SIGKILL) while its two
    /// clients are in a room with clients of the others: within the heartbeat timeout the
    /// others get `peer_left` for both, its instance row and member rows are gone, and one of
    /// its clients, reconnecting to another instance, is back in the room (the others see it
    /// join again and it lists them).
    @Test func aKilledInstanceIsNoticedAndItsMembersCanComeBackElsewhere() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        var servers: [PeerProcess] = []
        defer { for server in servers { server.terminate() } }
        var ports: [Int] = []
        for _ in 0..<3 {
            let port = Int(InteropEnvironment.freePort(udp: false))
            let server = try PeerProcess("swiftrtc serve", executable: binary, arguments: [
                "serve", "--port", "\(port)", "--heartbeat-interval", "0.3", "--heartbeat-timeout", "2", "--log-level", "info",
            ], environment: ["SWIFTRTC_CLUSTER": database.url])
            servers.append(server)
            ports.append(port)
        }
        for server in servers { try await server.waitForLine(timeout: 60) { $0.contains("signaling server listening") } }

        let fast = SignalingReconnectPolicy(initialDelay: .milliseconds(200), maxDelay: .milliseconds(500))
        let a = LiveClient(port: ports[0], peer: "a", room: "crash")
        try await a.recorder.wait { if case .joined = $0 { true } else { false } }
        let b = LiveClient(port: ports[1], peer: "b", room: "crash")
        try await b.recorder.wait { if case .joined = $0 { true } else { false } }
        let c = SignalingClient(url: "ws://127.0.0.1:\(ports[2])/ws", peerID: "c", roomID: "crash", reconnectPolicy: fast,
                                fallbackURLs: ["ws://127.0.0.1:\(ports[0])/ws"])
        let cEvents = EventRecorder(c)
        let cTask = Task { await c.run() }
        try await cEvents.wait { if case .joined = $0 { true } else { false } }
        let d = LiveClient(port: ports[2], peer: "d", room: "crash")
        defer { Task { await a.stop(); await b.stop(); await d.stop(); await c.close(); _ = await cTask.value } }
        try await a.recorder.waitCount(3) { if case .peerJoined = $0 { true } else { false } }
        try await b.recorder.waitCount(2) { if case .peerJoined = $0 { true } else { false } }
        #expect(try await database.psql("SELECT count(*) FROM swiftrtc_members") == "4")

        let killed = ContinuousClock.now
        servers[2].killAbruptly()
        for client in [a, b] {
            try await client.recorder.wait(timeout: 8, "peer_left c") { $0 == .peerLeft("c") }
            try await client.recorder.wait(timeout: 8, "peer_left d") { $0 == .peerLeft("d") }
        }
        let noticed = ContinuousClock.now - killed
        #expect(noticed < .seconds(5), "noticed after \(noticed) (timeout 2 s, heartbeat 0.3 s)")
        #expect(try await database.psql("SELECT count(*) FROM swiftrtc_instances") == "2")

        // c reconnects to instance 0 and is back in the room.
        try await cEvents.wait(timeout: 15, "c joined again") { if case .joined(_, let peers) = $0 { peers.sorted() == ["a", "b"] } else { false } }
        try await b.recorder.waitCount(2, timeout: 10) { $0 == .peerJoined("c") }
        try await waitUntil(5, "rows of the dead instance gone") {
            try await database.psql("SELECT string_agg(peer_id, ',' ORDER BY peer_id) FROM swiftrtc_members") == "a,b,c"
        }
        try await c.sendCandidate(ICECandidateInit(candidate: "candidate:9 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0), to: "b")
        try await b.recorder.wait { if case .iceCandidate(_, "c") = $0 { true } else { false } }
    }

    /// The database unreachable at start: `swiftrtc serve --cluster` says so and exits with
    /// status 69; a malformed URL exits with 78. Neither listens.
    @Test func anUnreachableDatabaseAtStartIsAClearErrorAndExitStatus() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let closedPort = InteropEnvironment.freePort(udp: false)
        let unreachable = try PeerProcess("swiftrtc serve", executable: binary, arguments: [
            "serve", "--port", "0", "--cluster", "postgres://swiftrtc@127.0.0.1:\(closedPort)/swiftrtc",
        ])
        #expect(try await unreachable.waitForExit(timeout: 30) == 69)
        #expect(unreachable.allOutput.contains("cannot reach the cluster database at swiftrtc@127.0.0.1:\(closedPort)/swiftrtc"),
                "\(unreachable.allOutput)")
        #expect(!unreachable.allOutput.contains("signaling server listening"))

        let malformed = try PeerProcess("swiftrtc serve", executable: binary, arguments: ["serve", "--port", "0", "--cluster", "mysql://x@y/z"])
        #expect(try await malformed.waitForExit(timeout: 30) == 78)
        #expect(malformed.allOutput.contains("invalid cluster database URL"), "\(malformed.allOutput)")
    }

    /// The database goes away while running: members are told `unavailable` and disconnected,
    /// joins are refused, `/health` answers 503; when it is back the instance re-registers on
    /// its own (back-off), reports healthy, and a client that kept reconnecting is in its room
    /// again, with a member of another instance.
    @Test func aLostDatabaseStopsJoinsUntilItIsBack() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await withClusterServers(2, database: database) { servers, ports in
            let fast = SignalingReconnectPolicy(initialDelay: .milliseconds(200), maxDelay: .milliseconds(500))
            let a = LiveClient(port: ports[0], peer: "a", room: "flaky", reconnect: fast)
            try await a.recorder.wait { if case .joined = $0 { true } else { false } }
            let b = LiveClient(port: ports[1], peer: "b", room: "flaky", reconnect: fast)
            defer { Task { await a.stop(); await b.stop() } }
            try await a.recorder.wait { $0 == .peerJoined("b") }

            // The test server commits asynchronously (synchronous_commit=off), so an immediate
            // stop could lose the last joins; a checkpoint first makes them survive the restart,
            // as a production database's would: the old memberships must then be reaped.
            try await database.psql("CHECKPOINT")
            try await database.stop()
            // 30 s: noticing the loss took longer than 10 s once on a heavily loaded CI host.
            try await a.recorder.wait(timeout: 30, "unavailable") { if case .error(let e) = $0 { e.code == .unavailable } else { false } }
            try await waitUntil(10, "instance 0 unhealthy") { try await clusterHealth(port: ports[0]).status == 503 }
            let health = try await clusterHealth(port: ports[0])
            #expect(health.body?.status == "unavailable")
            #expect(await servers[0].clusterStatus()?.healthy == false)

            try await database.start()
            try await waitUntil(20, "both instances healthy again") {
                for port in ports where try await clusterHealth(port: port).status != 200 { return false }
                return true
            }
            #expect(await servers[0].clusterStatus()?.databaseLosses ?? 0 >= 1)
            // Both rejoined (each reconnects with back-off): they see each other again.
            try await waitUntil(30, "a and b together again; a: \(a.recorder.all.suffix(5)) b: \(b.recorder.all.suffix(5))") {
                let joinedA = a.recorder.all.last { if case .joined = $0 { true } else { false } }
                let joinedB = b.recorder.all.last { if case .joined = $0 { true } else { false } }
                guard case .joined(_, let pa)? = joinedA, case .joined(_, let pb)? = joinedB else { return false }
                return pa == ["b"] || pb == ["a"]
            }
            // The old instances' rows (the database restarted under them) are reaped after the
            // heartbeat timeout; then only the two new memberships remain.
            do {
                try await waitUntil(30, "only a's and b's new memberships left") {
                    let members = try await database.psql("SELECT count(*) FROM swiftrtc_members")
                    let instances = try await database.psql("SELECT count(*) FROM swiftrtc_instances")
                    return members == "2" && instances == "2"
                }
            } catch let timeout as TestTimeout {
                // What was left, for the failure message: the rows, each instance's view, the clients' last events.
                let rows = (try? await database.psql(
                    "SELECT 'member', room_id, peer_id, instance_id, seq::text FROM swiftrtc_members UNION ALL "
                        + "SELECT 'instance', id, address, last_seen::text, (clock_timestamp() - last_seen)::text FROM swiftrtc_instances"))
                    ?? "(the database did not answer)"
                var statuses: [String] = []
                for server in servers { statuses.append("\(String(describing: await server.clusterStatus()))") }
                Issue.record("""
                    \(timeout)
                    rows:
                    \(rows)
                    instances' status: \(statuses)
                    a's last events: \(a.recorder.all.suffix(12))
                    b's last events: \(b.recorder.all.suffix(12))
                    """)
                throw timeout
            }
        }
    }

    /// When the database froze, as seen by an instance being shut down.
    enum FrozenStop: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The instance has given the database up and is reconnecting to it.
        case afterTheLoss
        /// The instance still holds its session, and the shutdown comes at once: the session
        /// ends, and the leave (which the database does not answer) is given the connect timeout.
        case rightAfterTheFreeze
        /// The instance still holds its session, and a heartbeat waits on the frozen server
        /// (every 300 ms; the shutdown comes 1 s after the freeze), its watchdog armed.
        case duringAHeartbeat
        /// The instance holds its session and its heartbeat sleeps (60 s interval), so no
        /// watchdog is armed, while a second client's join waits on the frozen server.
        case betweenHeartbeats

        var testDescription: String { rawValue }
    }

    /// Shutdown while the database is frozen: whether the instance has already given it up and
    /// is reconnecting to it, or still holds its session, it stops within bounds, not when the
    /// database wakes up. Queries on a frozen server end neither when their task is cancelled
    /// nor (PostgresNIO, with the server stopped) always when their connection is closed, so:
    /// the session's tasks get the connect timeout after shutdown cancels them, then their
    /// connections are closed; the leave is waited for at most the connect timeout; no leave
    /// is tried on connections a watchdog has closed. Before, `duringAHeartbeat` and
    /// `betweenHeartbeats` waited on the database until the test's 30 s stop limit.
    @Test(arguments: FrozenStop.allCases)
    func shutdownWhileTheDatabaseIsFrozenIsBounded(_ when: FrozenStop) async throws {
        try await Self.stopWithAFrozenDatabase(when)
    }

    static func stopWithAFrozenDatabase(_ when: FrozenStop) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        let frozenAt = NIOLockedValueBox(ContinuousClock.now)
        let latecomer = NIOLockedValueBox<LiveClient?>(nil)
        defer { if let b = latecomer.withLockedValue({ $0 }) { Task { await b.stop() } } }
        // On failure the deferred shutdown() thaws the database before stopping it.
        let configure: (inout SignalingServerConfiguration) -> Void = { configuration in
            if when == .betweenHeartbeats { configuration.cluster?.heartbeatInterval = .seconds(60) }
        }
        try await withClusterServers(1, database: database, configure: configure) { _, ports in
            let a = LiveClient(port: ports[0], peer: "a", room: "frozen-stop")
            defer { Task { await a.stop() } }
            try await a.recorder.wait { if case .joined = $0 { true } else { false } }
            try database.freeze()
            switch when {
            case .afterTheLoss, .rightAfterTheFreeze: break
            case .duringAHeartbeat: try await Task.sleep(for: .seconds(1))
            case .betweenHeartbeats:
                let b = LiveClient(port: ports[0], peer: "b", room: "frozen-stop")
                latecomer.withLockedValue { $0 = b }
                try await b.recorder.wait { if case .connected = $0 { true } else { false } }
                try await Task.sleep(for: .milliseconds(500))
            }
            if when == .afterTheLoss {
                try await a.recorder.wait(timeout: 30, "unavailable") { if case .error(let e) = $0 { e.code == .unavailable } else { false } }
            }
            frozenAt.withLockedValue { $0 = .now }
        }
        let stopping = ContinuousClock.now - frozenAt.withLockedValue { $0 }
        try database.thaw()
        // The connect timeout is 10 s in these tests; withClusterServers allows 30 s to stop.
        #expect(stopping < .seconds(25), "stopping took \(stopping)")
    }

    /// A database that stops answering without closing its connections (its processes
    /// frozen: a hung host, or a connection left half-open, looks the same): the instance gives
    /// it up once a heartbeat has gone unanswered for the heartbeat timeout, as the other
    /// instances would presume it dead by then. Its members are told `unavailable`, `/health`
    /// answers 503 and the reason names the heartbeat; when the database answers again the
    /// instance rejoins and the client is back in its room. Before, the heartbeat waited on the
    /// query for ever and the instance went on as healthy while the others had reaped it.
    @Test func aDatabaseThatStopsAnsweringIsGivenUpAfterTheHeartbeatTimeout() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await withClusterServers(1, database: database) { servers, ports in
            let fast = SignalingReconnectPolicy(initialDelay: .milliseconds(200), maxDelay: .milliseconds(500))
            let a = LiveClient(port: ports[0], peer: "a", room: "frozen", reconnect: fast)
            defer { Task { await a.stop() } }
            try await a.recorder.wait { if case .joined = $0 { true } else { false } }

            try database.freeze()
            do {
                // The heartbeat timeout is 8 s (clusterConfiguration).
                try await a.recorder.wait(timeout: 30, "unavailable") { if case .error(let e) = $0 { e.code == .unavailable } else { false } }
                let status = await servers[0].clusterStatus()
                #expect(status?.healthy == false)
                #expect(status?.databaseLosses == 1)
                #expect(status?.lastError?.contains("did not answer a heartbeat within") == true, "\(String(describing: status))")
                #expect(try await clusterHealth(port: ports[0]).status == 503)
            } catch {
                try? database.thaw()
                throw error
            }
            try database.thaw()
            try await waitUntil(30, "instance 0 healthy again") { try await clusterHealth(port: ports[0]).status == 200 }
            // The last outcome of a's joins is a join (not the `unavailable` of the loss).
            try await waitUntil(30, "a in its room again: \(a.recorder.all.suffix(6))") {
                switch a.recorder.all.last(where: { if case .joined = $0 { true } else if case .error = $0 { true } else { false } }) {
                case .joined?: true
                default: false
                }
            }
            #expect(try await database.psql("SELECT string_agg(peer_id, ',') FROM swiftrtc_members") == "a")
        }
    }
}

/// Runs `count` in-process signaling servers sharing `database` around `body`.
func withClusterServers<T: Sendable>(
    _ count: Int, database: PostgresServer,
    configure: (inout SignalingServerConfiguration) -> Void = { _ in },
    _ body: @Sendable ([SignalingServer], [Int]) async throws -> T
) async throws -> T {
    // Warnings go to the output (everything with SWIFTRTC_TEST_CLUSTER_LOG=debug); debug
    // records are kept too, and printed when the instances do not stop in time.
    let printed: Logger.Level = ProcessInfo.processInfo.environment["SWIFTRTC_TEST_CLUSTER_LOG"] == "debug" ? .debug : .warning
    let captured = CapturedLogs()
    var logger = Logger(label: "test.cluster") { label in
        var stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = printed
        return MultiplexLogHandler([stream, captured.handler(label: label, level: .debug)])
    }
    logger.logLevel = .debug
    var servers: [SignalingServer] = []
    for _ in 0..<count {
        var configuration = SignalingServerConfiguration()
        configuration.port = 0
        configuration.cluster = SignalingClusterTests.clusterConfiguration(database)
        configure(&configuration)
        servers.append(SignalingServer(configuration: configuration, logger: logger))
    }
    let started = servers
    // Start and shutdown are bounded: an instance that never listens or never stops fails the
    // test with a message instead of hanging the run.
    let stoppedFlags = NIOLockedValueBox([Bool](repeating: false, count: count))
    let running = started.indices.map { i in
        Task {
            defer { stoppedFlags.withLockedValue { $0[i] = true } }
            try await started[i].run(handleSignals: false)
        }
    }
    let stopAll: @Sendable () async throws -> Void = {
        for server in started { await server.shutdown() }
        do {
            try await withTimeout(30, "the cluster instances stopping") { for task in running { try await task.value } }
        } catch let timeout as TestTimeout {
            let notStopped = stoppedFlags.withLockedValue { flags in flags.indices.filter { !flags[$0] } }
            print("cluster instances not stopped: \(notStopped); the cluster's last log records:\n\(captured.tail(200))")
            throw timeout
        }
    }
    var ports: [Int] = []
    let result: T
    do {
        for server in started {
            ports.append(try await withTimeout(30, "a cluster instance listening") { try await server.waitUntilRunning() })
        }
        result = try await body(started, ports)
    } catch {
        try? await stopAll()
        throw error
    }
    try await stopAll()
    return result
}

/// `GET /health` of a cluster instance, decoded.
struct ClusterHealthReply: Sendable {
    struct Body: Decodable, Sendable {
        struct Cluster: Decodable, Sendable {
            var healthy: Bool
            var instances: Int
            var rooms: Int
            var members: Int
        }
        var status: String
        var peers: Int
        var cluster: Cluster?
    }
    var status: Int
    var body: Body?
}

func clusterHealth(port: Int) async throws -> ClusterHealthReply {
    let (status, text) = try await httpGET(port: port, "/health")
    return ClusterHealthReply(status: status, body: try? JSONDecoder().decode(ClusterHealthReply.Body.self, from: Data(text.utf8)))
}

/// The demo page in two headless Chromium pages, each served by (and signaling through) a
/// different instance of one cluster: they chat both ways and each lists the other.
@Suite("Demo page across two cluster instances", .serialized, .heavyPeers)
struct SignalingClusterChromiumTests {
    @Test func twoPagesOnDifferentInstancesChat() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-cluster-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }

        try await withClusterServers(2, database: database, configure: { $0.testReportHandler = { reports.store($0) } }) { _, ports in
            func page(_ peer: String, port: Int) throws -> PeerProcess {
                try PeerProcess("chromium \(peer)", executable: chromium, arguments: SignalingDemoPageChromiumTests.flags(
                    profile: tmp.appendingPathComponent(peer)) + ["http://127.0.0.1:\(port)/?autotest=1&room=cluster-chat&peer=\(peer)"])
            }
            let alice = try page("alice", port: ports[0])
            defer { alice.terminate() }
            try await waitUntil(60, "alice's first report", every: .milliseconds(100)) { reports["alice"] != nil }
            let bob = try page("bob", port: ports[1])
            defer { bob.terminate() }
            let done = (try? await waitUntil(90, "the pages' chat", every: .milliseconds(100)) {
                guard let a = reports["alice"], let b = reports["bob"] else { return false }
                return a.chatReceived.contains { $0.text == "hello from bob" } && b.chatReceived.contains { $0.text == "hello from alice" }
            }) != nil
            let context = "reports:\n\(reports.dump)\n--- alice ---\n\(alice.allOutput.suffix(1500))\n--- bob ---\n\(bob.allOutput.suffix(1500))"
            #expect(done, "pages did not chat in time\n\(context)")
            #expect(reports["alice"]?.members == ["bob"])
            #expect(reports["bob"]?.members == ["alice"])
        }
    }
}
