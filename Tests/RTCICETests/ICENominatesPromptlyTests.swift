import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// Regular nomination (RFC 8445 §8.1.1) without needless waiting: the controlling agent
/// nominates as soon as no pending check can beat its best valid pair, and waits (at most
/// `nominationDelay`) only while a better pair is still being checked. Virtual time.
@Suite struct ICENominatesPromptlyTests {
    static let a4 = TransportAddress("10.0.0.1:5000")!
    static let a6 = TransportAddress("[2001:db8::1]:5000")!
    static let b4 = TransportAddress("10.0.0.2:6000")!
    static let b6 = TransportAddress("[2001:db8::2]:6000")!

    @Test func nominatesTheBestPairOneRoundTripAfterItsCheckSucceeds() {
        // Two pairs (IPv6 and IPv4 host, like ::1 and 127.0.0.1 on loopback), 10 ms one way.
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(10)), seed: 3)
        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        sim.a.startGathering(localAddresses: [Self.a4, Self.a6], now: sim.now)
        sim.b.startGathering(localAddresses: [Self.b4, Self.b6], now: sim.now)
        let start = sim.now
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        // Check out and back (20 ms), then the nominating check out and back (20 ms).
        #expect(sim.now - start == .milliseconds(40), "connected after \(Double((sim.now - start).nanoseconds) / 1e6) ms")
        #expect(sim.a.selectedPair?.remote.address == Self.b6)
        #expect(sim.b.selectedPair?.remote.address == Self.a6)
    }

    @Test func waitsForACheckOnABetterPairUpToTheNominationDelay() {
        // A believes B has an IPv6 candidate (the better pair) but B never answers on it: the
        // IPv4 pair succeeds first, and A must give the IPv6 check `nominationDelay` to finish.
        var configuration = ICEConfiguration()
        configuration.nominationDelay = .milliseconds(300)
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(10)), seed: 4, configuration: configuration)
        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        let unreachable = ICECandidate(foundation: "9", priority: ICECandidate.priority(type: .host, localPreference: 65_535),
                                       address: Self.b6, type: .host)
        sim.a.addRemoteCandidate(unreachable, now: sim.now)
        sim.a.startGathering(localAddresses: [Self.a4, Self.a6], now: sim.now)
        sim.b.startGathering(localAddresses: [Self.b4], now: sim.now)
        let start = sim.now
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        let elapsed = sim.now - start
        // The IPv4 check is paced one Ta (50 ms) after the IPv6 one and succeeds 20 ms later;
        // nomination follows 300 ms after that, and its check takes one round trip.
        #expect(elapsed >= .milliseconds(370), "connected after \(Double(elapsed.nanoseconds) / 1e6) ms")
        #expect(elapsed <= .milliseconds(400), "connected after \(Double(elapsed.nanoseconds) / 1e6) ms")
        #expect(sim.a.selectedPair?.remote.address == Self.b4)
    }
}
