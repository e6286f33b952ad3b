import Foundation
import NIOCore
import RTCCore
import RTCICE
import RTCTURN
import RTCTestSupport
import Testing

/// Two relay-only ICE agents, each on RTCUDP's `UDPDriver`, reaching coturn over TCP
/// (`ICERelayServer.transport = .stream`): the driver opens one TCP connection per agent and
/// frames it, the relayed candidates say `relayProtocol` `tcp`, and data crosses the relays;
/// a connection that closes (or never opens) fails its relay at once.
@Suite(.serialized) struct ICERelayOverTCPCoturnTests {
    static func agent(_ role: ICERole, server: ICERelayServer) -> ICEAgent {
        var configuration = ICEConfiguration()
        configuration.includeLoopback = true
        configuration.relayServers = [server]
        configuration.relayOnly = true
        return ICEAgent(configuration: configuration, role: role)
    }

    @Test func relayOnlyAgentsConnectThroughCoturnOverTCP() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let coturn = try CoturnServer(CoturnConfiguration(verbose: true))
        defer { coturn.stop() }
        try await coturn.waitUntilListening()
        let server = ICERelayServer(address: TransportAddress(ip: .loopbackV4, port: coturn.port),
                                    username: "alice", password: "wonderland", transport: .stream)
        let (ra, rb) = (ICETransportRecorder(), ICETransportRecorder())
        let a = ICEUDPPeer(agent: Self.agent(.controlling, server: server), recorder: ra)
        let b = ICEUDPPeer(agent: Self.agent(.controlled, server: server), recorder: rb)
        try await a.start(bindAddresses: [.loopbackV4])
        try await b.start(bindAddresses: [.loopbackV4])
        try await ra.wait("a gathering") { $0.gatheringComplete }
        try await rb.wait("b gathering") { $0.gatheringComplete }
        for recorder in [ra, rb] {
            #expect(recorder.candidates.count == 1)
            let relayed = try #require(recorder.candidates.first)
            #expect(relayed.type == .relayed && relayed.relayProtocol == "tcp", "\(relayed)")
        }
        let (ca, cb) = (await a.withAgent { $0.localCredentials }, await b.withAgent { $0.localCredentials })
        await a.withAgent { $0.setRemoteCredentials(cb, now: .now()) }
        await b.withAgent { $0.setRemoteCredentials(ca, now: .now()) }
        for c in rb.candidates { _ = await a.withAgent { $0.addRemoteCandidate(c, now: .now()) } }
        for c in ra.candidates { _ = await b.withAgent { $0.addRemoteCandidate(c, now: .now()) } }
        await a.withAgent { $0.endOfRemoteCandidates(now: .now()) }
        await b.withAgent { $0.endOfRemoteCandidates(now: .now()) }
        try await ra.wait("a connected", timeout: 20) { $0.connected }
        try await rb.wait("b connected", timeout: 20) { $0.connected }
        for i in 0..<5 {
            await a.send("a→b \(i)")
            await b.send("b→a \(i)")
        }
        try await rb.wait("data at b") { $0.data.contains("a→b 4") }
        try await ra.wait("data at a") { $0.data.contains("b→a 4") }
        // coturn saw TCP allocations (its session lines name the transport).
        let log = coturn.process.allOutput
        #expect(log.contains("ALLOCATE") && log.contains("TCP"), "\(log.suffix(3000))")
        // The server goes away: the closed connections fail the relays, and with them ICE, at
        // once (not after consent expires).
        let stopped = ContinuousClock.now
        coturn.stop()
        for recorder in [ra, rb] {
            try await recorder.wait("ICE failed", timeout: 5) { $0.events.contains(.connectionStateChanged(.failed)) }
            #expect(recorder.events.contains { if case .candidateError(let e) = $0, case .connectionClosed = e.error { true } else { false } })
        }
        #expect(ContinuousClock.now - stopped < .seconds(3))
        await a.close()
        await b.close()
    }

    /// Nothing listens on the server's TCP port: the refused connection fails the relay at
    /// once (`TURNError.connectionClosed` in a `candidateError`), not after the Ti timeout.
    @Test func aRefusedConnectionFailsTheRelayAtOnce() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = ICERelayServer(address: TransportAddress(ip: .loopbackV4, port: InteropEnvironment.freePort(udp: false)),
                                    username: "alice", password: "wonderland", transport: .stream)
        let recorder = ICETransportRecorder()
        let peer = ICEUDPPeer(agent: Self.agent(.controlling, server: server), recorder: recorder)
        let started = ContinuousClock.now
        try await peer.start(bindAddresses: [.loopbackV4])
        try await recorder.wait("the candidate error", timeout: 5) { recorder in
            recorder.events.contains { if case .candidateError(let e) = $0, case .connectionClosed = e.error { true } else { false } }
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        try await recorder.wait("gathering") { $0.gatheringComplete }
        #expect(recorder.candidates.isEmpty)
        await peer.close()
    }
}
