import DequeModule
import NIOCore
import RTCRTP

/// Asks for lost packets again with Generic NACK (RFC 4585 §6.2.1), RFC 4588-style: a gap in
/// the sequence numbers is requested at once (after an optional reordering grace), again one
/// round-trip time later while it is still missing, and given up after a bound on retries or
/// age. Lost packets in the same instant share one NACK.
///
/// Sequence numbers are extended (``SequenceNumberUnwrapper``), so wraps need no care here.
public struct NACKGenerator: Sendable {
    /// Bounds and timing of the generator.
    public struct Configuration: Hashable, Sendable {
        /// Requests per packet before giving up.
        public var maxRetries: Int
        /// Age (since the gap was seen) after which a packet is given up.
        public var maxAge: TimeAmount
        /// Wait after a gap is seen before the first request, for reordered packets.
        public var reorderingDelay: TimeAmount
        /// Retry spacing until ``NACKGenerator/roundTripTime`` is known.
        public var defaultRoundTripTime: TimeAmount
        /// Smallest retry spacing, however short the round trip.
        public var minimumRetryInterval: TimeAmount
        /// Most packets tracked at once; the oldest beyond it are given up.
        public var maxTrackedPackets: Int

        /// Creates a configuration; the defaults retry up to 10 times within 1.5 s.
        public init(maxRetries: Int = 10, maxAge: TimeAmount = .milliseconds(1_500),
                    reorderingDelay: TimeAmount = .zero, defaultRoundTripTime: TimeAmount = .milliseconds(100),
                    minimumRetryInterval: TimeAmount = .milliseconds(5), maxTrackedPackets: Int = 1_000) {
            self.maxRetries = maxRetries
            self.maxAge = maxAge
            self.reorderingDelay = reorderingDelay
            self.defaultRoundTripTime = defaultRoundTripTime
            self.minimumRetryInterval = minimumRetryInterval
            self.maxTrackedPackets = maxTrackedPackets
        }
    }

    private struct Entry: Sendable {
        var firstMissing: NIODeadline
        var requests: Int
        var nextRequest: NIODeadline
    }

    /// The configuration.
    public var configuration: Configuration
    /// The measured round-trip time; nil until known (then retries use the default).
    public var roundTripTime: TimeAmount?
    /// Our SSRC, the NACK's packet sender.
    public let senderSSRC: UInt32
    /// The SSRC whose packets are requested.
    public let mediaSSRC: UInt32

    private var highest: Int64?
    private var missing: [Int64: Entry] = [:]
    private var nacks: Deque<RTCPGenericNACK> = []
    private var givenUp: Deque<Int64> = []

    /// NACK packets produced.
    public private(set) var nacksSent = 0
    /// Packet requests in them (a packet asked for three times counts three).
    public private(set) var requestsSent = 0
    /// Missing packets that arrived after all.
    public private(set) var recovered = 0
    /// Packets given up after the retry or age bound.
    public private(set) var giveUps = 0

    /// Creates a generator for NACKs from `senderSSRC` about `mediaSSRC`.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, configuration: Configuration = Configuration()) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.configuration = configuration
    }

    /// Sequence numbers currently missing, ascending.
    public var missingSequenceNumbers: [Int64] { missing.keys.sorted() }

    /// Records that extended sequence number `sequence` arrived at `now` (original or
    /// retransmission); a jump ahead opens a gap whose packets are requested.
    public mutating func handleReceived(_ sequence: Int64, now: NIODeadline) {
        guard let highest else {
            self.highest = sequence
            return
        }
        if sequence <= highest {
            if missing.removeValue(forKey: sequence) != nil { recovered += 1 }
            return
        }
        let limit = configuration.maxTrackedPackets
        var first = highest + 1
        if sequence - first > Int64(limit) {
            giveUp(range: first..<(sequence - Int64(limit)))
            first = sequence - Int64(limit)
        }
        let due = now + configuration.reorderingDelay
        for seq in first..<sequence {
            missing[seq] = Entry(firstMissing: now, requests: 0, nextRequest: due)
        }
        self.highest = sequence
        if missing.count > limit {
            giveUp(range: missing.keys.sorted().prefix(missing.count - limit))
        }
        handleTimeout(now: now)
    }

    /// Sends due requests and gives up packets past the bound.
    public mutating func handleTimeout(now: NIODeadline) {
        var batch: [UInt16] = []
        let spacing = max(roundTripTime ?? configuration.defaultRoundTripTime, configuration.minimumRetryInterval)
        for seq in missing.keys.sorted() {
            guard var entry = missing[seq], entry.nextRequest <= now else { continue }
            if entry.requests >= configuration.maxRetries || now - entry.firstMissing >= configuration.maxAge {
                missing[seq] = nil
                giveUps += 1
                givenUp.append(seq)
                continue
            }
            entry.requests += 1
            entry.nextRequest = now + spacing
            missing[seq] = entry
            batch.append(UInt16(truncatingIfNeeded: seq))
        }
        guard !batch.isEmpty else { return }
        requestsSent += batch.count
        // One NACK FCI entry covers 17 packets; 250 entries keep the packet far below an MTU's worth.
        var pairs = RTCPGenericNACK.pairs(for: batch)[...]
        while !pairs.isEmpty {
            nacks.append(RTCPGenericNACK(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: Array(pairs.prefix(250))))
            nacksSent += 1
            pairs = pairs.dropFirst(250)
        }
    }

    /// When ``handleTimeout(now:)`` must next run, or nil when nothing is missing.
    public var nextDeadline: NIODeadline? { missing.values.lazy.map(\.nextRequest).min() }

    /// The next NACK to send.
    public mutating func pollNACK() -> RTCPGenericNACK? { nacks.popFirst() }

    /// The next sequence number given up (so the jitter buffer stops waiting for it).
    public mutating func pollGiveUp() -> Int64? { givenUp.popFirst() }

    /// Forgets all state (after the sender restarted its sequence); counters stay.
    public mutating func reset() {
        highest = nil
        missing.removeAll()
    }

    private mutating func giveUp<S: Sequence>(range: S) where S.Element == Int64 {
        for seq in range {
            missing[seq] = nil
            giveUps += 1
            givenUp.append(seq)
        }
    }
}
