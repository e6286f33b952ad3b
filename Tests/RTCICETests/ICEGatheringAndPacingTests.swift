import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTestSupport
import Testing

/// Gathering (host, server-reflexive behind a simulated NAT) and check pacing, on virtual time.
@Suite struct ICEGatheringAndPacingTests {
    let now = NIODeadline.virtualStart

    /// Answers Binding requests like a STUN server behind which the client is NATed to `mapped`.
    func serve(_ t: Transmit, mapped: TransportAddress) -> ReceivedDatagram? {
        guard let request = try? STUNParsedMessage(t.payload), request.message.type == .bindingRequest else { return nil }
        let response = STUNMessage(type: .bindingSuccess, transactionID: request.message.transactionID,
                                   attributes: [.xorMappedAddress(mapped, transactionID: request.message.transactionID)])
        return ReceivedDatagram(source: t.destination, destination: t.source!, payload: response.encoded(fingerprint: true))
    }

    @Test func gathersHostAndServerReflexiveCandidates() throws {
        var configuration = ICEConfiguration()
        let server = TransportAddress("198.51.100.1:3478")!
        configuration.stunServers = [server, TransportAddress("[2001:db8::1]:3478")!]
        var agent = ICEAgent(configuration: configuration, role: .controlling, rng: SeededRandom(seed: 1))
        let v4 = TransportAddress("10.0.0.1:5000")!, v6 = TransportAddress("[2001:db8::5]:5000")!
        agent.startGathering(localAddresses: [v4, v6, TransportAddress("127.0.0.1:1")!], now: now)
        var requests: [Transmit] = []
        while let t = agent.pollTransmit() { requests.append(t) }
        #expect(requests.count == 2, "one request per server of the base's family")
        #expect(agent.gatheringState == .gathering)
        let mapped = TransportAddress("203.0.113.9:61000")!
        for r in requests where r.destination == server { _ = agent.receive(try #require(serve(r, mapped: mapped)), now: now) }
        // The IPv6 server never answers: gathering completes after its retransmissions.
        var t = now
        while agent.gatheringState != .complete, t < now + .seconds(30) {
            t = agent.nextDeadline ?? t + .seconds(1)
            agent.handleTimeout(now: t)
            while agent.pollTransmit() != nil {}
        }
        #expect(agent.gatheringState == .complete)
        var events: [ICEEvent] = []
        while let e = agent.pollEvent() { events.append(e) }
        let candidates = events.compactMap { if case .candidateGathered(let c) = $0 { c } else { nil } }
        #expect(candidates.map(\.type) == [.host, .host, .serverReflexive], "loopback skipped by default")
        let srflx = try #require(candidates.last)
        #expect(srflx.address == mapped && srflx.relatedAddress == v4)
        #expect(candidates[0].priority > srflx.priority)
        #expect(candidates[1].priority > candidates[0].priority, "IPv6 host preferred (RFC 8421)")
        #expect(Set(candidates.map(\.foundation)).count == 3)
        #expect(events.last == .gatheringStateChanged(.complete))
    }

    @Test func checksArePacedByTa() {
        var configuration = ICEConfiguration()
        configuration.pacing = .milliseconds(50)
        var agent = ICEAgent(configuration: configuration, role: .controlling, rng: SeededRandom(seed: 2))
        agent.startGathering(localAddresses: [TransportAddress("10.0.0.1:5000")!], now: now)
        agent.setRemoteCredentials(ICECredentials(ufrag: "abcd", password: "0123456789012345678901"), now: now)
        for port in 1...5 {
            agent.addRemoteCandidate(ICECandidate(foundation: "\(port)", priority: UInt32(1000 + port),
                                                  address: TransportAddress(ip: .v4(0x0a00_0002), port: UInt16(port)), type: .host), now: now)
        }
        var firstSends: [TransportAddress: NIODeadline] = [:]
        var t = now
        agent.handleTimeout(now: t)
        while t < now + .milliseconds(400) {
            while let x = agent.pollTransmit() { if firstSends[x.destination] == nil { firstSends[x.destination] = t } }
            t = agent.nextDeadline ?? t + .milliseconds(10)
            agent.handleTimeout(now: t)
        }
        #expect(firstSends.count == 5)
        let times = firstSends.values.sorted()
        for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= .milliseconds(50)) }
        // Highest-priority remote candidate is checked first.
        #expect(firstSends.min { $0.value < $1.value }?.key.port == 5)
    }

    @Test func connectsOverIPv6() {
        var sim = ICESimulation(conditions: LinkConditions(loss: 0.2), seed: 21,
                                addressA: TransportAddress("[2001:db8::1]:5000")!, addressB: TransportAddress("[2001:db8::2]:6000")!)
        sim.start()
        let ok = sim.run(for: .seconds(20)) { $0.bothConnected }
        #expect(ok)
        #expect(sim.a.selectedPair?.remote.address == sim.addressB)
    }
}
