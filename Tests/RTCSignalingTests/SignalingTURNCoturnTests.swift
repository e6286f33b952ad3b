import Foundation
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

@Suite("TURN credentials from the signaling server work with a real coturn", .serialized)
struct SignalingTURNCoturnTests {
    /// coturn with `use-auth-secret`; two aiortc peers with `iceTransportPolicy=relay` fetch
    /// credentials from `/turn-credentials` and open a data channel through the relay.
    @Test func aiortcPeersAllocateAndRelayWithServerCredentials() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        let secret = "swiftrtc-turn-secret-\(UInt32.random(in: 0...UInt32.max))"
        let server = try CoturnServer(CoturnConfiguration(authentication: .restSecret(secret), relayPorts: 49152...49999, verbose: true))
        defer { server.stop() }
        try await server.waitUntilListening()
        let coturn = server.process, turnPort = server.port

        try await withSignalingServer({
            $0.turn = TURNConfiguration(secret: secret, uris: ["turn:127.0.0.1:\(turnPort)?transport=udp"], ttl: 600)
        }) { _, port in
            let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/signaling-turn-relay.py").path
            let peers = try PeerProcess("aiortc relay peers", executable: python, arguments: [script, "http://127.0.0.1:\(port)"])
            defer { peers.terminate() }
            let credentials = try await peers.waitForLine(timeout: 30) { $0.hasPrefix("CREDENTIALS ") }
            let result = try await peers.waitForLine(timeout: 40) { $0.hasPrefix("RELAY ") }
            #expect(result.hasPrefix("RELAY OK relay"), "\(peers.allOutput)\n--- coturn ---\n\(coturn.allOutput.suffix(3000))")
            // coturn saw our time-limited username in an authenticated allocation.
            let username = String(credentials.dropFirst("CREDENTIALS ".count))
            #expect(username.hasSuffix(":relay-test"))
            let logged = coturn.output.contains { $0.contains("ALLOCATE") && $0.contains("success") && $0.contains(username) }
            #expect(logged, "coturn log has no successful ALLOCATE for \(username):\n\(coturn.allOutput.suffix(3000))")
        }
    }
}
