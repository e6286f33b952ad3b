import DequeModule
import NIOCore
import RTCRTP

/// The reorder/jitter buffer and frame assembler of a receive stream: packets go in with the
/// time they arrived; whole frames come out in sequence order, with the deadline by which a
/// missing packet must arrive.
///
/// A frame is the run of packets from one whose payload starts a frame
/// (``RTPPayloadFormat/isFrameStart(_:)``) up to the one with the marker bit (or the last before
/// the timestamp changes), all present. The frame at the head waits for missing packets at most
/// ``Configuration/maxHold`` after the oldest buffered packet arrived, or until
/// ``declareLost(_:now:)`` says a missing packet will not come; then the buffer skips to the
/// next frame start, reports a ``FrameDrop``, and marks the next frame not contiguous. With
/// ``Configuration/waitForKeyFrameAfterLoss`` it then drops frames until a key frame — and it
/// starts that way: a stream whose first frames are not a key frame (its key frame was lost, or
/// it was joined mid-stream) has nothing decodable to hand up until one comes.
public struct FrameAssembler: Sendable {
    /// How the assembler groups, holds and resumes.
    public struct Configuration: Sendable {
        /// The negotiated payload format, which depacketizes frames and finds frame starts.
        public var format: any RTPPayloadFormat.Type
        /// Every packet is one frame (audio); no marker or timestamp change is awaited.
        public var oneFramePerPacket: Bool
        /// Longest a buffered packet waits for a missing one before its frame is given up.
        public var maxHold: TimeAmount
        /// After a loss, drop frames until a key frame (for decoders that need references).
        public var waitForKeyFrameAfterLoss: Bool
        /// Most packets buffered; beyond it the head frame is given up.
        public var maxBufferedPackets: Int

        /// Creates a configuration.
        public init(format: any RTPPayloadFormat.Type, oneFramePerPacket: Bool = false, maxHold: TimeAmount = .milliseconds(1_000),
                    waitForKeyFrameAfterLoss: Bool = true, maxBufferedPackets: Int = 2_048) {
            self.format = format
            self.oneFramePerPacket = oneFramePerPacket
            self.maxHold = maxHold
            self.waitForKeyFrameAfterLoss = waitForKeyFrameAfterLoss
            self.maxBufferedPackets = max(16, maxBufferedPackets)
        }
    }

    /// What became of one inserted packet.
    public enum InsertResult: Hashable, Sendable {
        /// Buffered (and perhaps already delivered in a frame).
        case buffered
        /// The same sequence number is already buffered.
        case duplicate
        /// Its frame was already delivered or given up.
        case late
        /// Too far ahead of the head of the buffer to be believed.
        case outOfRange
    }

    /// What the assembler produces, in order.
    public enum Output: Hashable, Sendable {
        /// A whole frame.
        case frame(ReceivedFrame)
        /// Frames given up.
        case dropped(FrameDrop)
    }

    private struct Slot: Sendable {
        var timestamp: UInt32
        var marker: Bool
        var payload: ByteBuffer
        var arrival: NIODeadline
        var isStart: Bool
        var isPadding: Bool { payload.readableBytes == 0 }
    }

    private enum Head {
        case complete(end: Int64)
        case blocked(missing: Int64)
        case notStart
    }

    /// The configuration.
    public let configuration: Configuration
    private var buffer: [Int64: Slot] = [:]
    private var nextSequence: Int64?
    private var hasAdvanced = false
    private var lost: Set<Int64> = []
    private var discontinuity = false
    private var lastDroppedTimestamp: UInt32?
    private var outputs: Deque<Output> = []
    /// When the head frame is given up if still incomplete; nil when nothing waits.
    public private(set) var nextDeadline: NIODeadline?
    /// Whether frames are being dropped until a key frame.
    public private(set) var isWaitingForKeyFrame = false

    /// Creates an empty assembler (waiting for a key frame, with
    /// ``Configuration/waitForKeyFrameAfterLoss`` for frames of several packets).
    public init(configuration: Configuration) {
        self.configuration = configuration
        isWaitingForKeyFrame = configuration.waitForKeyFrameAfterLoss && !configuration.oneFramePerPacket
    }

    /// Packets buffered now.
    public var bufferedPacketCount: Int { buffer.count }

    /// Buffers the packet with extended sequence number `sequence` that arrived at `now` (an
    /// empty payload is padding and only fills its place), then delivers what is complete.
    public mutating func insert(sequence: Int64, timestamp: UInt32, marker: Bool, payload: ByteBuffer,
                                now: NIODeadline) -> InsertResult {
        let result = store(sequence: sequence, timestamp: timestamp, marker: marker, payload: payload, now: now)
        if result == .buffered { drain(now: now) }
        return result
    }

    private mutating func store(sequence: Int64, timestamp: UInt32, marker: Bool, payload: ByteBuffer,
                                now: NIODeadline) -> InsertResult {
        let limit = Int64(configuration.maxBufferedPackets)
        guard let next = nextSequence else {
            nextSequence = sequence
            buffer[sequence] = slot(timestamp, marker, payload, now)
            return .buffered
        }
        if sequence < next {
            // Before anything was delivered, a reordered earlier packet moves the head back.
            guard !hasAdvanced, next - sequence <= 100 else { return .late }
            nextSequence = sequence
        } else if sequence - next >= limit {
            return .outOfRange
        }
        guard buffer[sequence] == nil else { return .duplicate }
        while buffer.count >= configuration.maxBufferedPackets, nextSequence != nil {
            let before = buffer.count
            skipHead(reason: .incomplete)
            if buffer.count == before, let next = nextSequence {
                // Only packets before the head remain (cannot happen, but never loop on it).
                buffer = buffer.filter { $0.key >= next }
            }
        }
        if let next = nextSequence, sequence < next { return .late }
        buffer[sequence] = slot(timestamp, marker, payload, now)
        return .buffered
    }

    private func slot(_ timestamp: UInt32, _ marker: Bool, _ payload: ByteBuffer, _ now: NIODeadline) -> Slot {
        Slot(timestamp: timestamp, marker: marker, payload: payload, arrival: now,
             isStart: payload.readableBytes > 0 && configuration.format.isFrameStart(payload))
    }

    /// Says the packet `sequence` will not arrive (the NACK generator gave up), so a frame
    /// waiting for it is given up at once.
    public mutating func declareLost(_ sequence: Int64, now: NIODeadline) {
        guard let next = nextSequence, sequence >= next, buffer[sequence] == nil else { return }
        lost.insert(sequence)
        drain(now: now)
    }

    /// Gives up the head frame if its hold expired, and delivers what follows.
    public mutating func handleTimeout(now: NIODeadline) {
        drain(now: now)
    }

    /// The next frame or drop.
    public mutating func poll() -> Output? { outputs.popFirst() }

    /// Forgets every buffered packet (after the sender restarted its sequence); the next frame
    /// is not contiguous and, with ``Configuration/waitForKeyFrameAfterLoss``, must be a key frame.
    public mutating func reset() {
        buffer.removeAll()
        lost.removeAll()
        nextSequence = nil
        hasAdvanced = false
        nextDeadline = nil
        lossOccurred()
    }

    private mutating func drain(now: NIODeadline) {
        while let s = nextSequence, !buffer.isEmpty {
            if let slot = buffer[s], slot.isPadding {
                buffer[s] = nil
                advance(to: s + 1)
                continue
            }
            let state = head(from: s)
            switch state {
            case .complete(let end):
                deliver(from: s, to: end, now: now)
            case .notStart where hasAdvanced:
                // The frame's start lies before the head, which was already delivered or given up.
                skipHead(reason: .incomplete)
            case .notStart, .blocked:
                // (Before the first frame, a packet that does not start one waits for an earlier
                // packet that was reordered behind it.)
                var missing = s - 1
                if case .blocked(let m) = state { missing = m }
                let expired = oldestArrival().map { $0 + configuration.maxHold <= now } ?? false
                guard expired || lost.contains(missing) else {
                    nextDeadline = oldestArrival().map { $0 + configuration.maxHold }
                    return
                }
                skipHead(reason: .incomplete)
            }
        }
        nextDeadline = nil
    }

    private func head(from s: Int64) -> Head {
        guard let first = buffer[s] else { return .blocked(missing: s) }
        guard first.isStart else { return .notStart }
        var end = s
        var slot = first
        while true {
            if configuration.oneFramePerPacket || slot.marker { return .complete(end: end) }
            guard let next = buffer[end + 1] else { return .blocked(missing: end + 1) }
            if next.timestamp != slot.timestamp { return .complete(end: end) }
            end += 1
            slot = next
        }
    }

    private mutating func deliver(from s: Int64, to end: Int64, now: NIODeadline) {
        var payloads: [ByteBuffer] = []
        payloads.reserveCapacity(Int(end - s + 1))
        for seq in s...end { if let slot = buffer[seq] { payloads.append(slot.payload) } }
        let timestamp = buffer[s]?.timestamp ?? 0
        for seq in s...end { buffer[seq] = nil }
        advance(to: end + 1)
        do {
            let frame = try configuration.format.depacketize(payloads)
            if isWaitingForKeyFrame && !frame.isKeyFrame {
                outputs.append(.dropped(FrameDrop(reason: .waitingForKeyFrame, frameCount: 1, sequenceNumbers: s...end)))
                return
            }
            isWaitingForKeyFrame = false
            outputs.append(.frame(ReceivedFrame(
                data: frame.data, isKeyFrame: frame.isKeyFrame, rtpTimestamp: timestamp, isContiguous: !discontinuity,
                firstSequenceNumber: s, lastSequenceNumber: end, completedAt: now)))
            discontinuity = false
        } catch {
            lossOccurred()
            outputs.append(.dropped(FrameDrop(reason: .undecodable(error), frameCount: 1, sequenceNumbers: s...end)))
        }
    }

    /// Discards the head frame (present or not) up to the next packet that starts a frame.
    private mutating func skipHead(reason: FrameDropReason) {
        guard let s = nextSequence else { return }
        let headTimestamp = buffer[s]?.timestamp
        var resume: Int64?
        let keys = buffer.keys.sorted()
        for p in keys where p > s {
            guard let slot = buffer[p], slot.isStart else { continue }
            if let previous = buffer[p - 1] {
                if previous.marker || previous.timestamp != slot.timestamp || configuration.oneFramePerPacket { resume = p; break }
            } else if headTimestamp.map({ $0 != slot.timestamp }) ?? true {
                resume = p
                break
            }
        }
        let end = resume.map { $0 - 1 } ?? max(s, keys.last ?? s)
        var timestamps: Set<UInt32> = []
        var lastRemoved: (sequence: Int64, timestamp: UInt32)?
        for p in keys where p >= s && p <= end {
            guard let slot = buffer.removeValue(forKey: p), !slot.isPadding else { continue }
            timestamps.insert(slot.timestamp)
            if lastRemoved.map({ p > $0.sequence }) ?? true { lastRemoved = (p, slot.timestamp) }
        }
        // A frame given up earlier whose trailing packets come later is not counted twice.
        if let last = lastDroppedTimestamp { timestamps.remove(last) }
        var count = timestamps.count
        if count == 0 && headTimestamp == nil && lastRemoved == nil { count = 1 }
        if let lastRemoved { lastDroppedTimestamp = lastRemoved.timestamp }
        advance(to: end + 1)
        lossOccurred()
        if count > 0 {
            outputs.append(.dropped(FrameDrop(reason: reason, frameCount: count, sequenceNumbers: s...end)))
        }
    }

    private mutating func lossOccurred() {
        discontinuity = true
        if configuration.waitForKeyFrameAfterLoss && !configuration.oneFramePerPacket { isWaitingForKeyFrame = true }
    }

    private mutating func advance(to sequence: Int64) {
        nextSequence = sequence
        hasAdvanced = true
        if !lost.isEmpty { lost = lost.filter { $0 >= sequence } }
    }

    private func oldestArrival() -> NIODeadline? { buffer.values.lazy.map(\.arrival).min() }
}
