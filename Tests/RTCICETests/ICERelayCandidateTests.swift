import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTURN
import RTCTestSupport
import Testing

/// Relayed candidates (RFC 8445 §5.1.1.2 over RFC 8656) on virtual time, through a scripted
/// TURN server that really relays (`FakeTURNRelay`).
@Suite struct ICERelayCandidateTests {
    static func candidates(_ events: [ICEEvent]) -> [ICECandidate] {
        events.compactMap { if case .candidateGathered(let c) = $0 { c } else { nil } }
    }

    static func candidateErrors(_ events: [ICEEvent]) -> [ICECandidateError] {
        events.compactMap { if case .candidateError(let e) = $0 { e } else { nil } }
    }

    @Test func relayOnlyAgentsConnectThroughTheRelay() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let ok1 = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(ok1)

        // Only relayed candidates, each with the server-reflexive address as raddr and type
        // preference 0 (RFC 8445 §5.1.2.2).
        for (events, host) in [(net.eventsA, net.addressA), (net.eventsB, net.addressB)] {
            let gathered = Self.candidates(events)
            #expect(gathered.count == 1)
            let relayed = try #require(gathered.first)
            #expect(relayed.type == .relayed)
            #expect(relayed.address.ip == ICERelayNetwork.relayAddress.ip)
            #expect(relayed.relatedAddress == host, "the mapped address the server reported")
            #expect(relayed.priority >> 24 == 0 && relayed.priority & 0xFF == 255)
            #expect(events.contains(.gatheringStateChanged(.complete)))
        }
        let pairA = try #require(net.a.selectedPair)
        let pairB = try #require(net.b.selectedPair)
        #expect(pairA.local.type == .relayed && pairA.remote.type == .relayed)
        #expect(pairB.local.type == .relayed && pairB.remote.type == .relayed)
        #expect(pairA.remote.address == pairB.local.address && pairB.remote.address == pairA.local.address)

        // Each side asked for a permission and a channel towards the other's relayed address.
        #expect(net.relay.requests(.channelBind).count >= 2)
        for allocation in net.relay.allocations.values {
            #expect(allocation.permissions == [ICERelayNetwork.relayAddress.ip])
            #expect(allocation.channels.count == 1)
        }
        // Application data both ways, as ChannelData now that the channels are bound.
        let channelDataBefore = net.relay.channelDataFromClients
        let sendIndicationsBefore = net.relay.sendIndications
        for i in 0..<5 {
            let ok2 = net.send("a\(i)", fromA: true)
            #expect(ok2)
            let ok3 = net.send("b\(i)", fromA: false)
            #expect(ok3)
        }
        net.run(for: .seconds(1))
        #expect(net.dataB == (0..<5).map { "a\($0)" })
        #expect(net.dataA == (0..<5).map { "b\($0)" })
        #expect(net.relay.channelDataFromClients - channelDataBefore == 10)
        #expect(net.relay.sendIndications == sendIndicationsBefore, "no Send indication once a channel is bound")
        #expect(net.relay.channelDataToClients >= 10)
        #expect(net.a.statistics.relayDropped == 0 && net.b.statistics.relayDropped == 0)
    }

    @Test func relayOverAStreamToTheServerConnectsWithPaddedChannelData() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true, transport: .stream),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true, transport: .stream))
        net.streamTransport = true
        net.start()
        let connected = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(connected)
        for i in 0..<5 {
            let sent = net.send(String(repeating: "x", count: i + 1), fromA: true)
            #expect(sent)
        }
        net.run(for: .seconds(1))
        #expect(net.dataB == (1...5).map { String(repeating: "x", count: $0) })
        #expect(net.relay.channelDataFromClients >= 5)
        #expect(net.unalignedToServer == 0, "ChannelData padded to 4 on a stream")
        #expect(net.relay.requests(.allocate).count == 2)
    }

    @Test func overUDPChannelDataIsNotPadded() {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let connected = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(connected)
        let sent = net.send("odd", fromA: true)
        #expect(sent)
        #expect(net.unalignedToServer >= 1)
    }

    @Test func beforeTheChannelIsBoundChecksTravelAsSendAndDataIndications() {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.relay.errors[.channelBind] = STUNErrorCode(code: 403, reason: "Forbidden")  // channels refused: indications only
        net.start()
        let ok4 = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(ok4)
        #expect(net.relay.sendIndications > 0 && net.relay.dataIndicationsToClients > 0)
        #expect(net.relay.channelDataFromClients == 0 && net.relay.channelDataToClients == 0)
        #expect(net.a.statistics.relayPermissionFailures >= 1)
        let ok5 = net.send("over indications", fromA: true)
        #expect(ok5)
        net.run(for: .seconds(1))
        #expect(net.dataB == ["over indications"])
    }

    @Test func aRelayOnlyAgentReachesAPeersHostCandidate() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true), configurationB: ICEConfiguration())
        net.start()
        let ok6 = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(ok6)
        let pairA = try #require(net.a.selectedPair)
        #expect(pairA.local.type == .relayed && pairA.remote.type == .host)
        #expect(net.b.selectedPair?.remote.address == pairA.local.address)
        #expect(Self.candidates(net.eventsA).allSatisfy { $0.type == .relayed }, "no host candidate signaled")
        let sent7 = (net.send("via relay", fromA: true), net.send("to relay", fromA: false))
        #expect(sent7 == (true, true))
        net.run(for: .seconds(1))
        #expect(net.dataB == ["via relay"] && net.dataA == ["to relay"])
    }

    @Test func withAllCandidatesTheDirectPathWinsAndTheRelayIsStillGathered() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: false),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: false))
        net.start()
        let ok8 = net.run(for: .seconds(10), until: { $0.bothConnected && $0.a.gatheringState == .complete })
        #expect(ok8)
        let types = Self.candidates(net.eventsA).map(\.type)
        #expect(types == [.host, .relayed])
        let gathered = Self.candidates(net.eventsA)
        #expect(gathered[0].priority > gathered[1].priority)
        #expect(net.a.selectedPair?.local.type == .host && net.a.selectedPair?.remote.type == .host)
    }

    @Test func anICERestartKeepsTheAllocationAndReconnectsThroughIt() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let connected = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(connected)
        let relayedA = try #require(net.a.selectedPair?.local.address)
        let eventsBefore = net.eventsA.count
        net.restartBoth()
        let reselected = net.run(for: .seconds(10), until: { $0.a.selectedPair != nil && $0.b.selectedPair != nil })
        #expect(reselected)
        #expect(Self.candidates(Array(net.eventsA[eventsBefore...])).map(\.address) == [relayedA])
        #expect(net.a.selectedPair?.local.address == relayedA)
        #expect(net.relay.requests(.allocate).count == 2, "one allocation per side, kept across the restart")
        let sent = net.send("after restart", fromA: true)
        #expect(sent)
        net.run(for: .seconds(1))
        #expect(net.dataB == ["after restart"])
    }

    /// The TURN server was unreachable when the connection started (it connected on host
    /// candidates); an ICE restart allocates again and the relayed candidate is gathered.
    @Test func anICERestartRetriesAnAllocationThatFailed() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: false),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: false))
        net.relay.unreachable = true
        net.start()
        let failed = net.run(for: .seconds(30), until: { $0.bothConnected && $0.a.gatheringState == .complete })
        #expect(failed)
        #expect(net.a.relayAllocations.count == 1 && net.a.relayAllocations.allSatisfy { $0.error != nil && $0.relayed == nil })
        #expect(!net.a.localCandidates.contains { $0.type == .relayed })
        let allocationsBefore = net.relay.requests(.allocate).count
        net.relay.unreachable = false
        let eventsBefore = net.eventsA.count
        net.a.restart(now: net.now)
        net.b.restart(now: net.now)
        #expect(net.a.gatheringState == .gathering, "the new allocation is pending")
        net.a.setRemoteCredentials(net.b.localCredentials, now: net.now)
        net.b.setRemoteCredentials(net.a.localCredentials, now: net.now)
        net.flush()
        let gathered = net.run(for: .seconds(10), until: { $0.a.gatheringState == .complete && $0.bothConnected })
        #expect(gathered)
        #expect(net.relay.requests(.allocate).count > allocationsBefore)
        #expect(Self.candidates(Array(net.eventsA[eventsBefore...])).map(\.type).contains(.relayed))
        #expect(net.a.statistics.relayRetries == 1)
        #expect(net.a.relayAllocations.count == 1 && net.a.relayAllocations.first?.relayed != nil)
    }

    @Test func theTURNServerCanAlsoBeTheSTUNServer() {
        var configuration = ICERelayNetwork.configuration(relayOnly: false)
        configuration.stunServers = [ICERelayNetwork.relayAddress]
        var net = ICERelayNetwork(configurationA: configuration, configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let ok = net.run(for: .seconds(10), until: { $0.a.gatheringState == .complete })
        #expect(ok)
        #expect(net.now - .virtualStart < .seconds(1), "the Binding answer reached the agent, not the TURN client")
        #expect(net.a.serverReflexiveAddresses[net.addressA] == net.addressA)
        #expect(Self.candidates(net.eventsA).map(\.type) == [.host, .relayed])
    }

    @Test func permissionsChannelsAndTheAllocationAreRefreshedAndReleasedOnClose() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let ok9 = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(ok9)
        let connectedAt = net.now
        net.run(for: .seconds(1300))  // over two allocation lifetimes (600 s)
        #expect(net.bothConnected, "consent kept flowing through the relay")
        // RFC 8656: permissions last 300 s, channels 600 s, the allocation its LIFETIME.
        let permissionTimes = net.relay.requests(.createPermission).map(\.time)
        #expect(permissionTimes.filter { $0 > connectedAt }.count >= 2 * 5, "each side refreshes its permission every 240 s")
        let channelTimes = net.relay.requests(.channelBind).map(\.time)
        #expect(channelTimes.filter { $0 > connectedAt }.count >= 2 * 2)
        let refreshes = net.relay.requests(.refresh)
        #expect(refreshes.count >= 2 * 2)
        #expect(refreshes.allSatisfy { ($0.message.uint32(.lifetime) ?? 1) != 0 })
        #expect(net.relay.allocations.count == 2)

        net.a.close()
        net.b.close()
        net.flush()
        net.run(for: .seconds(1))
        let released = net.relay.requests(.refresh).filter { $0.message.uint32(.lifetime) == 0 }
        #expect(released.count == 2, "Refresh with LIFETIME 0 from each side")
        #expect(net.relay.allocations.isEmpty)
    }

    @Test(arguments: [401, 441])
    func wrongCredentialsAreATypedErrorAndARelayOnlyAgentFails(_ code: Int) throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true, password: code == 401 ? "wrong" : "wonderland"),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        if code == 441 { net.relay.errors[.allocate] = STUNErrorCode(code: 441, reason: "Wrong Credentials") }
        net.start()
        let ok10 = net.run(for: .seconds(30), until: { $0.a.connectionState == .failed })
        #expect(ok10)
        #expect(net.now - .virtualStart < .seconds(1), "known after the nonce dance, no retransmission needed")
        let errors = Self.candidateErrors(net.eventsA)
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(error.server == ICERelayNetwork.relayAddress && error.errorCode == code)
        if code == 401 {
            guard case .unauthenticated = error.error else { Issue.record("expected unauthenticated, got \(error.error)"); return }
        } else {
            #expect(error.error == .wrongCredentials)
        }
        #expect(net.a.gatheringState == .complete)
        #expect(Self.candidates(net.eventsA).isEmpty)
        #expect(net.a.statistics.relayGatheringFailures == 1)
    }

    @Test func anUnreachableServerIsGivenUpAndGatheringCompletesWithoutIt() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: false),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.relay.unreachable = true
        net.signaling = false
        net.start()
        let ok11 = net.run(for: .seconds(60), until: { $0.a.gatheringState == .complete && $0.b.connectionState == .failed })
        #expect(ok11)
        let elapsed = net.now - .virtualStart
        #expect(elapsed > .seconds(5) && elapsed < .seconds(12), "the TURN transaction timeout, not longer: \(elapsed)")
        #expect(Self.candidates(net.eventsA).map(\.type) == [.host])
        for events in [net.eventsA, net.eventsB] {
            let error = try #require(Self.candidateErrors(events).first)
            #expect(error.error == .timedOut(method: .allocate) && error.errorCode == 701)
        }
        #expect(net.b.gatheringState == .complete && Self.candidates(net.eventsB).isEmpty)
    }

    @Test func aLostAllocationFailsTheRelayedPair() throws {
        var net = ICERelayNetwork(configurationA: ICERelayNetwork.configuration(relayOnly: true),
                                  configurationB: ICERelayNetwork.configuration(relayOnly: true))
        net.start()
        let ok12 = net.run(for: .seconds(10), until: { $0.bothConnected })
        #expect(ok12)
        net.relay.errors[.refresh] = STUNErrorCode(code: 437, reason: "Allocation Mismatch")
        let ok13 = net.run(for: .seconds(700), until: { $0.a.connectionState == .failed })
        #expect(ok13)
        #expect(net.now - .virtualStart < .seconds(600), "the Refresh before expiry was refused")
        let error = try #require(Self.candidateErrors(net.eventsA).first)
        #expect(error.error == .allocationMismatch && error.errorCode == 437)
        #expect(net.a.selectedPair == nil)
    }
}
