import NIOCore
import RTCRTP

/// A send-side, delay-based bandwidth estimate from transport-wide congestion control feedback,
/// in the manner of Google Congestion Control (draft-ietf-rmcat-gcc-02 §5) with the feedback of
/// draft-holmer-rmcat-transport-wide-cc-extensions-01.
///
/// Sans-IO: the owner reports each packet it sends (``packetSent(sequenceNumber:size:at:)``,
/// allocation-free, a slot in a fixed ring indexed by the 16-bit transport-wide sequence number)
/// and each feedback it receives (``handleFeedback(_:now:)``). The estimator matches the feedback
/// to what was sent and then:
///
/// 1. measures the acknowledged bitrate: delivered bytes by their arrival time at the receiver,
///    in fixed buckets, over ``Configuration/acknowledgedWindowBuckets`` ×
///    ``Configuration/acknowledgedBucket``;
/// 2. groups packets sent within ``Configuration/burstInterval`` of a group's first packet
///    (§5.2) and takes each group's delay variation against the previous group: how much later
///    it arrived than it was sent;
/// 3. accumulates those variations, smooths them and fits a line through the last
///    ``Configuration/trendlineWindow`` points against arrival time; the slope, scaled, is the
///    delay trend;
/// 4. compares the trend with an adaptive threshold (§5.4): above it for long enough is
///    ``Usage/overusing``, below its negative ``Usage/underusing``, else ``Usage/normal``;
/// 5. runs an AIMD rate controller (§5.5): on overuse the estimate drops to at most
///    ``Configuration/decreaseFactor`` × the acknowledged bitrate (at most once per
///    ``Configuration/responseTime``); on underuse it holds; otherwise it grows by
///    ``Configuration/multiplicativeIncreasePerSecond`` — or by one packet per response time
///    near the bitrate of the last congestion — never beyond
///    ``Configuration/maximumOverAcknowledged`` × the acknowledged bitrate.
///
/// Lost packets are only not acknowledged; a packet reported twice (duplicate or overlapping
/// feedback) counts once; a packet reported out of send order counts for the acknowledged
/// bitrate but not for the delay trend; reports of sequence numbers never recorded (or already
/// overwritten in the ring) are ignored and counted.
public struct TransportWideCCEstimator: Sendable {
    /// What the delay trend says about the path (draft-ietf-rmcat-gcc-02 §5.4).
    public enum Usage: Hashable, Sendable {
        /// Queues are stable.
        case normal
        /// Queues grow: the estimate decreases.
        case overusing
        /// Queues drain: the estimate holds.
        case underusing
    }

    /// The estimator's constants; the defaults follow draft-ietf-rmcat-gcc-02 (the trend-line
    /// detector's gains and window are those commonly used with it in place of the draft's
    /// Kalman filter).
    public struct Configuration: Hashable, Sendable {
        /// Packets sent within this time of a group's first packet form one group (§5.2).
        public var burstInterval: TimeAmount = .milliseconds(5)
        /// How many (arrival time, smoothed delay) points the trend line is fitted through.
        public var trendlineWindow = 20
        /// The smoothing factor of the accumulated delay (weight of the previous value).
        public var smoothing = 0.9
        /// The trend's scale: slope × min(groups, 60) × this is compared with the threshold.
        public var trendGain = 4.0
        /// The threshold's starting value, in milliseconds (§5.4).
        public var initialThreshold = 12.5
        /// The threshold's adaptation speed, per millisecond, when the trend is above it (§5.4's K_u).
        public var thresholdIncreaseGain = 0.0087
        /// The threshold's adaptation speed, per millisecond, when the trend is below it (§5.4's K_d).
        public var thresholdDecreaseGain = 0.039
        /// How long the trend must stay above the threshold before it counts as overuse, in ms.
        public var overuseTime = 10.0
        /// The estimate after overuse, as a fraction of the acknowledged bitrate (§5.5, beta).
        public var decreaseFactor = 0.85
        /// The growth factor per second far from the last congestion point (§5.5, eta), applied
        /// linearly per feedback (about 8 % a second, compounded).
        public var multiplicativeIncreasePerSecond = 1.08
        /// The time a decrease takes to show (a round trip plus 100 ms, §5.5): the shortest time
        /// between two decreases, and the time per packet of additive increase.
        public var responseTime: TimeAmount = .milliseconds(200)
        /// The packet size assumed for additive increase, in bytes.
        public var additivePacketSize = 1_200
        /// The estimate never grows beyond this multiple of the acknowledged bitrate, plus
        /// 10 kbit/s (§5.5); it is not lowered to it either.
        public var maximumOverAcknowledged = 1.5
        /// The width of one acknowledged-bitrate bucket, by arrival time.
        public var acknowledgedBucket: TimeAmount = .milliseconds(25)
        /// How many completed buckets the acknowledged bitrate is measured over (at most 60).
        public var acknowledgedWindowBuckets = 20
        /// The smallest estimate, bits per second.
        public var minimumBitrate: UInt64 = 30_000
        /// The largest estimate, bits per second.
        public var maximumBitrate: UInt64 = 100_000_000

        /// The defaults.
        public init() {}
    }

    /// The constants in use.
    public let configuration: Configuration
    /// The delay-based estimate in bits per second; nil until the acknowledged bitrate was
    /// measured over a whole window.
    public private(set) var estimate: UInt64?
    /// The delivered bitrate over the last window, bits per second; nil until a window passed.
    public private(set) var acknowledgedBitrate: UInt64?
    /// The overuse detector's state after the last feedback.
    public private(set) var usage: Usage = .normal
    /// Packets the feedback reported received (each counted once).
    public private(set) var packetsAcknowledged: UInt64 = 0
    /// Reports of packets as not received.
    public private(set) var packetsReportedLost: UInt64 = 0
    /// Reports of sequence numbers not recorded as sent (or no longer in the ring); ignored.
    public private(set) var unknownReports: UInt64 = 0

    // Sent packets, indexed by sequence number modulo the ring size.
    private var ring: [SentPacket]
    private let ringMask: Int
    // Receiver clock: the last reference time, unwrapped, in 64 ms ticks.
    private var lastReferenceTime: Int64?
    // Packet groups.
    private var currentGroup: PacketGroup?
    private var previousGroup: PacketGroup?
    // Trend line.
    private var trend = Trendline()
    private var threshold: Double
    private var lastThresholdUpdate: Int64?
    private var overuseMilliseconds = -1.0
    private var overuseCount = 0
    private var previousTrend = 0.0
    // Acknowledged bitrate buckets, by arrival time.
    private var buckets = AcknowledgedBuckets()
    // Rate control.
    private var rateState = RateState.increase
    private var lastRateUpdate: NIODeadline?
    private var lastDecrease: NIODeadline?
    private var congestionPoint: CongestionPoint?
    private var estimateValue = 0.0

    /// Creates an estimator keeping the last `ringSize` sent packets (rounded up to a power of
    /// two, 16…32768).
    public init(configuration: Configuration = Configuration(), ringSize: Int = 4_096) {
        self.configuration = configuration
        var size = 16
        while size < min(max(ringSize, 16), 32_768) { size <<= 1 }
        ring = Array(repeating: SentPacket(), count: size)
        ringMask = size - 1
        threshold = configuration.initialThreshold
    }

    // MARK: Input

    /// Records a packet as it leaves: its transport-wide sequence number, its size on the wire in
    /// bytes and when it was sent. Overwrites whatever the ring held for the same slot.
    public mutating func packetSent(sequenceNumber: UInt16, size: Int, at sendTime: NIODeadline) {
        let slot = Int(sequenceNumber) & ringMask
        ring[slot] = SentPacket(sendTime: sendTime.uptimeNanoseconds, size: UInt32(clamping: size),
                                sequenceNumber: sequenceNumber, isRecorded: true, isAcknowledged: false)
    }

    /// Takes one transport-wide feedback received at `now` and updates the acknowledged bitrate,
    /// the overuse detector and the estimate.
    public mutating func handleFeedback(_ feedback: RTCPTransportWideCC, now: NIODeadline) {
        // The reference time is 24 bits of 64 ms: unwrap it against the last one seen.
        var reference = Int64(feedback.referenceTime)
        if let last = lastReferenceTime {
            var difference = (reference - last) & 0xFF_FFFF
            if difference >= 0x80_0000 { difference -= 0x100_0000 }
            reference = last + difference
        }
        lastReferenceTime = max(lastReferenceTime ?? reference, reference)
        var arrival = reference * RTCPTransportWideCC.referenceTimeTickMicroseconds

        var sequenceNumber = feedback.baseSequenceNumber
        var reported = 0
        var deltaIndex = 0
        let count = Int(feedback.packetStatusCount)
        for chunk in feedback.chunks {
            switch chunk {
            case .runLength(let status, let runLength):
                for _ in 0..<Int(runLength) where reported < count {
                    take(status, &sequenceNumber, &reported, &deltaIndex, &arrival, feedback.receiveDeltas)
                }
            case .oneBitVector(let symbols), .twoBitVector(let symbols):
                for status in symbols where reported < count {
                    take(status, &sequenceNumber, &reported, &deltaIndex, &arrival, feedback.receiveDeltas)
                }
            }
        }
        acknowledgedBitrate = buckets.bitrate(window: configuration.acknowledgedWindowBuckets,
                                              bucketMicroseconds: configuration.acknowledgedBucket.nanoseconds / 1_000)
        updateRate(now: now)
    }

    private mutating func take(_ status: RTCPTransportWideCC.Status, _ sequenceNumber: inout UInt16, _ reported: inout Int,
                               _ deltaIndex: inout Int, _ arrival: inout Int64, _ deltas: [Int16]) {
        defer {
            sequenceNumber &+= 1
            reported += 1
        }
        var arrivalTime: Int64?
        if status != .notReceived {
            guard deltaIndex < deltas.count else { return }
            arrival += Int64(deltas[deltaIndex]) * RTCPTransportWideCC.deltaTickMicroseconds
            deltaIndex += 1
            arrivalTime = arrival
        }
        let slot = Int(sequenceNumber) & ringMask
        guard ring[slot].isRecorded, ring[slot].sequenceNumber == sequenceNumber else {
            unknownReports += 1
            return
        }
        guard let arrivalTime else {
            packetsReportedLost += 1
            return
        }
        guard !ring[slot].isAcknowledged else { return }
        ring[slot].isAcknowledged = true
        packetsAcknowledged += 1
        let bucketMicroseconds = max(configuration.acknowledgedBucket.nanoseconds / 1_000, 1)
        buckets.add(Int(ring[slot].size), bucket: arrivalTime >= 0 ? arrivalTime / bucketMicroseconds
                                                                    : (arrivalTime + 1) / bucketMicroseconds - 1)
        addToGroup(sendTime: ring[slot].sendTime, arrival: arrivalTime, size: Int(ring[slot].size))
    }

    // MARK: Packet groups and delay variation (draft-ietf-rmcat-gcc-02 §5.2, §5.3)

    private mutating func addToGroup(sendTime: UInt64, arrival: Int64, size: Int) {
        guard var group = currentGroup else {
            currentGroup = PacketGroup(firstSend: sendTime, lastSend: sendTime, lastArrival: arrival, size: size)
            return
        }
        // Sent before the group being built: reordered, it tells nothing about the trend.
        guard sendTime >= group.firstSend else { return }
        let burst = UInt64(max(configuration.burstInterval.nanoseconds, 0))
        if sendTime - group.firstSend <= burst {
            group.lastSend = max(group.lastSend, sendTime)
            group.lastArrival = max(group.lastArrival, arrival)
            group.size += size
            currentGroup = group
            return
        }
        // A new group starts: the one just finished is compared with the one before it.
        if let previous = previousGroup {
            let sendDelta = Double(Int64(bitPattern: group.lastSend &- previous.lastSend)) / 1e6
            let arrivalDelta = Double(group.lastArrival - previous.lastArrival) / 1e3
            let variation = arrivalDelta - sendDelta
            if abs(variation) > 3_000 || arrivalDelta < -3_000 {
                // The receiver's clock jumped (or the feedback is nonsense): start over.
                trend.reset()
                lastThresholdUpdate = nil
                overuseMilliseconds = -1
                overuseCount = 0
            } else {
                detect(variation: variation, sendDelta: sendDelta, arrivalMilliseconds: Double(group.lastArrival) / 1e3)
            }
        }
        previousGroup = group
        currentGroup = PacketGroup(firstSend: sendTime, lastSend: sendTime, lastArrival: arrival, size: size)
    }

    // MARK: Trend and overuse detection (draft-ietf-rmcat-gcc-02 §5.4)

    private mutating func detect(variation: Double, sendDelta: Double, arrivalMilliseconds: Double) {
        trend.add(variation: variation, arrival: arrivalMilliseconds, smoothing: configuration.smoothing,
                  window: min(max(configuration.trendlineWindow, 2), Trendline.capacity))
        guard trend.isFull(window: min(max(configuration.trendlineWindow, 2), Trendline.capacity)) else { return }
        let modified = Double(min(trend.groups, 60)) * trend.slope * configuration.trendGain
        if modified > threshold {
            overuseMilliseconds = overuseMilliseconds < 0 ? sendDelta / 2 : overuseMilliseconds + sendDelta
            overuseCount += 1
            if overuseMilliseconds > configuration.overuseTime, overuseCount > 1, modified >= previousTrend {
                overuseMilliseconds = 0
                overuseCount = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            overuseMilliseconds = -1
            overuseCount = 0
            usage = .underusing
        } else {
            overuseMilliseconds = -1
            overuseCount = 0
            usage = .normal
        }
        previousTrend = modified
        adaptThreshold(modified, arrivalMilliseconds: arrivalMilliseconds)
    }

    private mutating func adaptThreshold(_ modified: Double, arrivalMilliseconds: Double) {
        let now = Int64(arrivalMilliseconds)
        defer { lastThresholdUpdate = now }
        guard let last = lastThresholdUpdate else { return }
        // A spike far above the threshold is not a reason to raise it (§5.4).
        if abs(modified) > threshold + 15 { return }
        let gain = abs(modified) < threshold ? configuration.thresholdDecreaseGain : configuration.thresholdIncreaseGain
        let elapsed = Double(min(max(now - last, 0), 100))
        threshold = min(max(threshold + gain * (abs(modified) - threshold) * elapsed, 6), 600)
    }

    // MARK: Rate control (draft-ietf-rmcat-gcc-02 §5.5)

    private mutating func updateRate(now: NIODeadline) {
        guard let acknowledged = acknowledgedBitrate else { return }
        let minimum = Double(configuration.minimumBitrate)
        let maximum = Double(configuration.maximumBitrate)
        let acked = Double(acknowledged)
        if estimate == nil { estimateValue = min(max(acked, minimum), maximum) }
        let elapsed = lastRateUpdate.map { Double(min(max((now - $0).nanoseconds, 0), 1_000_000_000)) / 1e9 } ?? 0
        lastRateUpdate = now

        switch usage {
        case .overusing:
            rateState = .decrease
        case .underusing:
            rateState = .hold
        case .normal:
            rateState = rateState == .decrease ? .hold : .increase
        }
        // Far above the last congestion: the link changed, forget it.
        if let point = congestionPoint, acked > point.mean + 3 * point.deviation { congestionPoint = nil }

        switch rateState {
        case .hold:
            break
        case .increase:
            let increased: Double
            if let point = congestionPoint, abs(acked - point.mean) <= 3 * point.deviation {
                let perSecond = Double(configuration.additivePacketSize * 8)
                    / max(Double(configuration.responseTime.nanoseconds) / 1e9, 0.001)
                increased = estimateValue + perSecond * elapsed
            } else {
                // (1 + (eta - 1) dt) per update, dt <= 1 s: about eta per second, compounded.
                increased = estimateValue * (1 + (configuration.multiplicativeIncreasePerSecond - 1) * elapsed)
            }
            let ceiling = max(estimateValue, configuration.maximumOverAcknowledged * acked + 10_000)
            estimateValue = min(increased, ceiling)
        case .decrease:
            if let last = lastDecrease, now - last < configuration.responseTime { break }
            lastDecrease = now
            estimateValue = min(estimateValue, configuration.decreaseFactor * acked)
            congestionPoint = CongestionPoint.updated(congestionPoint, with: acked)
        }
        if !estimateValue.isFinite { estimateValue = minimum }
        estimateValue = min(max(estimateValue, minimum), maximum)
        estimate = UInt64(estimateValue.rounded())
    }
}

// MARK: Inside

extension TransportWideCCEstimator {
    /// One slot of the sent-packet ring.
    struct SentPacket: Sendable {
        // In this order the slot is 16 bytes.
        var sendTime: UInt64 = 0
        var size: UInt32 = 0
        var sequenceNumber: UInt16 = 0
        var isRecorded = false
        var isAcknowledged = false
    }

    /// Packets sent in one burst: send times in nanoseconds, arrival times in microseconds.
    struct PacketGroup: Sendable {
        var firstSend: UInt64
        var lastSend: UInt64
        var lastArrival: Int64
        var size: Int
    }

    enum RateState: Sendable {
        case hold, increase, decrease
    }

    /// The acknowledged bitrate at past decreases (where the link's capacity was last found):
    /// its running mean in bits per second and its variance normalised by the mean, in kbit/s.
    struct CongestionPoint: Sendable {
        var mean: Double
        var variance: Double

        /// The standard deviation in bits per second: √(variance × mean) in kbit/s.
        var deviation: Double { (variance * max(mean, 1) / 1_000).squareRoot() * 1_000 }

        static func updated(_ point: CongestionPoint?, with acked: Double) -> CongestionPoint {
            guard var point else { return CongestionPoint(mean: acked, variance: 0.4) }
            point.mean = 0.95 * point.mean + 0.05 * acked
            let offset = (point.mean - acked) / 1_000
            point.variance = min(max(0.95 * point.variance + 0.05 * offset * offset / max(point.mean / 1_000, 1), 0.4), 2.5)
            return point
        }
    }

    /// A fixed window of (arrival time, smoothed accumulated delay) points and its slope.
    struct Trendline: Sendable {
        static let capacity = 64
        // Allocated once; written in place.
        var arrivals = [Double](repeating: 0, count: Self.capacity)
        var delays = [Double](repeating: 0, count: Self.capacity)
        var count = 0
        var next = 0
        var groups = 0
        var accumulated = 0.0
        var smoothed = 0.0
        var firstArrival: Double?
        var slope = 0.0

        func isFull(window: Int) -> Bool { count >= window }

        /// Forgets every point, keeping the storage.
        mutating func reset() {
            count = 0
            next = 0
            groups = 0
            accumulated = 0
            smoothed = 0
            firstArrival = nil
            slope = 0
        }

        mutating func add(variation: Double, arrival: Double, smoothing: Double, window: Int) {
            groups += 1
            accumulated += variation
            smoothed = smoothing * smoothed + (1 - smoothing) * accumulated
            let origin = firstArrival ?? arrival
            firstArrival = origin
            arrivals[next] = arrival - origin
            delays[next] = smoothed
            next = (next + 1) % window
            count = min(count + 1, window)
            guard count >= 2 else { return }
            var meanX = 0.0
            var meanY = 0.0
            for i in 0..<count {
                meanX += arrivals[i]
                meanY += delays[i]
            }
            meanX /= Double(count)
            meanY /= Double(count)
            var numerator = 0.0
            var denominator = 0.0
            for i in 0..<count {
                let dx = arrivals[i] - meanX
                numerator += dx * (delays[i] - meanY)
                denominator += dx * dx
            }
            if denominator > 0 { slope = numerator / denominator }
        }
    }

    /// Delivered bytes in buckets of arrival time, a fixed ring of 64 (allocated once).
    struct AcknowledgedBuckets: Sendable {
        var bytes = [Int64](repeating: 0, count: 64)
        var indices = [Int64](repeating: .min, count: 64)
        var newest: Int64?
        var first: Int64?

        mutating func add(_ size: Int, bucket: Int64) {
            let newest = self.newest ?? bucket
            if first == nil { first = bucket }
            // Too old for the ring (or a clock jump backwards): ignored.
            if bucket <= newest - 60 { return }
            // A jump forwards far beyond the ring: everything before is stale.
            if bucket > newest + 64 { first = bucket }
            let slot = Int(bucket & 63)
            if indices[slot] != bucket {
                indices[slot] = bucket
                bytes[slot] = 0
            }
            bytes[slot] += Int64(size)
            self.newest = max(newest, bucket)
            if let first, bucket < first { self.first = bucket }
        }

        /// The bitrate over the `window` completed buckets before the newest, nil until that
        /// many completed buckets were seen.
        func bitrate(window: Int, bucketMicroseconds: Int64) -> UInt64? {
            let window = min(max(window, 1), 60)
            guard let newest, let first, newest - first >= Int64(window), bucketMicroseconds > 0 else { return nil }
            var total: Int64 = 0
            for bucket in (newest - Int64(window))..<newest {
                let slot = Int(bucket & 63)
                if indices[slot] == bucket { total += bytes[slot] }
            }
            return UInt64(Double(total) * 8e6 / Double(Int64(window) * bucketMicroseconds))
        }
    }
}
