import Foundation
import RTCSession
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

@Suite("Signaling server live on 127.0.0.1 with SignalingClient", .serialized)
struct SignalingServerLiveTests {
    @Test func twoClientsJoinAndRelayOfferAnswerCandidate() async throws {
        try await withSignalingServer { server, port in
            let alice = LiveClient(port: port, peer: "alice")
            try await alice.recorder.wait("alice joined") { $0 == .joined(roomID: "room", peers: []) }
            let bob = LiveClient(port: port, peer: "bob")
            try await bob.recorder.wait("bob joined") { $0 == .joined(roomID: "room", peers: ["alice"]) }
            try await alice.recorder.wait("peer_joined") { $0 == .peerJoined("bob") }

            // The joiner offers.
            try await bob.client.sendOffer(.init(type: .offer, sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"), to: "alice")
            try await alice.recorder.wait("offer") { $0 == .offer(.init(type: .offer, sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"), from: "bob") }
            try await alice.client.sendAnswer(.init(type: .answer, sdp: "v=0\r\n"), to: "bob")
            try await bob.recorder.wait("answer") { $0 == .answer(.init(type: .answer, sdp: "v=0\r\n"), from: "alice") }
            let candidate = ICECandidateInit(candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0)
            try await alice.client.sendCandidate(candidate, to: "bob")
            try await bob.recorder.wait("candidate") { $0 == .iceCandidate(candidate, from: "alice") }
            #expect(await server.stats().messagesRelayed == 3)

            let (status, body) = try await httpGET(port: port, "/health")
            #expect(status == 200)
            #expect(body.contains(#""peers":2"#))
            #expect(body.contains(#""status":"ok""#))

            await bob.stop()
            try await alice.recorder.wait("peer_left") { $0 == .peerLeft("bob") }
            await alice.stop()
        }
    }

    @Test func errorsArriveAsTypedErrorsAndTheConnectionStays() async throws {
        try await withSignalingServer({ $0.maxMessageBytes = 2048 }) { _, port in
            let alice = LiveClient(port: port, peer: "alice")
            try await alice.recorder.wait { $0 == .joined(roomID: "room", peers: []) }
            try await alice.client.sendOffer(.init(type: .offer, sdp: "v=0"), to: "ghost")
            try await alice.recorder.wait("unknown_target") { $0.errorCode == .unknownTarget }
            try await alice.client.send(text: "{not json")
            try await alice.recorder.wait("malformed_json") { $0.errorCode == .malformedJSON }
            try await alice.client.send(text: #"{"type":"teleport"}"#)
            try await alice.recorder.wait("unknown_type") { $0.errorCode == .unknownType }
            try await alice.client.sendOffer(.init(type: .offer, sdp: String(repeating: "x", count: 4096)), to: "ghost")
            try await alice.recorder.wait("message_too_large") { $0.errorCode == .messageTooLarge }
            try await alice.client.send(.join(peerID: "again", roomID: "room"))
            try await alice.recorder.wait("already_joined") { $0.errorCode == .alreadyJoined }
            // Still connected: a new peer sees alice.
            let bob = LiveClient(port: port, peer: "bob")
            try await bob.recorder.wait { $0 == .joined(roomID: "room", peers: ["alice"]) }
            // A duplicate id is refused.
            let alice2 = LiveClient(port: port, peer: "alice")
            try await alice2.recorder.wait("duplicate_peer_id") { $0.errorCode == .duplicatePeerID }
            let dropped = alice.recorder.all.filter(\.isDisconnected)
            #expect(dropped.isEmpty)
            await alice2.stop(); await bob.stop(); await alice.stop()
        }
    }

    @Test func roomFullAndTokenAuthStopTheClient() async throws {
        let secret = "live-secret"
        try await withSignalingServer({ $0.maxRoomSize = 1; $0.joinTokenSecret = secret }) { _, port in
            let expiry = Int64(Date().timeIntervalSince1970) + 300
            let ok = LiveClient(port: port, peer: "a", token: SignalingJoinToken.make(secret: secret, peerID: "a", roomID: "room", expiry: expiry),
                                reconnect: .init(initialDelay: .milliseconds(50)))
            try await ok.recorder.wait { $0 == .joined(roomID: "room", peers: []) }
            let full = LiveClient(port: port, peer: "b", token: SignalingJoinToken.make(secret: secret, peerID: "b", roomID: "room", expiry: expiry),
                                  reconnect: .init(initialDelay: .milliseconds(50)))
            try await full.recorder.wait("room_full") { $0.errorCode == .roomFull }
            let bad = LiveClient(port: port, peer: "c", token: "123.abc", reconnect: .init(initialDelay: .milliseconds(50)))
            try await bad.recorder.wait("unauthorized") { $0.errorCode == .unauthorized }
            // Fatal join errors end the client instead of reconnecting forever.
            _ = await bad.task.value
            #expect(await bad.client.failure?.code == .unauthorized)
            let expired = LiveClient(port: port, peer: "d", token: SignalingJoinToken.make(secret: secret, peerID: "d", roomID: "room", expiry: 1))
            try await expired.recorder.wait("token_expired") { $0.errorCode == .tokenExpired }
            await expired.stop(); await full.stop(); await ok.stop()
        }
    }

    @Test func rateLimitClosesAnAbusiveClient() async throws {
        try await withSignalingServer({ $0.rateLimit = SignalingRateLimit(messagesPerSecond: 1, burst: 3, maxViolations: 5) }) { _, port in
            let abuser = LiveClient(port: port, peer: "spam")
            let victim = LiveClient(port: port, peer: "victim")
            try await abuser.recorder.wait { $0.isJoined }
            try await victim.recorder.wait { $0.isJoined }
            for _ in 0..<20 { try? await abuser.client.sendCandidate(.init(candidate: ""), to: "victim") }
            try await abuser.recorder.wait("rate_limited") { $0.errorCode == .rateLimited }
            try await abuser.recorder.wait("disconnect") { $0.isDisconnected }
            try await victim.recorder.wait("peer_left") { $0 == .peerLeft("spam") }
            await abuser.stop(); await victim.stop()
        }
    }

    @Test func gracefulShutdownTellsClientsAndTheyReconnectAndRejoin() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        var configuration = SignalingServerConfiguration()
        configuration.port = Int(InteropEnvironment.freePort(udp: false))
        let port = configuration.port
        let first = SignalingServer(configuration: configuration)
        let run1 = Task { try await first.run(handleSignals: false) }
        _ = try await first.waitUntilRunning()
        let alice = LiveClient(port: port, peer: "alice", reconnect: .init(initialDelay: .milliseconds(100), maxDelay: .milliseconds(400)))
        try await alice.recorder.wait { $0 == .joined(roomID: "room", peers: []) }

        await first.shutdown()
        try await run1.value
        try await alice.recorder.wait("shutdown") { $0.isShutdown }
        try await alice.recorder.wait("disconnected") { $0.reconnectDelay != nil }

        // A new server on the same port: the client reconnects with back-off and joins again.
        let second = SignalingServer(configuration: configuration)
        let run2 = Task { try await second.run(handleSignals: false) }
        _ = try await second.waitUntilRunning()
        try await alice.recorder.waitCount(2, timeout: 15) { $0 == .joined(roomID: "room", peers: []) }
        #expect(await second.stats().peers == 1)
        await alice.stop()
        await second.shutdown()
        try await run2.value
    }

    @Test func turnCredentialsEndpoint() async throws {
        try await withSignalingServer({ $0.turn = TURNConfiguration(secret: "t", uris: ["turn:127.0.0.1:3478"], ttl: 600) }) { _, port in
            let (status, body) = try await httpGET(port: port, "/turn-credentials?user=alice")
            #expect(status == 200)
            let credentials = try JSONDecoder().decode(TURNCredentials.self, from: Data(body.utf8))
            #expect(credentials.username.hasSuffix(":alice"))
            #expect(credentials.ttl == 600)
            let expiry = try #require(Int64(credentials.username.split(separator: ":")[0]))
            #expect(credentials == TURNCredentials.make(secret: "t", user: "alice", ttl: 600, uris: ["turn:127.0.0.1:3478"], unixTime: expiry - 600))
            let (missing, _) = try await httpGET(port: port, "/turn-credentials")
            #expect(missing == 400)
        }
        try await withSignalingServer { _, port in
            let (status, _) = try await httpGET(port: port, "/turn-credentials?user=a")
            #expect(status == 404)
        }
    }
}

extension SignalingClientEvent {
    var errorCode: SignalingErrorCode? {
        guard case .error(let e) = self else { return nil }
        return e.code
    }
    var isDisconnected: Bool {
        guard case .disconnected = self else { return false }
        return true
    }
    var reconnectDelay: Duration? {
        guard case .disconnected(let d) = self else { return nil }
        return d
    }
    var isJoined: Bool {
        guard case .joined = self else { return false }
        return true
    }
    var isShutdown: Bool {
        guard case .serverShutdown = self else { return false }
        return true
    }
}

extension SignalingClientEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connected: "connected"
        case .joined(let r, let p): "joined(\(r), \(p))"
        case .peerJoined(let p): "peer_joined(\(p))"
        case .peerLeft(let p): "peer_left(\(p))"
        case .offer(_, let f): "offer from \(f)"
        case .answer(_, let f): "answer from \(f)"
        case .iceCandidate(let c, let f): "candidate \(c.candidate) from \(f)"
        case .error(let e): "error \(e)"
        case .serverShutdown(let m): "shutdown \(m)"
        case .speakerChanged(let p): "speaker_changed(\(p ?? "nobody"))"
        case .disconnected(let d): "disconnected, reconnect in \(String(describing: d))"
        case .redirected(let url): "redirected to \(url)"
        }
    }
}
