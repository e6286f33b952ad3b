import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct ReceiveStatisticsTests {
    @Test func countsLossAcrossTheWrap() {
        var stats = ReceiveStatistics(clockRate: 90_000)
        let lost: Set<Int> = [10, 11, 50, 70, 99]
        var verdicts: [ReceiveStatistics.Verdict] = []
        for i in 0..<100 where !lost.contains(i) {
            verdicts.append(stats.handle(sequenceNumber: 65_500 &+ UInt16(i), timestamp: UInt32(i) * 3_000,
                                         now: Recv.ms(Int64(i) * 33)))
        }
        #expect(verdicts.prefix(2) == [.probation, .accepted])
        // Base is the second packet (65501); the highest is 65500 + 98 = 62 after one wrap.
        #expect(stats.extendedHighestSequenceNumber == 65_536 + 62)
        #expect(stats.expected == 98)
        #expect(stats.cumulativeLost == 4)  // 99 is past the highest, so not yet expected
        let report = stats.makeReport(ssrc: 7, now: Recv.ms(4_000))
        #expect(report.cumulativeLost == 4)
        #expect(report.fractionLost == UInt8(4 * 256 / 98))
        #expect(report.extendedHighestSequenceNumber == 65_536 + 62)
        // The next interval: 10 more, none lost.
        for i in 100..<110 {
            _ = stats.handle(sequenceNumber: 65_500 &+ UInt16(i), timestamp: UInt32(i) * 3_000, now: Recv.ms(Int64(i) * 33))
        }
        let second = stats.makeReport(ssrc: 7, now: Recv.ms(5_000))
        // 99 counted lost now: 11 expected in the interval, 10 received.
        #expect(second.fractionLost == UInt8(1 * 256 / 11))
        #expect(second.cumulativeLost == 5)
    }

    @Test func jitterFollowsAppendixA8() {
        var stats = ReceiveStatistics(clockRate: 8_000)
        var reference = 0.0
        var previousTransit: Double?
        for i in 0..<200 {
            // 20 ms packets (160 ticks) with 0, 4 or 9 ms of extra delay.
            let extra = [0, 4, 9][i % 3]
            let arrivalMs = 20 * i + extra + 1_000
            _ = stats.handle(sequenceNumber: UInt16(i), timestamp: UInt32(160 * i), now: Recv.ms(Int64(arrivalMs)))
            guard i >= 1 else { continue }  // the first packet is on probation
            let transit = Double(arrivalMs - 1_020) * 8 - Double(160 * i)
            if let previousTransit { reference += (abs(transit - previousTransit) - reference) / 16 }
            previousTransit = transit
        }
        #expect(reference > 40)
        #expect(abs(Double(stats.jitter) - reference) <= 1.5)
    }

    @Test func farJumpIsRefusedThenRestarts() {
        var stats = ReceiveStatistics(clockRate: 90_000)
        for i in 0..<10 { _ = stats.handle(sequenceNumber: UInt16(i), timestamp: 0, now: Recv.ms(Int64(i))) }
        #expect(stats.handle(sequenceNumber: 20_000, timestamp: 0, now: Recv.ms(20)) == .outOfRange)
        #expect(stats.handle(sequenceNumber: 10, timestamp: 0, now: Recv.ms(21)) == .accepted)
        #expect(stats.handle(sequenceNumber: 30_000, timestamp: 0, now: Recv.ms(22)) == .outOfRange)
        #expect(stats.handle(sequenceNumber: 30_001, timestamp: 0, now: Recv.ms(23)) == .restarted)
        #expect(stats.extendedHighestSequenceNumber == 30_001)
        #expect(stats.expected == 1)
        // A reordered packet a little behind is counted, not refused.
        #expect(stats.handle(sequenceNumber: 30_003, timestamp: 0, now: Recv.ms(24)) == .accepted)
        #expect(stats.handle(sequenceNumber: 30_002, timestamp: 0, now: Recv.ms(25)) == .accepted)
        #expect(stats.cumulativeLost == 0)
    }

    @Test func reportEchoesLastSenderReport() {
        var stats = ReceiveStatistics(clockRate: 90_000)
        _ = stats.handle(sequenceNumber: 1, timestamp: 0, now: Recv.t0)
        _ = stats.handle(sequenceNumber: 2, timestamp: 0, now: Recv.t0)
        let sr = RTCPSenderReport(ssrc: 5, ntpTimestamp: 0x1122_3344_5566_7788, rtpTimestamp: 0, packetCount: 2, octetCount: 0)
        stats.handleSenderReport(sr, now: Recv.ms(100))
        let report = stats.makeReport(ssrc: 5, now: Recv.ms(600))
        #expect(report.lastSenderReport == 0x3344_5566)
        #expect(report.delaySinceLastSenderReport == 32_768)
        #expect(report.roundTripTime(arrivalCompactNTP: 0x3344_5566 &+ 32_768 &+ 3_277) == 3_277)
    }
}
