import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// Consent freshness (RFC 7675) and ICE restart (RFC 8445 §9) on virtual time.
@Suite struct ICEConsentAndRestartTests {
    @Test func consentKeepsALiveConnectionUp() {
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.1))
        sim.start()
        let ran1 = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(ran1)
        sim.run(for: .seconds(120))
        #expect(sim.bothConnected)
    }

    @Test func consentLossFailsThePairAfterThirtySeconds() {
        var sim = ICESimulation(conditions: .perfect)
        sim.start()
        let ran2 = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(ran2)
        sim.run(for: .seconds(3))
        sim.link.conditions.loss = 1.0
        let cut = sim.now
        sim.run(for: .seconds(20))
        // Disconnected (silence), not yet failed: consent lasts 30 s.
        #expect(sim.a.connectionState == .disconnected && sim.b.connectionState == .disconnected, "20 s after the cut")
        #expect(sim.a.selectedPair != nil)
        let ran3 = sim.run(for: .seconds(15)) { $0.a.connectionState == .failed && $0.b.connectionState == .failed }
        #expect(ran3)
        #expect(sim.now - cut >= .seconds(24))
        #expect(sim.now - cut <= .seconds(31))
        let sentAfterExpiry = sim.sendData("x", from: .a)
        #expect(!sentAfterExpiry, "no data after consent expired")
    }

    @Test func restartReestablishesAfterConsentLoss() {
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.2, delay: .milliseconds(30)), seed: 9)
        sim.start()
        let ran4 = sim.run(for: .seconds(10)) { $0.bothConnected }
        #expect(ran4)
        let oldCredentials = sim.a.localCredentials
        sim.link.conditions.loss = 1.0
        let ran5 = sim.run(for: .seconds(40)) { $0.a.connectionState == .failed && $0.b.connectionState == .failed }
        #expect(ran5)
        sim.link.conditions.loss = 0.2
        sim.restartBoth()
        #expect(sim.a.localCredentials != oldCredentials)
        let ran6 = sim.run(for: .seconds(20)) { $0.bothConnected }
        #expect(ran6)
        let sentAgain = sim.sendData("again", from: .a)
        #expect(sentAgain)
        sim.run(for: .seconds(1))
        // 20 % loss may eat that one datagram; send a few.
        for _ in 0..<5 { _ = sim.sendData("again", from: .a); sim.run(for: .milliseconds(50)) }
        #expect(sim.dataB.contains("again"))
    }

    @Test func restartWhileConnectedKeepsDataFlowingAndSelectsAgain() {
        var sim = ICESimulation(conditions: .perfect)
        sim.start()
        let ran7 = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(ran7)
        let selectionsBefore = sim.eventsA.filter { if case .selectedPairChanged = $0 { true } else { false } }.count
        sim.restartBoth()
        let sentDuring = sim.sendData("during", from: .a)
        #expect(sentDuring, "old pair still carries data")
        let ran8 = sim.run(for: .seconds(5)) { s in
            s.eventsA.filter { if case .selectedPairChanged = $0 { true } else { false } }.count > selectionsBefore && s.bothConnected
        }
        #expect(ran8)
        #expect(sim.dataB.contains("during"))
    }

    /// B's address is replaced (10.0.0.2 removed, 10.0.0.3 added) while connected: both go
    /// `disconnected`; a restart that gives B its new addresses reports a host candidate on the
    /// new one only, and the pair through it is selected.
    @Test func restartWithNewLocalAddressesReconnectsAfterTheOldOneWentAway() {
        var sim = ICESimulation(conditions: .perfect)
        sim.start()
        let connected = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(connected)
        let moved = TransportAddress("10.0.0.3:6001")!
        sim.pair.b.addresses = [moved]
        let silent = sim.run(for: .seconds(10)) { $0.a.connectionState == .disconnected && $0.b.connectionState == .disconnected }
        #expect(silent)
        let eventsBefore = sim.eventsB.count
        sim.pair.withA { a, now in a.agent.restart(now: now) }
        let changedAgain = sim.pair.withB { [moved] b, now in
            b.agent.restart(localAddresses: [moved], now: now)
            return b.agent.replaceLocalAddresses([moved], now: now)
        }
        #expect(!changedAgain, "the same set again changes nothing")
        sim.pair.withA { [bCredentials = sim.b.localCredentials] a, now in a.agent.setRemoteCredentials(bCredentials, now: now) }
        sim.pair.withB { [aCredentials = sim.a.localCredentials] b, now in b.agent.setRemoteCredentials(aCredentials, now: now) }
        let reconnected = sim.run(for: .seconds(10)) { $0.bothConnected }
        #expect(reconnected)
        #expect(sim.b.localCandidates.map(\.address) == [moved])
        #expect(sim.b.selectedPair?.localBase == moved)
        #expect(sim.a.selectedPair?.remote.address == moved)
        let gathered = sim.eventsB[eventsBefore...].compactMap { if case .candidateGathered(let c) = $0 { c.address } else { nil } }
        #expect(!gathered.contains(sim.addressB), "the address that went away is not signaled again")
        #expect(gathered.contains(moved))
        let sent = sim.sendData("after the move", from: .a)
        #expect(sent)
        sim.run(for: .milliseconds(100))
        #expect(sim.dataB.contains("after the move"))
    }
}
