import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// The counters behind W3C `candidate-pair` stats: checks and responses each way, consent
/// requests, the STUN round-trip time, and application data on the selected pair. Virtual time,
/// 10 ms one way, so every round trip measures exactly 20 ms.
@Suite struct ICEPairStatisticsTests {
    @Test func selectedPairCountsChecksRoundTripsAndData() throws {
        var sim = ICESimulation(conditions: LinkConditions(delay: .milliseconds(10)), seed: 7)
        sim.a.setRemoteCredentials(sim.b.localCredentials, now: sim.now)
        sim.b.setRemoteCredentials(sim.a.localCredentials, now: sim.now)
        sim.a.startGathering(localAddresses: [sim.addressA], now: sim.now)
        sim.b.startGathering(localAddresses: [sim.addressB], now: sim.now)
        #expect(sim.run(for: .seconds(5)) { $0.bothConnected })
        let texts = (0..<5).map { "data \($0) " + String(repeating: "x", count: $0 * 100) }
        for text in texts {
            let queued = sim.sendData(text, from: .a)
            #expect(queued)
        }
        sim.run(for: .milliseconds(100))
        #expect(sim.dataB == texts)
        let bytes = texts.map(\.utf8.count).reduce(0, +)

        let a = try #require(sim.a.candidatePairStatistics.first { $0.isSelected })
        let b = try #require(sim.b.candidatePairStatistics.first { $0.isSelected })
        #expect(a.state == .succeeded && a.nominated && b.nominated)
        #expect(a.pair.remote.address == sim.addressB && b.pair.remote.address == sim.addressA)
        #expect(a.counters.requestsSent >= 2, "a check and the nominating check")
        #expect(a.counters.responsesReceived == a.counters.requestsSent && b.counters.requestsReceived == a.counters.requestsSent)
        #expect(b.counters.responsesSent == b.counters.requestsReceived)
        #expect(a.counters.currentRoundTripTime == .milliseconds(20))
        #expect(a.counters.totalRoundTripTime == .milliseconds(20 * Int64(a.counters.roundTripTimeMeasurements)))
        #expect(a.counters.packetsSent == 5 && a.counters.bytesSent == bytes)
        #expect(b.counters.packetsReceived == 5 && b.counters.bytesReceived == bytes)
        #expect(b.counters.lastPacketReceivedAt != nil && a.counters.lastPacketSentAt != nil)
        #expect(a.counters.consentRequestsSent == 0)
        #expect(sim.a.selectedPairChanges == 1 && sim.b.selectedPairChanges == 1)
        #expect(sim.a.applicationDataCounters.bytesSent == bytes && sim.b.applicationDataCounters.bytesReceived == bytes)

        // Consent checks (every ~5 s) keep measuring the round trip on both sides.
        sim.run(for: .seconds(20))
        let later = try #require(sim.a.candidatePairStatistics.first { $0.isSelected })
        let laterB = try #require(sim.b.candidatePairStatistics.first { $0.isSelected })
        #expect(later.counters.consentRequestsSent >= 3 && laterB.counters.consentRequestsSent >= 3)
        #expect(later.counters.requestsSent == a.counters.requestsSent + later.counters.consentRequestsSent)
        #expect(later.counters.roundTripTimeMeasurements > a.counters.roundTripTimeMeasurements)
        #expect(later.counters.currentRoundTripTime == .milliseconds(20))
        #expect(laterB.counters.requestsReceived >= b.counters.requestsReceived + later.counters.consentRequestsSent - 1, "the last may be in flight")
    }
}
