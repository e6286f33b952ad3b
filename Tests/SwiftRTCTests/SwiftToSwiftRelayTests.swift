import Foundation
import RTCTURN
import RTCTestSupport
import SwiftRTC
import Testing

/// Two SwiftRTC peer connections with `iceTransportPolicy = .relay` through a real coturn
/// (RFC 8656 over UDP): only relayed candidates are signaled and the selected pair is relayed
/// on both sides; wrong credentials end in a typed error and ICE `failed`, never a hang.
@Suite(.serialized, .heavyPeers) struct SwiftToSwiftRelayTests {
    enum Credentials: String, CaseIterable, Sendable {
        case longTerm
        case rest
    }

    /// A coturn with `credentials` and the ICE server entry that uses them (`password`
    /// overrides the right one).
    static func coturn(_ credentials: Credentials, password: String? = nil) throws -> (CoturnServer, ICEServer) {
        switch credentials {
        case .longTerm:
            let server = try CoturnServer()
            let url = "turn:127.0.0.1:\(server.port)?transport=udp"
            return (server, ICEServer(urls: [url], username: "alice", credential: password ?? "wonderland"))
        case .rest:
            let secret = "relay-secret-\(UInt32.random(in: 0...UInt32.max))"
            let server = try CoturnServer(CoturnConfiguration(authentication: .restSecret(secret)))
            let rest = TURNRESTCredentials(secret: secret, name: "swift", expiry: UInt64(Date().timeIntervalSince1970) + 3600)
            return (server, ICEServer(urls: ["turn:127.0.0.1:\(server.port)"], username: rest.username, credential: password ?? rest.password))
        }
    }

    static func relayOnly(_ client: WebRTCClient, _ server: ICEServer) async throws -> PeerConnection {
        try await client.createPeerConnection {
            $0.iceServers = [server]
            $0.iceTransportPolicy = .relay
        }
    }

    /// The candidate lines of a description.
    static func candidates(_ pc: PeerConnection) async throws -> [String] {
        try #require(await pc.localDescription).sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") }.map(String.init)
    }

    @Test(arguments: Credentials.allCases)
    func relayOnlyPeersConnectThroughCoturnAndEcho(_ credentials: Credentials) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, server) = try Self.coturn(credentials)
        defer { coturn.stop() }
        let client = WebRTCClient(engine: .native)
        let a = try await Self.relayOnly(client, server)
        let b = try await Self.relayOnly(client, server)
        let local = try await a.createDataChannel("relayed")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        for pc in [a, b] {
            let lines = try await Self.candidates(pc)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(" typ relay ") }, "relay only: \(lines)")
            #expect(lines.allSatisfy { $0.contains(" 127.0.0.1 ") && $0.contains(" raddr ") })
        }
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(a)
        #expect(opened === local)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        for i in 0..<20 {
            try await local.send("ping \(i)")
            let got = try await withTimeout(5, "relayed text") { try await remote.receiveText() }
            try await remote.send("echo \(got)")
            #expect(try await withTimeout(5, "relayed echo") { try await local.receiveText() } == "echo ping \(i)")
        }
        let big = [UInt8]((0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try await local.send(big)
        #expect(try await withTimeout(10, "relayed binary") { try await remote.receiveBinary() } == big)
        for pc in [a, b] {
            let stats = await pc.stats()
            #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay",
                    "selected \(stats.selectedCandidatePair ?? "none")")
            #expect(stats.iceCandidateErrors == 0)
        }
        #expect(await a.connectionState == .connected)
        #expect(await b.connectionState == .connected)
        await a.close()
        await b.close()
    }

    @Test(arguments: Credentials.allCases)
    func wrongPasswordIsATypedErrorAndICEFails(_ credentials: Credentials) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, server) = try Self.coturn(credentials, password: "not-the-password")
        defer { coturn.stop() }
        let logs = CapturedLogs()
        let client = PeerConnectionLoggingTests.client(logs, level: .warning)
        let a = try await Self.relayOnly(client, server)
        _ = try await a.createDataChannel("never")
        let started = ContinuousClock.now
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "ICE to fail") {
            for await state in a.iceConnectionStateUpdates where state == .failed { return }
            throw TestTimeout(what: "iceConnectionStateUpdates ended")
        }
        #expect(ContinuousClock.now - started < .seconds(5), "a 401 is known after two round trips")
        #expect(await a.iceGatheringState == .complete)
        #expect(try await Self.candidates(a).isEmpty)
        #expect(await a.stats().iceCandidateErrors == 1)
        let reason = await a.failureReason ?? ""
        #expect(reason.contains("401"), "\(reason)")
        #expect(await a.connectionState == .failed)
        let mine = logs.records(pc: a.logID)
        #expect(mine.contains { $0.level == .warning && $0.message == "no relayed candidate from a TURN server" && $0["code"] == "401" }, "\(mine)")
        #expect(mine.contains { $0.level == .error && $0.message == "ICE state failed" && ($0["reason"] ?? "").contains("401") }, "\(mine)")
        await a.close()
    }

    /// `turn:…?transport=tcp` (RFC 8656 over TCP, `UDPDriver`'s stream connections): two
    /// relay-only connections move 4 MiB through coturn's TCP listener and the receiver's
    /// SHA-256 matches; the selected pairs are relayed and coturn logged TCP allocations.
    @Test func relayOnlyPeersMoveDataThroughCoturnOverTCP() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let coturn = try CoturnServer(CoturnConfiguration(verbose: true))
        defer { coturn.stop() }
        try await coturn.waitUntilListening()
        let server = ICEServer(urls: ["turn:127.0.0.1:\(coturn.port)?transport=tcp"], username: "alice", credential: "wonderland")
        let client = WebRTCClient(engine: .native)
        let a = try await Self.relayOnly(client, server)
        let b = try await Self.relayOnly(client, server)
        _ = try await a.createDataChannel("first")
        let echo = SwiftEchoPeer(b)
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        for pc in [a, b] {
            let lines = try await Self.candidates(pc)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(" typ relay ") }, "relay only: \(lines)")
        }
        try await BulkTransfer.run(on: a, total: 4 << 20, chunk: 16 * 1024)
        for pc in [a, b] {
            let stats = await pc.stats()
            #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay")
            #expect(stats.iceCandidateErrors == 0)
        }
        let log = coturn.process.allOutput
        #expect(log.contains("TCP") && log.contains("ALLOCATE"), "\(log.suffix(3000))")
        await a.close()
        await b.close()
        _ = echo
    }

    /// The common browser-style configuration, one TURN server over UDP *and* TCP: both
    /// allocations are made (from different sockets, so the edge tells their traffic apart),
    /// each side signals two relayed candidates, and the connection carries data.
    @Test func aServerOverUDPAndTCPGivesTwoRelayedCandidates() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let coturn = try CoturnServer(CoturnConfiguration(verbose: true))
        defer { coturn.stop() }
        try await coturn.waitUntilListening()
        let server = ICEServer(urls: ["turn:127.0.0.1:\(coturn.port)?transport=udp", "turn:127.0.0.1:\(coturn.port)?transport=tcp"],
                               username: "alice", credential: "wonderland")
        let client = WebRTCClient(engine: .native)
        let a = try await Self.relayOnly(client, server)
        let b = try await Self.relayOnly(client, server)
        let local = try await a.createDataChannel("both")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        for pc in [a, b] {
            let lines = try await Self.candidates(pc)
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains(" typ relay ") }, "\(lines)")
            #expect(await pc.stats().iceCandidateErrors == 0)
        }
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        try await local.send("over one of two relays")
        #expect(try await withTimeout(5, "relayed text") { try await remote.receiveText() } == "over one of two relays")
        await a.close()
        await b.close()
    }

    /// coturn with a TLS listener and a fresh self-signed certificate for 127.0.0.1.
    static func coturnWithTLS() async throws -> (CoturnServer, CoturnTLS, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-turns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tls = try CoturnTLS.make(in: directory)
        let coturn = try CoturnServer(CoturnConfiguration(verbose: true, tls: tls))
        try await coturn.process.waitForLine(timeout: 15) { $0.contains("TLS/TCP listener opened") }
        return (coturn, tls, directory)
    }

    /// `turns:` (TURN over TLS, swift-nio-ssl under the TURN framing) to a coturn whose
    /// self-signed certificate is given as `turnTLSTrustRoots`: two relay-only connections move
    /// 2 MiB with a matching SHA-256; coturn logged TLS sessions.
    @Test func relayOnlyPeersMoveDataThroughCoturnOverTLS() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, tls, directory) = try await Self.coturnWithTLS()
        defer {
            coturn.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        let server = ICEServer(urls: ["turns:127.0.0.1:\(tls.port)"], username: "alice", credential: "wonderland")
        let client = WebRTCClient(engine: .native)
        func make() async throws -> PeerConnection {
            try await client.createPeerConnection {
                $0.iceServers = [server]
                $0.iceTransportPolicy = .relay
                $0.turnTLSTrustRoots = .pem(tls.certificatePEM)
            }
        }
        let a = try await make()
        let b = try await make()
        _ = try await a.createDataChannel("first")
        let echo = SwiftEchoPeer(b)
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        for pc in [a, b] {
            let lines = try await Self.candidates(pc)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(" typ relay ") }, "relay only: \(lines)")
        }
        try await BulkTransfer.run(on: a, total: 2 << 20, chunk: 16 * 1024)
        for pc in [a, b] {
            let stats = await pc.stats()
            #expect(stats.selectedLocalCandidateType == "relay" && stats.selectedRemoteCandidateType == "relay")
            #expect(stats.iceCandidateErrors == 0)
        }
        let log = coturn.process.allOutput
        #expect(log.contains("TLS") && log.contains("ALLOCATE"), "\(log.suffix(3000))")
        await a.close()
        await b.close()
        _ = echo
    }

    /// The same server with the system's trust roots: its self-signed certificate is refused
    /// (verification is never switched off), so the relay is a typed candidate error and a
    /// relay-only connection fails ICE, not hangs.
    @Test func anUntrustedTURNCertificateFailsICE() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, tls, directory) = try await Self.coturnWithTLS()
        defer {
            coturn.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        let server = ICEServer(urls: ["turns:127.0.0.1:\(tls.port)"], username: "alice", credential: "wonderland")
        let a = try await Self.relayOnly(WebRTCClient(engine: .native), server)
        _ = try await a.createDataChannel("never")
        let started = ContinuousClock.now
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(20, "ICE to fail") {
            for await state in a.iceConnectionStateUpdates where state == .failed { return }
            throw TestTimeout(what: "iceConnectionStateUpdates ended")
        }
        // The failed handshake closes the connection, and the edge says so at once.
        #expect(ContinuousClock.now - started < .seconds(3))
        let reason = await a.failureReason ?? ""
        #expect(reason.contains("the connection to the server closed"), "\(reason)")
        #expect(await a.stats().iceCandidateErrors == 1)
        #expect(try await Self.candidates(a).isEmpty)
        #expect(!coturn.process.output.contains { $0.contains("ALLOCATE") && $0.contains("success") })
        await a.close()
    }
}
