import Foundation
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// ICE servers and relay-only rooms: `--ice-server` URLs with credentials, and TURN credentials
/// fetched from the signaling server's `/turn-credentials` by `RoomClient` and the room commands.
@Suite("Room ICE servers and relay-only rooms", .serialized, .heavyPeers)
struct RoomRelayTests {
    // MARK: Parsing

    @Test(arguments: [
        ("stun:127.0.0.1:3478", "stun:127.0.0.1:3478", nil, nil),
        ("stun:localhost", "stun:127.0.0.1:3478", nil, nil),
        ("turn:alice:wonderland@127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=udp", "alice", "wonderland"),
        ("turn:alice:wonderland@10.0.0.1:3479?transport=tcp", "turn:10.0.0.1:3479?transport=tcp", "alice", "wonderland"),
        ("turn:1764550000:bob:c2VjcmV0Lz0r@127.0.0.1", "turn:127.0.0.1:3478", "1764550000:bob", "c2VjcmV0Lz0r"),
        ("turn:a%40b:p%3Aq@[::1]:5000", "turn:[::1]:5000", "a@b", "p:q"),
        ("turns:alice:wonderland@127.0.0.1", "turns:127.0.0.1:5349", "alice", "wonderland"),
        ("TURN:u:p@LOCALHOST:9?TRANSPORT=TCP", "turn:127.0.0.1:9?transport=tcp", "u", "p"),
    ] as [(String, String, String?, String?)])
    func goodICEServerURLsParse(_ input: String, _ url: String, _ username: String?, _ credential: String?) throws {
        let server = try ICEServer(commandLineURL: input)
        #expect(server.urls == [url])
        #expect(server.username == username)
        #expect(server.credential == credential)
    }

    @Test(arguments: [
        ("127.0.0.1:3478", "scheme"),
        ("http://127.0.0.1:3478", "scheme must be stun:, turn: or turns:"),
        ("turn:127.0.0.1:3478", "needs credentials"),
        ("turns:127.0.0.1", "needs credentials"),
        ("turn:alice@127.0.0.1", "USER:PASS@"),
        ("turn::pw@127.0.0.1", "must not be empty"),
        ("stun:u:p@127.0.0.1", "no credentials"),
        ("turn:u:p@turn.example.org:3478", "IP address literal"),
        ("turn:u:p@127.0.0.1:0", "port must be 1…65535"),
        ("turn:u:p@127.0.0.1:70000", "port must be 1…65535"),
        ("turn:u:p@127.0.0.1:3478?transport=sctp", "transport=udp or transport=tcp"),
        ("turns:u:p@127.0.0.1?transport=udp", "takes no query"),
        ("turn:u:p@[::1", "closing ]"),
        ("turn:u:p%zz@127.0.0.1", "%-escape"),
        ("stun:", "host is missing"),
    ])
    func malformedICEServerURLsAreRefusedWithAReason(_ input: String, _ reason: String) {
        #expect {
            try ICEServer(commandLineURL: input)
        } throws: { error in
            guard let error = error as? ICEServerURLError else { return false }
            return error.url == input && error.description.contains(reason)
        }
    }

    @Test func theCredentialsURLIsDerivedFromAWebSocketURL() {
        #expect(TURNCredentialsSource.credentialsURL(forSignalingURL: "ws://127.0.0.1:8080/ws") == "http://127.0.0.1:8080/turn-credentials")
        #expect(TURNCredentialsSource.credentialsURL(forSignalingURL: "ws://[::1]:9/ws?x=1") == "http://[::1]:9/turn-credentials")
        #expect(TURNCredentialsSource.credentialsURL(forSignalingURL: "wss://example.org/ws") == nil)
    }

    /// Fetch failures are typed: an https URL is refused, a closed port is unreachable (no hang,
    /// no leaked promise).
    @Test func credentialFetchFailuresAreTyped() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        await #expect(throws: TURNCredentialsError.invalidURL("https://127.0.0.1/turn-credentials")) {
            try await TURNCredentialsFetcher.fetch(from: "https://127.0.0.1/turn-credentials", user: "u")
        }
        let url = "http://127.0.0.1:\(InteropEnvironment.freePort(udp: false))/turn-credentials"
        await #expect {
            try await TURNCredentialsFetcher.fetch(from: url, user: "u", timeout: .seconds(3))
        } throws: { error in
            if case TURNCredentialsError.unreachable(let u, _) = error { u == url } else { false }
        }
    }

    /// A malformed `--ice-server` stops a room command before it connects, with a message
    /// naming the option and what is wrong.
    @Test func aRoomCommandRefusesAMalformedICEServer() async throws {
        let binary = try swiftrtcExecutable()
        let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
            ["echo", "--signal", "ws://127.0.0.1:9/ws", "--room", "r", "--ice-server", "turn:127.0.0.1:3478"])
        #expect(try await echo.waitForExit(timeout: 30) != 0)
        #expect(echo.allOutput.contains("--ice-server: invalid ICE server \"turn:127.0.0.1:3478\": a turn: server needs credentials"),
                "\(echo.allOutput)")
    }

    /// A `--turns-ca-file` that is not a PEM certificate is refused before anything connects.
    @Test func aRoomCommandRefusesABadCAFile() async throws {
        let binary = try swiftrtcExecutable()
        let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
            ["echo", "--signal", "ws://127.0.0.1:9/ws", "--room", "r", "--turns-ca-file", "/nonexistent/ca.pem"])
        #expect(try await echo.waitForExit(timeout: 30) != 0)
        #expect(echo.allOutput.contains("--turns-ca-file: /nonexistent/ca.pem is not a readable PEM certificate file"), "\(echo.allOutput)")
    }

    // MARK: Live, with coturn

    /// coturn with REST credentials (`use-auth-secret`) and a signaling server handing them out.
    static func withRelay<T: Sendable>(secret serverSecret: String? = nil, ttl: Int = 600, transport: String = "udp",  // udp, tcp, tls
                                       configure: @escaping (inout SignalingServerConfiguration) -> Void = { _ in },
                                       _ body: @Sendable (_ signalingPort: Int, _ coturn: CoturnServer) async throws -> T) async throws -> T {
        try InteropEnvironment.requirePrivateNamespace()
        let secret = "room-relay-\(UInt32.random(in: 0...UInt32.max))"
        // "tls": coturn's TLS listener with a fresh self-signed certificate (`turns:`).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-room-relay-\(UUID().uuidString)")
        if transport == "tls" { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let tls = transport == "tls" ? try CoturnTLS.make(in: directory) : nil
        defer { try? FileManager.default.removeItem(at: directory) }
        let coturn = try CoturnServer(CoturnConfiguration(authentication: .restSecret(secret), verbose: true, tls: tls))
        defer { coturn.stop() }
        try await coturn.waitUntilListening()
        if tls != nil { try await coturn.process.waitForLine(timeout: 15) { $0.contains("TLS/TCP listener opened") } }
        let uri = tls.map { "turns:127.0.0.1:\($0.port)?transport=tcp" } ?? "turn:127.0.0.1:\(coturn.port)?transport=\(transport)"
        return try await withSignalingServer({
            $0.turn = TURNConfiguration(secret: serverSecret ?? secret, uris: [uri], ttl: ttl)
            configure(&$0)
        }) { _, port in try await body(port, coturn) }
    }

    /// A relay-only room peer that fetches TURN credentials from the signaling server.
    static func relayPeer(port: Int, id: String, room: String, optional: Bool = false) -> RoomPeer {
        RoomPeer(port: port, id: id, room: room) {
            $0.iceTransportPolicy = .relay
            $0.turnCredentials = TURNCredentialsSource(url: "http://127.0.0.1:\(port)/turn-credentials", user: id, optional: optional)
        }
    }

    /// The candidate lines of a connection's local description.
    static func candidateLines(_ pc: PeerConnection) async throws -> [String] {
        try #require(await pc.localDescription).sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }.map(String.init)
    }

    /// `swiftrtc echo --relay-only` fetches credentials from the server (derived from --signal)
    /// and so does a relay-only `RoomClient`: they connect through coturn with relayed
    /// candidates only (both descriptions, the selected pair) and messages echo; coturn logged
    /// allocations for both time-limited user names.
    @Test func echoRelayOnlyConnectsThroughCoturnWithServerCredentials() async throws {
        let binary = try swiftrtcExecutable()
        try await Self.withRelay { port, coturn in
            let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
                ["echo", "--relay-only"] + RoomCommandLineTests.roomArguments(port: port, room: "relayed", peer: "echo"))
            defer { echo.terminate() }
            try await echo.waitForLine(timeout: 30) { $0.contains("joined room relayed as echo") }
            let me = Self.relayPeer(port: port, id: "me", room: "relayed")
            #expect(try await me.join() == ["echo"])
            let credentials = try #require(await me.room.turnCredentials)
            #expect(credentials.username.hasSuffix(":me") && credentials.uris == ["turn:127.0.0.1:\(coturn.port)?transport=udp"])
            let chat = try await me.channel(with: "echo", timeout: 30)
            for i in 0..<10 {
                try await chat.send("relayed \(i)")
                #expect(try await withTimeout(10, "relayed echo") { try await chat.receive() } == .text("relayed \(i)"))
            }
            let big = [UInt8]((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
            try await chat.send(big)
            #expect(try await withTimeout(10, "relayed binary echo") { try await chat.receive() } == .binary(big))
            let pc = try #require(await me.room.connection(to: "echo"))
            let lines = try await Self.candidateLines(pc)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(" typ relay ") }, "\(lines)")
            let remote = try #require(await pc.remoteDescription).sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }
            #expect(remote.allSatisfy { $0.contains(" typ relay ") }, "echo signaled a non-relayed candidate: \(remote)")
            let stats = await pc.stats()
            #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay")
            for user in [":me", ":echo"] {
                #expect(coturn.process.output.contains { $0.contains("ALLOCATE") && $0.contains("success") && $0.contains(user) },
                        "no allocation for \(user): \(coturn.process.allOutput.suffix(3000))")
            }
            await me.close()
            echo.terminate()
            #expect(try await echo.waitForExit(timeout: 10) == 0, "\(echo.allOutput)")
        }
    }

    enum BadCredentials: String, CaseIterable, Sendable {
        /// The signaling server signs with another secret than coturn's.
        case wrongSecret
        /// They expired an hour ago.
        case expired
    }

    /// Credentials coturn refuses (signed with the wrong secret, or expired) are a typed
    /// candidate error (401) and ICE fails on both sides within seconds, not a hang.
    @Test(arguments: BadCredentials.allCases)
    func refusedCredentialsFailICEWithATypedError(_ bad: BadCredentials) async throws {
        try await Self.withRelay(secret: bad == .wrongSecret ? "not-the-secret" : nil, ttl: bad == .expired ? -3600 : 600) { port, _ in
            let a = Self.relayPeer(port: port, id: "a", room: "refused")
            let b = Self.relayPeer(port: port, id: "b", room: "refused")
            try await a.join()
            #expect(try await b.join() == ["a"])
            let started = ContinuousClock.now
            for (peer, other) in [(a, "b"), (b, "a")] {
                let pc = try await waitForValue(15, "\(peer.id)'s connection to \(other)") { await peer.room.connection(to: other) }
                try await withTimeout(15, "\(peer.id): ICE to fail") {
                    while await pc.iceConnectionState != .failed { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(await pc.stats().iceCandidateErrors >= 1)
                let reason = await pc.failureReason ?? ""
                #expect(reason.contains("401"), "\(reason)")
                #expect(try await Self.candidateLines(pc).isEmpty)
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            await a.close()
            await b.close()
        }
    }

    /// A room that needs fetched credentials from a server that hands none out fails to join
    /// with the typed `notConfigured`; an optional source joins without them.
    @Test func aServerWithoutTURNIsATypedJoinErrorUnlessOptional() async throws {
        try await withSignalingServer { _, port in
            let required = Self.relayPeer(port: port, id: "required", room: "no-turn")
            await #expect(throws: TURNCredentialsError.notConfigured(url: "http://127.0.0.1:\(port)/turn-credentials")) {
                try await required.room.join()
            }
            await required.close()
            let lenient = Self.relayPeer(port: port, id: "optional", room: "no-turn", optional: true)
            let members = try await lenient.join()
            #expect(members.isEmpty)
            #expect(await lenient.room.turnCredentials == nil)
            await lenient.close()
        }
    }

    /// `swiftrtc echo --relay-only --ice-server turns:… --turns-ca-file CERT` and a relay-only
    /// `RoomClient` trusting the same self-signed certificate connect through coturn's TLS
    /// listener (long-term credentials in the URL) and echo.
    @Test func echoRelayOnlyOverTURNSWithAPrivateCA() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-room-turns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tls = try CoturnTLS.make(in: directory)
        let coturn = try CoturnServer(CoturnConfiguration(verbose: true, tls: tls))
        defer { coturn.stop() }
        try await coturn.process.waitForLine(timeout: 15) { $0.contains("TLS/TCP listener opened") }
        let url = "turns:alice:wonderland@127.0.0.1:\(tls.port)"
        try await withSignalingServer { _, port in
            let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
                ["echo", "--relay-only", "--ice-server", url, "--turns-ca-file", tls.certificatePath]
                + RoomCommandLineTests.roomArguments(port: port, room: "turns", peer: "echo"))
            defer { echo.terminate() }
            try await echo.waitForLine(timeout: 30) { $0.contains("joined room turns as echo") }
            let server = try ICEServer(commandLineURL: url)
            let me = RoomPeer(port: port, id: "me", room: "turns") {
                $0.iceServers = [server]
                $0.iceTransportPolicy = .relay
                $0.turnTLSTrustRoots = .pem(tls.certificatePEM)
            }
            #expect(try await me.join() == ["echo"])
            let chat = try await me.channel(with: "echo", timeout: 30)
            try await chat.send("over TLS")
            #expect(try await withTimeout(10, "echo over turns") { try await chat.receive() } == .text("over TLS"))
            let pc = try #require(await me.room.connection(to: "echo"))
            #expect(await pc.stats().selectedLocalCandidateType == "relay")
            #expect(coturn.process.allOutput.contains("TLS"))
            await me.close()
        }
    }

    /// Credentials that near expiry are fetched again before the next connection is made
    /// (here: a 2 s lifetime, so a member joining 2.5 s later gets a connection with new ones).
    @Test func credentialsNearExpiryAreFetchedAgainForNewConnections() async throws {
        try await withSignalingServer({
            $0.turn = TURNConfiguration(secret: "s", uris: ["turn:127.0.0.1:9?transport=udp"], ttl: 2)
        }) { _, port in
            let a = RoomPeer(port: port, id: "a", room: "refresh") {
                $0.turnCredentials = TURNCredentialsSource(url: "http://127.0.0.1:\(port)/turn-credentials", user: "a")
            }
            try await a.join()
            let first = try #require(await a.room.turnCredentials)
            #expect(first.ttl == 2 && first.username.hasSuffix(":a"))
            try await Task.sleep(for: .milliseconds(2500))
            let b = RoomPeer(port: port, id: "b", room: "refresh")
            try await b.join()  // b offers; a answers on a new connection
            _ = try await waitForValue(10, "a's connection to b") { await a.room.connection(to: "b") }
            let second = try #require(await a.room.turnCredentials)
            #expect(second.username != first.username && (second.expiry ?? 0) > (first.expiry ?? 0), "\(first) → \(second)")
            await a.close()
            await b.close()
        }
    }
}
