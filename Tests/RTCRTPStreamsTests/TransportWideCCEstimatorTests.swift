import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport
import Testing

/// A sender, a one-queue bottleneck and a receiver that sends transport-wide feedback every
/// 100 ms, on virtual time (microseconds since `NIODeadline.virtualStart`).
struct BottleneckLink {
    var estimator = TransportWideCCEstimator()
    /// The sender's clock.
    var time: Int64 = 0
    var nextSequenceNumber: UInt16
    /// The bottleneck's capacity in bits per second; nil: no queue.
    var capacity: UInt64?
    /// Propagation delay, µs.
    var delay: Int64 = 20_000
    /// The receiver's clock runs this far ahead of the sender's, µs.
    var receiverOffset: Int64 = 3_000_000
    /// When the bottleneck's queue is empty again, µs.
    var queueFreeAt: Int64 = 0
    /// Sent and not yet reported: sequence number and arrival (nil: lost).
    var unreported: [(sequenceNumber: UInt16, arrival: Int64?)] = []
    var nextFeedbackAt: Int64 = 100_000
    var feedbackCount: UInt8 = 0
    /// Every feedback built, in order (tests may replay them).
    var feedbacks: [RTCPTransportWideCC] = []
    /// Whether the link hands feedback to the estimator itself.
    var delivers = true

    init(firstSequenceNumber: UInt16 = 1) {
        nextSequenceNumber = firstSequenceNumber
    }

    static func deadline(_ microseconds: Int64) -> NIODeadline { .virtualStart + .microseconds(microseconds) }

    var now: NIODeadline { Self.deadline(time) }

    /// Sends `size`-byte packets at `bitsPerSecond` for `duration` µs, losing every `lossEvery`th.
    mutating func send(bitsPerSecond: UInt64, for duration: Int64, size: Int = 1_200, lossEvery: Int? = nil,
                       each: (inout BottleneckLink) -> Void = { _ in }) {
        let interval = Int64(size * 8) * 1_000_000 / Int64(bitsPerSecond)
        let end = time + duration
        var count = 0
        while time < end {
            flushFeedback(upTo: time)
            let sequenceNumber = nextSequenceNumber
            nextSequenceNumber &+= 1
            estimator.packetSent(sequenceNumber: sequenceNumber, size: size, at: now)
            count += 1
            if let lossEvery, count % lossEvery == 0 {
                unreported.append((sequenceNumber, nil))
            } else {
                var arrival = time + delay
                if let capacity {
                    arrival = max(arrival, queueFreeAt) + Int64(size * 8) * 1_000_000 / Int64(capacity)
                    queueFreeAt = arrival
                }
                unreported.append((sequenceNumber, arrival))
            }
            each(&self)
            time += interval
        }
        flushFeedback(upTo: time)
    }

    /// Builds the feedback the receiver sends at each 100 ms tick up to `limit`: every packet
    /// that arrived by then (and the lost ones before the last of them).
    mutating func flushFeedback(upTo limit: Int64) {
        while nextFeedbackAt <= limit {
            let at = nextFeedbackAt
            nextFeedbackAt += 100_000
            guard let last = unreported.lastIndex(where: { ($0.arrival ?? .max) <= at }) else { continue }
            let reported = unreported[...last]
            unreported.removeFirst(last + 1)
            let feedback = RTCPTransportWideCC(
                senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: reported.first!.sequenceNumber, feedbackPacketCount: feedbackCount,
                arrivalTimesMicroseconds: reported.map { $0.arrival.map { $0 + receiverOffset } })
            feedbackCount &+= 1
            feedbacks.append(feedback)
            // The feedback takes the propagation delay back.
            if delivers { estimator.handleFeedback(feedback, now: Self.deadline(at + delay)) }
        }
    }
}

@Suite struct TransportWideCCEstimatorTests {
    @Test func steadyDeliveryGrowsTheEstimateUpToOneAndAHalfTimesTheAcknowledgedRate() throws {
        var link = BottleneckLink()
        link.send(bitsPerSecond: 1_000_000, for: 1_000_000)
        let early = try #require(link.estimator.estimate)
        let ackedEarly = try #require(link.estimator.acknowledgedBitrate)
        #expect(ackedEarly > 950_000 && ackedEarly < 1_050_000, "\(ackedEarly)")
        #expect(early < 1_200_000, "\(early)")
        link.send(bitsPerSecond: 1_000_000, for: 9_000_000)
        let late = try #require(link.estimator.estimate)
        let acked = try #require(link.estimator.acknowledgedBitrate)
        #expect(link.estimator.usage == .normal)
        #expect(late > early + early / 5, "grew from \(early) to \(late)")
        #expect(Double(late) >= 1.4 * Double(acked), "\(late) against \(acked) acknowledged")
        // 1.5 × (the acknowledged rate, which wobbles by a packet per window) + 10 kbit/s.
        #expect(Double(late) <= 1.55 * Double(acked) + 10_001, "\(late) against \(acked) acknowledged")
        #expect(link.estimator.packetsReportedLost == 0 && link.estimator.unknownReports == 0)
    }

    @Test func growingQueueingDelayIsOveruseAndTheEstimateDropsBelowTheAcknowledgedRateThenRecovers() throws {
        var link = BottleneckLink()
        link.capacity = 600_000
        // Within capacity first: no queue.
        link.send(bitsPerSecond: 500_000, for: 3_000_000)
        #expect(link.estimator.usage == .normal)
        let before = try #require(link.estimator.estimate)
        #expect(before > 500_000)

        // Twice what the bottleneck carries: its queue (and each packet's delay) grows.
        let overloadStart = link.time
        var firstOveruse: Int64?
        link.send(bitsPerSecond: 1_200_000, for: 2_000_000) { link in
            if link.estimator.usage == .overusing, firstOveruse == nil { firstOveruse = link.time }
        }
        let detectedAfter = try #require(firstOveruse) - overloadStart
        #expect(detectedAfter < 500_000, "overuse detected \(detectedAfter) µs into the overload")
        let dropped = try #require(link.estimator.estimate)
        let acked = try #require(link.estimator.acknowledgedBitrate)
        #expect(acked > 550_000 && acked < 650_000, "the bottleneck delivers \(acked)")
        #expect(dropped < acked, "\(dropped) against \(acked) acknowledged")
        #expect(Double(dropped) <= 0.85 * Double(acked) * 1.05, "\(dropped) against \(acked) acknowledged")
        #expect(dropped < before)

        // The bottleneck goes away: the queue (2 s of backlog) drains (underuse), then the
        // estimate grows again, by about 8 % a second.
        link.capacity = 5_000_000
        var sawUnderuse = false
        link.send(bitsPerSecond: 800_000, for: 15_000_000) { link in
            if link.estimator.usage == .underusing { sawUnderuse = true }
        }
        #expect(sawUnderuse)
        let recovered = try #require(link.estimator.estimate)
        #expect(link.estimator.usage == .normal)
        #expect(recovered > dropped + dropped / 2, "from \(dropped) to \(recovered)")
        #expect(recovered > 800_000)
    }

    @Test func sequenceNumbersWrapAt16Bits() throws {
        var link = BottleneckLink(firstSequenceNumber: 65_400)
        link.send(bitsPerSecond: 1_000_000, for: 3_000_000)
        #expect(link.nextSequenceNumber < 65_400, "crossed the wrap")
        #expect(link.feedbacks.contains { Int($0.baseSequenceNumber) + Int($0.packetStatusCount) > 65_536 },
                "one feedback spans the wrap")
        #expect(link.estimator.unknownReports == 0)
        let sent = UInt64(UInt16(truncatingIfNeeded: Int(link.nextSequenceNumber) - 65_400 + 65_536))
        #expect(link.estimator.packetsAcknowledged == sent - UInt64(link.unreported.count))
        let estimate = try #require(link.estimator.estimate)
        #expect(estimate > 1_000_000)
    }

    @Test func lostPacketsAreNotAcknowledgedUntilReportedAndDuplicatesCountOnce() throws {
        var estimator = TransportWideCCEstimator()
        for i in 0..<10 {
            estimator.packetSent(sequenceNumber: UInt16(100 + i), size: 1_000, at: BottleneckLink.deadline(Int64(i) * 10_000))
        }
        // 103 and 107 lost.
        let first = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 100, feedbackPacketCount: 0,
                                        arrivalTimesMicroseconds: (0..<10).map { [3, 7].contains($0) ? nil : Int64($0) * 10_000 + 20_000 })
        estimator.handleFeedback(first, now: BottleneckLink.deadline(120_000))
        #expect(estimator.packetsAcknowledged == 8)
        #expect(estimator.packetsReportedLost == 2)
        // The same feedback again (duplicate): nothing more acknowledged.
        estimator.handleFeedback(first, now: BottleneckLink.deadline(121_000))
        #expect(estimator.packetsAcknowledged == 8)
        #expect(estimator.packetsReportedLost == 4)
        // A later feedback says 107 arrived after all (and repeats 108, 109): 107 counts once.
        let late = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 107, feedbackPacketCount: 1,
                                       arrivalTimesMicroseconds: [95_000, 100_000, 110_000])
        estimator.handleFeedback(late, now: BottleneckLink.deadline(130_000))
        #expect(estimator.packetsAcknowledged == 9)
        #expect(estimator.unknownReports == 0)
    }

    @Test func duplicatedAndReorderedFeedbackMeasuresTheSameRate() throws {
        var link = BottleneckLink()
        link.delivers = false
        link.send(bitsPerSecond: 1_000_000, for: 6_000_000, lossEvery: 50)
        #expect(link.feedbacks.count > 50)
        // Swap neighbours and send each twice.
        var shuffled: [RTCPTransportWideCC] = []
        var i = 0
        while i < link.feedbacks.count {
            if i + 1 < link.feedbacks.count { shuffled += [link.feedbacks[i + 1], link.feedbacks[i], link.feedbacks[i + 1]] }
            shuffled.append(link.feedbacks[i])
            i += 2
        }
        // The link's estimator recorded every packet sent and has seen no feedback yet.
        var estimator = link.estimator
        #expect(estimator.packetsAcknowledged == 0)
        for (k, feedback) in shuffled.enumerated() {
            estimator.handleFeedback(feedback, now: BottleneckLink.deadline(Int64(k / 2) * 100_000 + 150_000))
        }
        let total = UInt64(link.nextSequenceNumber - 1) - UInt64(link.unreported.count)
        let lost = link.feedbacks.flatMap(\.packets).filter { $0.status == .notReceived }.count
        #expect(lost > 0)
        #expect(estimator.packetsAcknowledged == total - UInt64(lost))
        #expect(estimator.unknownReports == 0)
        let acked = try #require(estimator.acknowledgedBitrate)
        #expect(acked > 900_000 && acked < 1_050_000, "\(acked)")
        let estimate = try #require(estimator.estimate)
        #expect(estimate > 1_000_000, "\(estimate)")
        #expect(estimator.usage != .overusing)
    }

    @Test func feedbackForPacketsNeverRecordedIsIgnored() throws {
        var estimator = TransportWideCCEstimator()
        for i in 0..<5 {
            estimator.packetSent(sequenceNumber: UInt16(i), size: 1_000, at: BottleneckLink.deadline(Int64(i) * 1_000))
        }
        let unknown = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 5_000, feedbackPacketCount: 0,
                                          arrivalTimesMicroseconds: (0..<20).map { Int64($0) * 1_000 })
        estimator.handleFeedback(unknown, now: BottleneckLink.deadline(100_000))
        #expect(estimator.unknownReports == 20)
        #expect(estimator.packetsAcknowledged == 0)
        #expect(estimator.estimate == nil && estimator.acknowledgedBitrate == nil)
        // A number whose ring slot was reused since (4096 later) is unknown too.
        for i in 5..<4_200 {
            estimator.packetSent(sequenceNumber: UInt16(i), size: 1_000, at: BottleneckLink.deadline(Int64(i) * 1_000))
        }
        let overwritten = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, feedbackPacketCount: 1,
                                              arrivalTimesMicroseconds: (0..<5).map { Int64($0) * 1_000 })
        estimator.handleFeedback(overwritten, now: BottleneckLink.deadline(5_000_000))
        #expect(estimator.unknownReports == 25)
        #expect(estimator.packetsAcknowledged == 0)
    }

    @Test func randomFeedbackNeverCrashesAndKeepsTheEstimateInBounds() {
        var rng = SeededRandom(seed: 15)
        var estimator = TransportWideCCEstimator()
        var time: Int64 = 0
        var sequenceNumber = UInt16.random(in: 0...UInt16.max, using: &rng)
        let statuses: [RTCPTransportWideCC.Status] = [.notReceived, .receivedSmallDelta, .receivedLargeOrNegativeDelta]
        for round in 0..<1_500 {
            for _ in 0..<Int.random(in: 0...20, using: &rng) {
                estimator.packetSent(sequenceNumber: sequenceNumber, size: Int.random(in: 0...1_500, using: &rng),
                                     at: BottleneckLink.deadline(time))
                sequenceNumber &+= 1
                time += Int64.random(in: 0...20_000, using: &rng)
            }
            var chunks: [RTCPTransportWideCC.Chunk] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0: chunks.append(.runLength(statuses.randomElement(using: &rng)!, count: UInt16.random(in: 0...600, using: &rng)))
                case 1: chunks.append(.oneBitVector((0..<14).map { _ in statuses[Int.random(in: 0...1, using: &rng)] }))
                default: chunks.append(.twoBitVector((0..<7).map { _ in statuses.randomElement(using: &rng)! }))
                }
            }
            let feedback = RTCPTransportWideCC(
                senderSSRC: 1, mediaSSRC: 2,
                baseSequenceNumber: round % 3 == 0 ? UInt16.random(in: 0...UInt16.max, using: &rng) : sequenceNumber &- UInt16.random(in: 0...300, using: &rng),
                packetStatusCount: UInt16.random(in: 0...2_000, using: &rng),
                referenceTime: Int32.random(in: -0x80_0000...0x7F_FFFF, using: &rng), feedbackPacketCount: UInt8(truncatingIfNeeded: round),
                chunks: chunks, receiveDeltas: (0..<Int.random(in: 0...300, using: &rng)).map { _ in Int16.random(in: .min ... .max, using: &rng) })
            estimator.handleFeedback(feedback, now: BottleneckLink.deadline(time))
            if let estimate = estimator.estimate {
                #expect(estimate >= estimator.configuration.minimumBitrate && estimate <= estimator.configuration.maximumBitrate)
            }
        }
        #expect(estimator.unknownReports > 0 && estimator.packetsAcknowledged > 0)
    }
}
