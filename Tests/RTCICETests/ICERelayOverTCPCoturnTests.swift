import Foundation
import NIOCore
import RTCCore
import RTCICE
import RTCTURN
import RTCTestSupport
import Testing

/// Two relay-only ICE agents, each on RTCUDP's `UDPDriver`, reaching coturn over TCP
/// (`ICERelayServer.transport = .stream`): the driver opens one TCP connection per agent and
/// frames it, the relayed candidates say `relayProtocol` `tcp`, and data crosses the relays.
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
        await a.close()
        await b.close()
    }
}
