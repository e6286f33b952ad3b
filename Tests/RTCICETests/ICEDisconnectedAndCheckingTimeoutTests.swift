import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// The W3C states between connected and failed, on virtual time: `disconnected` after about
/// 5 s of silence on the selected pair (and back to `connected` when the peer is heard again),
/// `failed` when consent expires (30 s, RFC 7675), and `failed` when checking never succeeds
/// even though the peer never signals end-of-candidates.
@Suite struct ICEDisconnectedAndCheckingTimeoutTests {
    /// The connection-state changes of side A after index `from` of its events, with their times.
    static func states(_ sim: ICESimulation) -> [ICEConnectionState] {
        sim.eventsA.compactMap { if case .connectionStateChanged(let s) = $0 { s } else { nil } }
    }

    @Test func aSilentPeerIsDisconnectedAfterFiveSecondsAndFailedAfterThirty() {
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(20)), seed: 21)
        sim.start()
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        sim.run(for: .seconds(10))
        #expect(sim.bothConnected)
        // The peer dies (SIGKILL): nothing arrives any more.
        sim.link.conditions.loss = 1.0
        let cut = sim.now
        #expect(sim.run(for: .seconds(10)) { $0.a.connectionState == .disconnected })
        let disconnectedAfter = sim.now - cut
        // Last heard at most ~2.5 s before the cut (checks go out by then), so 2.5–5 s after it.
        #expect(disconnectedAfter >= .milliseconds(2_400) && disconnectedAfter <= .milliseconds(5_100),
                "disconnected \(Double(disconnectedAfter.nanoseconds) / 1e9) s after the cut")
        #expect(sim.run(for: .seconds(40)) { $0.a.connectionState == .failed })
        let failedAfter = sim.now - cut
        #expect(failedAfter >= .seconds(27) && failedAfter <= .milliseconds(30_100),
                "failed \(Double(failedAfter.nanoseconds) / 1e9) s after the cut")
        #expect(Array(Self.states(sim).suffix(2)) == [.disconnected, .failed])
    }

    @Test func aPeerHeardAgainBringsConnectedBack() {
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(20)), seed: 22)
        sim.start()
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        sim.link.conditions.loss = 1.0
        #expect(sim.run(for: .seconds(10)) { $0.a.connectionState == .disconnected && $0.b.connectionState == .disconnected })
        sim.link.conditions.loss = 0
        let healed = sim.now
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        // Hurried checks (every second while quiet) find the peer again within about a second.
        #expect(sim.now - healed <= .milliseconds(1_100))
        let ok1 = sim.sendData("back", from: .a)
        #expect(ok1)
        sim.run(for: .milliseconds(100))
        #expect(sim.dataB == ["back"])
    }

    @Test func anIdleLivePeerNeverFlapsToDisconnected() {
        // Only consent traffic for ten minutes, with some loss and a 150 ms round trip.
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.05, delay: .milliseconds(75)), seed: 23)
        sim.start()
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        let before = Self.states(sim).count
        sim.run(for: .seconds(600))
        #expect(Array(Self.states(sim).dropFirst(before)) == [], "state changes while idle: \(Self.states(sim).dropFirst(before))")
        #expect(sim.bothConnected)
    }

    @Test func checkingThatCanNeverSucceedFailsWithoutEndOfCandidates() {
        var sim = ICESimulation(conditions: LinkConditions(loss: 1.0), seed: 24)
        sim.signaling = false
        sim.start()
        // Candidates cross by signaling, not by the (dead) link; no end-of-candidates is sent.
        sim.a.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: sim.addressB, type: .host), now: sim.now)
        sim.b.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: sim.addressA, type: .host), now: sim.now)
        let start = sim.now
        #expect(sim.run(for: .seconds(60)) { $0.a.connectionState == .failed && $0.b.connectionState == .failed })
        let failedAfter = sim.now - start
        #expect(failedAfter >= .seconds(29) && failedAfter <= .milliseconds(30_200),
                "failed \(Double(failedAfter.nanoseconds) / 1e9) s after checking began")
        #expect(Self.states(sim) == [.checking, .failed])
    }
}
