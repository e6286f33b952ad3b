import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// The generic harness drives real cores, not only toy ones: two ICE agents (DatagramCores)
/// with trickle signaling between them connect over a lossy, reordering link.
@Suite struct VirtualTimePairRunsRealCoresTests {
    /// What a signaling channel does with ICE events: trickle candidates and their end.
    static func trickle(_ event: ICEEvent, to peer: inout ICEAgent, now: NIODeadline) {
        switch event {
        case .candidateGathered(let candidate): _ = peer.addRemoteCandidate(candidate, now: now)
        case .gatheringStateChanged(.complete): peer.endOfRemoteCandidates(now: now)
        default: break
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func twoICEAgentsConnectWithTrickledCandidates(seed: UInt64) {
        let addressA = TransportAddress(ip: .v4(0x0A00_0001), port: 5000)
        let addressB = TransportAddress(ip: .v4(0x0A00_0002), port: 6000)
        var pair = VirtualTimePair(ICEAgent(role: .controlling, rng: SeededRandom(seed: seed &* 2)), at: addressA,
                                   ICEAgent(role: .controlled, rng: SeededRandom(seed: seed &* 2 &+ 1)), at: addressB,
                                   conditions: LinkConditions(loss: 0.2, reorder: 0.2), seed: seed)
        pair.signaling = { a, b, newA, newB, now in
            for event in newA { Self.trickle(event, to: &b, now: now) }
            for event in newB { Self.trickle(event, to: &a, now: now) }
        }
        let credentialsA = pair.a.localCredentials, credentialsB = pair.b.localCredentials
        pair.withA { a, now in a.setRemoteCredentials(credentialsB, now: now) }
        pair.withB { b, now in b.setRemoteCredentials(credentialsA, now: now) }
        pair.withA { a, now in a.startGathering(localAddresses: [addressA], now: now) }
        pair.withB { b, now in b.startGathering(localAddresses: [addressB], now: now) }

        let connected = pair.run(until: { $0.a.connectionState == .connected && $0.b.connectionState == .connected }, for: .seconds(30))
        #expect(connected, "A: \(pair.eventsA)\nB: \(pair.eventsB)")
        #expect(pair.eventsA.contains(.connectionStateChanged(.connected)))
        #expect(pair.eventsB.contains { if case .selectedPairChanged = $0 { true } else { false } })
        #expect(pair.now < .virtualStart + .seconds(30))
    }
}
