import Foundation
import Logging
@testable import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// SFU rooms in a cluster (`docs/cluster.md`): a room's home is the instance where its first
/// SFU join arrived (a `swiftrtc_rooms` row); joins reaching other instances are redirected to
/// the home's public URL, so every member is the home SFU's; a dead home is forgotten with its
/// members and the next join homes the room again.
@Suite("SFU rooms across cluster instances", .serialized)
struct SignalingClusterSFUTests {
    /// Three in-process instances on `database`, each with an SFU and a public URL (their
    /// ports are chosen first, so the URL is known when they register).
    static func withSFUCluster<T: Sendable>(database: PostgresServer,
                                            _ body: @Sendable ([SignalingServer], [Int]) async throws -> T) async throws -> T {
        let ports = (0..<3).map { _ in Int(InteropEnvironment.freePort(udp: false)) }
        var next = 0
        return try await withClusterServers(3, database: database, configure: { configuration in
            configuration.port = ports[next]
            configuration.cluster?.publicURL = "ws://127.0.0.1:\(ports[next])/ws"
            configuration.sfu = SignalingSFUConfiguration(addresses: ["127.0.0.1"])
            next += 1
        }, body)
    }

    /// Room clients connected to three different instances join one SFU room: the first join
    /// (at instance 1) makes instance 1 the home; a join at instance 2 is redirected there (the
    /// `redirect` names instance 1's URL) and accepted; all members are instance 1's clients and
    /// chat through its SFU, each to the next, across the instances they first connected to.
    @Test func roomClientsOnThreeInstancesMeetOnTheHomeAndChatThroughItsSFU() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await Self.withSFUCluster(database: database) { servers, ports in
            let url = { (n: Int) in "ws://127.0.0.1:\(ports[n])/ws" }
            let webRTC = WebRTCClient(engine: .native)
            func member(_ id: String, on n: Int) -> RoomClient {
                RoomClient(webRTC: webRTC, signaling: SignalingClient(url: url(n), peerID: id, roomID: "hall",
                                                                      reconnectPolicy: .never, mode: .sfu))
            }
            let a = member("a", on: 1)
            let aChannels = SFUSessionReplacementTests.Channels(a)
            #expect(try await withTimeout(15, "a joining") { try await a.join() } == [])
            let home = try #require(await servers[1].clusterStatus()?.instance)
            #expect(try await database.psql("SELECT home_instance FROM swiftrtc_rooms WHERE room_id = 'hall'") == home)

            // The redirect itself: a join at instance 2 is sent to instance 1, and joins there.
            let probe = LiveClient(port: ports[2], peer: "probe", room: "hall", mode: .sfu)
            try await probe.recorder.wait(timeout: 15, "the probe joined at the home") {
                if case .joined(_, ["a"]) = $0 { true } else { false }
            }
            let redirects = probe.recorder.all.filter { if case .redirected = $0 { true } else { false } }
            #expect(redirects == [.redirected(url: url(1))])
            await probe.stop()

            let b = member("b", on: 0)
            let c = member("c", on: 2)
            let bChannels = SFUSessionReplacementTests.Channels(b)
            let cChannels = SFUSessionReplacementTests.Channels(c)
            #expect(try await withTimeout(20, "b joining") { try await b.join() } == ["a"])
            #expect(try await withTimeout(20, "c joining") { try await c.join() } == ["a", "b"])
            try await waitUntil(10, "only a, b and c in the room") {
                try await database.psql("SELECT string_agg(peer_id, ',' ORDER BY seq) FROM swiftrtc_members WHERE room_id = 'hall'") == "a,b,c"
            }
            #expect(try await database.psql("SELECT string_agg(DISTINCT instance_id, ',') FROM swiftrtc_members") == home,
                    "every member is a client of the home")
            let homeHealth = try await clusterHealth(port: ports[1])
            #expect(homeHealth.body?.peers == 3)
            for n in [0, 2] {
                let health = try await clusterHealth(port: ports[n])
                #expect(health.body?.peers == 0, "instance \(n) has no member")
                #expect(health.body?.cluster?.members == 3, "instance \(n) mirrors the room")
            }

            let (ac, bc, cc) = (try await aChannels.number(1), try await bChannels.number(1), try await cChannels.number(1))
            try await SFUSessionReplacementTests.deliver("hello from a", from: ac, to: bc)
            try await SFUSessionReplacementTests.deliver("hello from b", from: bc, to: cc)
            try await SFUSessionReplacementTests.deliver("hello from c", from: cc, to: ac)

            for room in [a, b, c] { await room.close() }
            try await waitUntil(10, "the room and its home gone with its last member") {
                try await database.psql("SELECT count(*) FROM swiftrtc_rooms") == "0"
            }
        }
    }

    /// Three `swiftrtc serve --cluster` processes, two with `--public-url`: an SFU room homed on
    /// instance 0 takes a join from instance 1 by redirect; instance 0 is killed (SIGKILL), its
    /// home claim goes with its members at the heartbeat timeout, and the next join, at
    /// instance 1, homes the room there without a redirect. A room homed on the instance
    /// without a public URL cannot be joined elsewhere: `home_unavailable`, and the client stops.
    @Test func aKilledHomeIsForgottenAndTheNextJoinHomesTheRoomAgain() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        var servers: [PeerProcess] = []
        defer { for server in servers { server.terminate() } }
        var ports: [Int] = []
        for n in 0..<3 {
            let port = Int(InteropEnvironment.freePort(udp: false))
            let publicURL = n < 2 ? ["--public-url", "ws://127.0.0.1:\(port)/ws"] : []
            servers.append(try PeerProcess("swiftrtc serve \(n)", executable: binary, arguments: [
                "serve", "--port", "\(port)", "--heartbeat-interval", "0.3", "--heartbeat-timeout", "2", "--log-level", "info",
            ] + publicURL, environment: ["SWIFTRTC_CLUSTER": database.url]))
            ports.append(port)
        }
        for server in servers { try await server.waitForLine(timeout: 60) { $0.contains("signaling server listening") } }

        let a = LiveClient(port: ports[0], peer: "a", room: "stage", mode: .sfu)
        try await a.recorder.wait(timeout: 15, "a joined") { if case .joined(_, []) = $0 { true } else { false } }
        let b = LiveClient(port: ports[1], peer: "b", room: "stage", mode: .sfu)
        try await b.recorder.wait(timeout: 15, "b joined at the home") { if case .joined(_, ["a"]) = $0 { true } else { false } }
        #expect(b.recorder.all.contains(.redirected(url: "ws://127.0.0.1:\(ports[0])/ws")))
        #expect(try await database.psql("SELECT count(*) FROM swiftrtc_members WHERE instance_id = (SELECT home_instance FROM swiftrtc_rooms)") == "2")

        servers[0].killAbruptly()
        try await waitUntil(15, "the dead home's claim and members removed") {
            try await database.psql("SELECT (SELECT count(*) FROM swiftrtc_rooms) + (SELECT count(*) FROM swiftrtc_members)") == "0"
        }
        await a.stop()
        await b.stop()
        let c = LiveClient(port: ports[1], peer: "c", room: "stage", mode: .sfu)
        try await c.recorder.wait(timeout: 15, "c joined at instance 1") { if case .joined(_, []) = $0 { true } else { false } }
        #expect(!c.recorder.all.contains { if case .redirected = $0 { true } else { false } })
        #expect(try await database.psql("""
            SELECT i.public_url FROM swiftrtc_rooms r JOIN swiftrtc_instances i ON i.id = r.home_instance WHERE r.room_id = 'stage'
            """) == "ws://127.0.0.1:\(ports[1])/ws")

        // Homed where no public URL is known: a join elsewhere is refused, typed, for good.
        let quiet = LiveClient(port: ports[2], peer: "e", room: "quiet", mode: .sfu)
        try await quiet.recorder.wait(timeout: 15, "e joined") { if case .joined(_, []) = $0 { true } else { false } }
        let f = LiveClient(port: ports[1], peer: "f", room: "quiet", mode: .sfu)
        try await f.recorder.wait(timeout: 15, "home_unavailable") { if case .error(let e) = $0 { e.code == .homeUnavailable } else { false } }
        _ = await f.task.value
        let stop = await f.client.stopError
        guard case .server(let error)? = stop else {
            Issue.record("f did not stop with the server's error: \(String(describing: stop))")
            return
        }
        #expect(error.code == .homeUnavailable)
        for client in [c, quiet] { await client.stop() }
    }
}

/// The demo page in SFU mode on two instances of one cluster: alice's page, served by instance 0,
/// makes it the room's home; bob's page, served by instance 1, is redirected there (the page
/// follows the `redirect`) and the two see each other's video through the home's SFU.
@Suite("Demo page in an SFU room across two cluster instances", .serialized, .heavyPeers)
struct SignalingClusterSFUChromiumTests {
    @Test func aPageOnAnotherInstanceFollowsTheRedirectToTheHome() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-cluster-sfu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let ports = (0..<2).map { _ in Int(InteropEnvironment.freePort(udp: false)) }
        var next = 0
        try await withClusterServers(2, database: database, configure: { configuration in
            configuration.port = ports[next]
            configuration.cluster?.publicURL = "ws://127.0.0.1:\(ports[next])/ws"
            configuration.sfu = SignalingSFUConfiguration(addresses: ["127.0.0.1"])
            configuration.testReportHandler = { reports.store($0) }
            next += 1
        }) { _, ports in
            func page(_ peer: String, port: Int) throws -> PeerProcess {
                try PeerProcess("chromium \(peer)", executable: chromium, arguments: SignalingDemoPageChromiumTests.flags(
                    profile: tmp.appendingPathComponent(peer)) + ["http://127.0.0.1:\(port)/?autotest=1&sfu=1&small=1&room=sfu-hall&peer=\(peer)"])
            }
            let alice = try page("alice", port: ports[0])
            defer { alice.terminate() }
            try await waitUntil(60, "alice in the room", every: .milliseconds(100)) { reports["alice"] != nil }
            let bob = try page("bob", port: ports[1])
            defer { bob.terminate() }
            let context = { "reports:\n\(reports.dump)\n--- bob ---\n\(bob.allOutput.suffix(1500))" }
            try await waitUntil(90, "each page decoding the other's video\n\(context())", every: .milliseconds(200)) {
                (reports["alice"]?.framesDecoded["bob"] ?? 0) >= 10 && (reports["bob"]?.framesDecoded["alice"] ?? 0) >= 10
            }
            #expect(reports["bob"]?.redirects == ["ws://127.0.0.1:\(ports[0])/ws"], "\(context())")
            #expect(reports["alice"]?.redirects == [])
            #expect(reports["alice"]?.members == ["bob"])
            #expect(reports["bob"]?.members == ["alice"])
            #expect(reports["bob"]?.errors == [], "\(context())")
        }
    }
}

/// Failover of an SFU room's home with `RoomClient`s that reconnect on their own.
@Suite("SFU room clients follow their room to a new home", .serialized)
struct SignalingClusterSFUFailoverTests {
    /// a (instance 0, falling back to instance 1) makes instance 0 the home; b (instance 1) is
    /// redirected there; they chat. Instance 0 stops (it leaves the cluster and tells its
    /// clients): both reconnect, the room is homed again at instance 1, and the room clients'
    /// new connections to its SFU carry their chat both ways.
    @Test func roomClientsFollowTheRoomToANewHomeWhenTheOldOneStops() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let database = try await PostgresServer.started()
        defer { database.shutdown() }
        try await SignalingClusterSFUTests.withSFUCluster(database: database) { servers, ports in
            let url = { (n: Int) in "ws://127.0.0.1:\(ports[n])/ws" }
            let fast = SignalingReconnectPolicy(initialDelay: .milliseconds(200), maxDelay: .milliseconds(500))
            let webRTC = WebRTCClient(engine: .native)
            let a = RoomClient(webRTC: webRTC, signaling: SignalingClient(url: url(0), peerID: "a", roomID: "moving", reconnectPolicy: fast,
                                                                          fallbackURLs: [url(1)], mode: .sfu))
            let b = RoomClient(webRTC: webRTC, signaling: SignalingClient(url: url(1), peerID: "b", roomID: "moving", reconnectPolicy: fast,
                                                                          mode: .sfu))
            let aChannels = SFUSessionReplacementTests.Channels(a)
            let bChannels = SFUSessionReplacementTests.Channels(b)
            #expect(try await withTimeout(15, "a joining") { try await a.join() } == [])
            #expect(try await withTimeout(15, "b joining") { try await b.join() } == ["a"])
            try await SFUSessionReplacementTests.deliver("before", from: try await aChannels.number(1), to: try await bChannels.number(1))
            let oldHome = try #require(await servers[0].clusterStatus()?.instance)
            let newHome = try #require(await servers[1].clusterStatus()?.instance)
            #expect(try await database.psql("SELECT home_instance FROM swiftrtc_rooms WHERE room_id = 'moving'") == oldHome)

            await servers[0].shutdown()
            try await waitUntil(30, "a and b members of the room homed at instance 1") {
                let home = try await database.psql("SELECT home_instance FROM swiftrtc_rooms WHERE room_id = 'moving'")
                let members = try await database.psql(
                    "SELECT string_agg(peer_id || '@' || instance_id, ',' ORDER BY peer_id) FROM swiftrtc_members")
                return home == newHome && members == "a@\(newHome),b@\(newHome)"
            }
            let (a2, b2) = (try await aChannels.number(2), try await bChannels.number(2))
            try await SFUSessionReplacementTests.deliver("after, from a", from: a2, to: b2)
            try await SFUSessionReplacementTests.deliver("after, from b", from: b2, to: a2)
            #expect(await a.members == ["b"])
            #expect(await b.members == ["a"])
            await a.close()
            await b.close()
        }
    }
}
