import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// Two agents connect over delay, 20 % loss and reordering, on virtual time.
@Suite struct ICEConnectsOverLossyLinkTests {
    @Test func connectsOnPerfectLink() {
        var sim = ICESimulation(conditions: .perfect)
        sim.start()
        let ran1 = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(ran1)
        #expect(sim.a.selectedPair?.localBase == sim.addressA)
        #expect(sim.a.selectedPair?.remote.address == sim.addressB)
        #expect(sim.b.selectedPair?.remote.address == sim.addressA)
        #expect(sim.a.gatheringState == .complete)
        #expect(sim.eventsA.contains(.connectionStateChanged(.checking)))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func connectsWithLossDelayAndReordering(seed: UInt64) {
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.2, reorder: 0.2, duplicate: 0.05, delay: .milliseconds(40),
                                                           reorderDelay: .milliseconds(30)), seed: seed)
        sim.start()
        let ran2 = sim.run(for: .seconds(20)) { $0.bothConnected }
        #expect(ran2, "seed \(seed): \(sim.a.connectionState) / \(sim.b.connectionState)")
        // Application data passes both ways (retrying, since the link loses 20 %).
        for i in 0..<20 {
            _ = sim.sendData("a\(i)", from: .a)
            _ = sim.sendData("b\(i)", from: .b)
            sim.run(for: .milliseconds(20))
        }
        sim.run(for: .milliseconds(200))
        #expect(sim.link.dropped > 0)
        #expect(sim.dataB.contains { $0.hasPrefix("a") })
        #expect(sim.dataA.contains { $0.hasPrefix("b") })
        #expect(sim.a.selectedPair?.remote.address == sim.addressB)
        #expect(sim.b.selectedPair?.remote.address == sim.addressA)
    }

    @Test func learnsPeerReflexiveCandidateWhenCandidatesAreNotSignaled() {
        // Only A learns B's candidate; B learns A from A's check (peer-reflexive, RFC 8445 §7.3.1.3).
        var sim = ICESimulation(conditions: .perfect)
        sim.signaling = false
        sim.start()
        sim.a.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: sim.addressB, type: .host), now: sim.now)
        let ran3 = sim.run(for: .seconds(5)) { $0.bothConnected }
        #expect(ran3)
        #expect(sim.b.remoteCandidates.first?.type == .peerReflexive)
        #expect(sim.b.selectedPair?.remote.address == sim.addressA)
    }

    @Test func failsWhenEveryPairFailsAfterEndOfCandidates() {
        var sim = ICESimulation(conditions: LinkConditions(loss: 1.0))
        sim.start()
        let ran4 = sim.run(for: .seconds(60)) { $0.a.connectionState == .failed && $0.b.connectionState == .failed }
        #expect(ran4)
    }
}
