import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTURN
import RTCTestSupport
import Testing

/// New STUN/TURN servers given to a running agent (W3C `setConfiguration` with new
/// `iceServers`: usually fresh time-limited credentials): they apply where an allocation is
/// made, never to a working one, on virtual time through `FakeTURNRelay`.
@Suite struct ICERelayServersChangeTests {
    static func server(_ username: String, _ password: String) -> ICERelayServer {
        ICERelayServer(address: ICERelayNetwork.relayAddress, username: username, password: password)
    }

    /// The user names of the authenticated Allocate requests the server saw, in order.
    static func allocatingUsers(_ relay: FakeTURNRelay) -> [String] {
        relay.requests(.allocate).compactMap { try? $0.message.attribute(.username)?.text() }
    }

    /// The credentials the connection started with were refused (expired, say); new ones given
    /// to the agent are what the allocation at the next restart uses, and it succeeds.
    @Test func theAllocationARestartMakesUsesTheNewCredentials() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: false),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: false))
        net.relay.username = "bob"
        net.relay.password = "fresh"
        net.start()
        let connected = net.run(for: .seconds(30), until: { $0.bothConnected && $0.a.gatheringState == .complete })
        #expect(connected)
        #expect(net.a.relayAllocations.first?.error != nil, "alice's credentials were refused")
        #expect(!net.a.localCandidates.contains { $0.type == .relayed })

        net.a.updateServers(stun: [], relay: [Self.server("bob", "fresh")])
        let eventsBefore = net.eventsA.count
        net.restartBoth()
        let gathered = net.run(for: .seconds(10), until: { $0.a.gatheringState == .complete && $0.bothConnected })
        #expect(gathered)
        #expect(Self.allocatingUsers(net.relay).last == "bob")
        #expect(ICERelayCandidateTests.candidates(Array(net.eventsA[eventsBefore...])).map(\.type).contains(.relayed))
        #expect(net.a.relayAllocations.count == 1 && net.a.relayAllocations.first?.relayed != nil)
    }

    /// A working allocation keeps the credentials it was made with across a restart (the
    /// server checked them when it created it); a server that is no longer listed is released
    /// at the next restart (Refresh with LIFETIME 0) and its candidate is not signaled again.
    @Test func aWorkingAllocationIsKeptAndAnUnlistedServerReleased() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: false),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: false))
        net.start()
        let connected = net.run(for: .seconds(10), until: { $0.bothConnected && $0.a.gatheringState == .complete })
        #expect(connected)
        let relayedA = try #require(net.a.relayAllocations.first?.relayed)
        let allocations = net.relay.requests(.allocate).count

        // Same server, new credentials: nothing is allocated again, the candidate is kept.
        net.a.updateServers(stun: [], relay: [Self.server("alice", "renewed")])
        var eventsBefore = net.eventsA.count
        net.restartBoth()
        let again = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(again)
        #expect(net.relay.requests(.allocate).count == allocations)
        #expect(ICERelayCandidateTests.candidates(Array(net.eventsA[eventsBefore...])).map(\.address).contains(relayedA))

        // No TURN server any more: the allocation is released at the next restart.
        net.a.updateServers(stun: [], relay: [])
        eventsBefore = net.eventsA.count
        let releasesBefore = net.relay.requests(.refresh).filter { $0.message.uint32(.lifetime) == 0 }.count
        net.restartBoth()
        let hostOnly = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(hostOnly)
        let releases = net.relay.requests(.refresh).filter { $0.message.uint32(.lifetime) == 0 }.count
        #expect(releases == releasesBefore + 1)
        #expect(net.a.relayAllocations.isEmpty)
        let signaled = ICERelayCandidateTests.candidates(Array(net.eventsA[eventsBefore...]))
        #expect(!signaled.contains { $0.type == .relayed } && signaled.contains { $0.type == .host })
        #expect(net.a.selectedPair?.local.type == .host)
    }
}
