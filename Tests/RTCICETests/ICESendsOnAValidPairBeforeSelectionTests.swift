import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// RFC 8445 §12.1: an agent may send data on any valid pair before a pair is selected. The
/// controlled agent's own check succeeds a round trip before the controlling agent's
/// nomination reaches it; data it sends meanwhile must arrive. Virtual time, 10 ms one way.
@Suite struct ICESendsOnAValidPairBeforeSelectionTests {
    @Test func theControlledAgentSendsOnItsValidPairBeforeTheNomination() {
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(10)), seed: 5)
        sim.start()
        #expect(!sim.b.canSendApplicationData)
        let tooEarly = sim.sendData("too early", from: .b)
        #expect(!tooEarly, "no valid pair yet: nothing to send on")
        // B's first valid pair: the event says so, data may go, nothing is selected yet.
        let found = sim.run(for: .seconds(5)) { s in s.eventsB.contains { event in if case .validPairFound = event { true } else { false } } }
        #expect(found)
        #expect(sim.b.selectedPair == nil)
        #expect(sim.b.connectionState == .checking)
        #expect(sim.b.canSendApplicationData)
        let sent = sim.sendData("before selection", from: .b)
        #expect(sent)
        let delivered = sim.run(for: .seconds(5)) { s in s.bothConnected && s.dataA.contains("before selection") }
        #expect(delivered)
        // One such event per generation, and none once a pair is selected.
        #expect(sim.eventsB.filter { if case .validPairFound = $0 { true } else { false } }.count == 1)
        let sentAfter = sim.sendData("after selection", from: .b)
        #expect(sentAfter)
        let deliveredAfter = sim.run(for: .seconds(1)) { s in s.dataA.contains("after selection") }
        #expect(deliveredAfter)
    }
}
