import DequeModule
import NIOCore
import RTCRTP

/// Produces transport-wide congestion control feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) for one transport (one 5-tuple,
/// every SSRC bundled on it): records each packet's transport-wide sequence number and arrival
/// time, and about every ``Configuration/interval`` reports every number since the last
/// feedback as received (with its receive delta) or not received.
///
/// Arrival times are counted from the first packet, so the 24-bit reference time never
/// overflows in a session's lifetime. A packet that arrives after the feedback covering its
/// number was sent is counted in ``lateArrivals`` and not reported.
public struct TransportWideCCFeedbackGenerator: Sendable {
    /// Timing and bounds.
    public struct Configuration: Hashable, Sendable {
        /// Spacing of feedback packets.
        public var interval: TimeAmount
        /// Most sequence numbers one feedback packet reports; more are split over several.
        public var maxPacketsPerFeedback: Int
        /// Most sequence numbers reported per interval; older ones beyond it are skipped
        /// (a jump of the sequence, or a sender far faster than the interval allows).
        public var maxSpan: Int

        /// Creates a configuration: 100 ms, 400 packets per feedback, 4096 per interval.
        public init(interval: TimeAmount = .milliseconds(100), maxPacketsPerFeedback: Int = 400, maxSpan: Int = 4_096) {
            self.interval = interval
            self.maxPacketsPerFeedback = max(1, maxPacketsPerFeedback)
            self.maxSpan = max(1, maxSpan)
        }
    }

    /// The configuration.
    public let configuration: Configuration
    /// Our SSRC, the feedback's packet sender.
    public let senderSSRC: UInt32
    /// The media SSRC written in the feedback (unused by TWCC; often the first remote SSRC).
    public let mediaSSRC: UInt32

    private var unwrapper = SequenceNumberUnwrapper()
    private var arrivals: [Int64: Int64] = [:]
    private var epoch: NIODeadline?
    private var nextUnreported: Int64?
    private var nextFeedback: NIODeadline?
    private var feedbackPacketCount: UInt8 = 0
    private var feedbacks: Deque<RTCPTransportWideCC> = []

    /// Packets recorded.
    public private(set) var packetsRecorded = 0
    /// Packets whose number was already reported when they arrived.
    public private(set) var lateArrivals = 0
    /// Packets whose number was already recorded.
    public private(set) var duplicates = 0
    /// Sequence numbers skipped by ``Configuration/maxSpan``.
    public private(set) var skipped = 0
    /// Feedback packets produced.
    public private(set) var feedbacksSent = 0

    /// Creates a generator.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, configuration: Configuration = Configuration()) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.configuration = configuration
    }

    /// Records that the packet with transport-wide sequence number `sequenceNumber` arrived at `now`.
    public mutating func handleReceived(transportSequenceNumber sequenceNumber: UInt16, now: NIODeadline) {
        let sequence = unwrapper.unwrap(sequenceNumber)
        if let next = nextUnreported, sequence < next {
            lateArrivals += 1
            return
        }
        guard arrivals[sequence] == nil else {
            duplicates += 1
            return
        }
        let epoch = self.epoch ?? now
        self.epoch = epoch
        arrivals[sequence] = now >= epoch ? (now - epoch).nanoseconds / 1_000 : 0
        packetsRecorded += 1
        if nextFeedback == nil { nextFeedback = now + configuration.interval }
    }

    /// Records the packet's transport-wide sequence number from its header extension with
    /// local ID `extensionID`; returns false (recording nothing) when it has none.
    @discardableResult
    public mutating func handleReceived(_ packet: RTPPacket, extensionID: UInt8, now: NIODeadline) -> Bool {
        guard let number = packet.header.headerExtension?.element(id: extensionID)?.transportWideSequenceNumber else {
            return false
        }
        handleReceived(transportSequenceNumber: number, now: now)
        return true
    }

    /// When feedback is next due, or nil when nothing waits to be reported.
    public var nextDeadline: NIODeadline? { arrivals.isEmpty ? nil : nextFeedback }

    /// Builds the feedback due at `now`.
    public mutating func handleTimeout(now: NIODeadline) {
        guard let due = nextFeedback, due <= now else { return }
        nextFeedback = now + configuration.interval
        flush()
    }

    /// Builds feedback for everything recorded now, whatever the timer says.
    public mutating func flush() {
        guard let first = arrivals.keys.min(), let last = arrivals.keys.max() else { return }
        var base = max(first, nextUnreported ?? first)
        if last - base + 1 > Int64(configuration.maxSpan) {
            let newBase = last - Int64(configuration.maxSpan) + 1
            skipped += Int(newBase - base)
            base = newBase
        }
        var start = base
        while start <= last {
            let end = min(last, start + Int64(configuration.maxPacketsPerFeedback) - 1)
            let times = (start...end).map { arrivals[$0] }
            feedbacks.append(RTCPTransportWideCC(
                senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: UInt16(truncatingIfNeeded: start),
                feedbackPacketCount: feedbackPacketCount, arrivalTimesMicroseconds: times))
            feedbackPacketCount &+= 1
            feedbacksSent += 1
            start = end + 1
        }
        nextUnreported = last + 1
        arrivals.removeAll(keepingCapacity: true)
    }

    /// The next feedback packet to send.
    public mutating func pollFeedback() -> RTCPTransportWideCC? { feedbacks.popFirst() }
}
