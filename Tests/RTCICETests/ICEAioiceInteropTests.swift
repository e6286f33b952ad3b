import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCCore
import RTCICE
import RTCTestSupport
import RTCUDP
import Testing

/// Collects what a running `ICEUDPPeer` reports, for tests that poll.
final class ICETransportRecorder: @unchecked Sendable {
    private let lock = NIOLock()
    private var _events: [ICEEvent] = []
    private var _data: [String] = []
    var events: [ICEEvent] { lock.withLock { _events } }
    var data: [String] { lock.withLock { _data } }
    func record(_ e: ICEEvent) { lock.withLock { _events.append(e) } }
    func record(data d: ReceivedDatagram) { lock.withLock { _data.append(String(buffer: d.payload)) } }

    /// Polls (real time) until `predicate` holds; throws after `timeout` seconds.
    func wait(_ what: String, timeout: Double = 15, _ predicate: (ICETransportRecorder) -> Bool) async throws {
        try await waitUntil(timeout, "\(what); events: \(events); data: \(data)") { predicate(self) }
    }

    var gatheringComplete: Bool { events.contains(.gatheringStateChanged(.complete)) }
    var connected: Bool { events.contains(.connectionStateChanged(.connected)) }
    var candidates: [ICECandidate] { events.compactMap { if case .candidateGathered(let c) = $0 { c } else { nil } } }
}

/// Our agent (through the NIO UDP edge) against aioice on 127.0.0.1, in both roles.
@Suite(.serialized) struct ICEAioiceInteropTests {
    @Test(arguments: [ICERole.controlling, .controlled])
    func connectsAndExchangesData(ourRole: ICERole) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/ice-aioice-peer.py").path
        let peer = try PeerProcess("aioice", executable: python,
                                   arguments: [script, ourRole == .controlling ? "controlled" : "controlling"])
        defer { peer.terminate() }

        var configuration = ICEConfiguration()
        configuration.includeLoopback = true
        let recorder = ICETransportRecorder()
        let transport = ICEUDPPeer(agent: ICEAgent(configuration: configuration, role: ourRole), recorder: recorder)
        try await transport.start(bindAddresses: [.loopbackV4])
        try await recorder.wait("gathering") { $0.gatheringComplete }

        let offerLine = try await peer.waitForLine { $0.hasPrefix("{\"ufrag\"") }
        struct Description: Codable { var ufrag: String; var pwd: String; var candidates: [String] }
        let theirs = try JSONDecoder().decode(Description.self, from: Data(offerLine.utf8))
        let remoteCredentials = ICECredentials(ufrag: theirs.ufrag, password: theirs.pwd)
        await transport.withAgent { $0.setRemoteCredentials(remoteCredentials, now: .now()) }
        var added = 0
        for line in theirs.candidates {
            let candidate = try ICECandidate(sdpAttributeValue: line)
            _ = await transport.withAgent { $0.addRemoteCandidate(candidate, now: .now()) }
            added += 1
        }
        #expect(added > 0)
        await transport.withAgent { $0.endOfRemoteCandidates(now: .now()) }
        let ours = await transport.withAgent { $0.localCredentials }
        let mine = Description(ufrag: ours.ufrag, pwd: ours.password, candidates: recorder.candidates.map(\.sdpAttributeValue))
        peer.write(String(decoding: try JSONEncoder().encode(mine), as: UTF8.self) + "\n")

        try await recorder.wait("connected") { $0.connected }
        try await peer.waitForLine { $0.contains("\"connected\": true") }
        try await recorder.wait("data from aioice") { $0.data.contains("hello from aioice") }
        await transport.send("ping")
        try await recorder.wait("echo") { $0.data.contains("echo:ping") }
        try await peer.waitForLine { $0.contains("\"received\": \"ping\"") }
        await transport.send("bye")
        try await peer.waitForExit(timeout: 10)
        let role = await transport.withAgent { $0.role }
        #expect(role == ourRole)
        await transport.close()
    }

    @Test func learnsServerReflexiveCandidateFromCoturn() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer()
        defer { server.stop() }
        try await Task.sleep(nanoseconds: 300_000_000)
        var configuration = ICEConfiguration()
        configuration.includeLoopback = true
        configuration.stunServers = [TransportAddress(ip: .loopbackV4, port: server.port)]
        configuration.gatheringTransmissions = 7
        let recorder = ICETransportRecorder()
        let transport = ICEUDPPeer(agent: ICEAgent(configuration: configuration, role: .controlling), recorder: recorder)
        try await transport.start(bindAddresses: [.loopbackV4])
        try await recorder.wait("gathering") { $0.gatheringComplete }
        let host = try #require(recorder.candidates.first { $0.type == .host })
        // On loopback the server sees our host address, so the reflexive address equals the
        // base and RFC 8445 §5.1.3 drops it as redundant; the agent records the answer instead.
        let reflexive = await transport.withAgent { $0.serverReflexiveAddresses }
        #expect(reflexive[host.address] == host.address)
        await transport.close()
    }
}
