import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// Both agents start in the same role; RFC 8445 §7.3.1.1 resolves it by tie-breaker.
@Suite struct ICERoleConflictTests {
    @Test(arguments: [ICERole.controlling, .controlled], [UInt64(1), 2, 3])
    func sameRoleResolves(role: ICERole, seed: UInt64) {
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.1, delay: .milliseconds(20)), seed: seed, roleA: role, roleB: role)
        sim.start()
        let ran1 = sim.run(for: .seconds(20)) { $0.bothConnected }
        #expect(ran1)
        #expect(sim.a.role != sim.b.role)
        // The agent with the larger tie-breaker ends up controlling.
        let winner = sim.a.tieBreaker >= sim.b.tieBreaker ? sim.a.role : sim.b.role
        #expect(winner == .controlling)
        #expect(sim.a.statistics.roleConflicts + sim.b.statistics.roleConflicts > 0)
        #expect(sim.a.selectedPair?.remote.address == sim.addressB)
    }
}
