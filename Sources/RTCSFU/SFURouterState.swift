import NIOCore
import RTCRTP
import RTCRTPStreams

extension SFURouter {
    /// A published track: its codec, its layers and the subscriptions that receive or await it.
    struct PublishedTrack: Sendable {
        let codec: RTPCodec
        let format: any RTPPayloadFormat.Type
        var layers: [PublishedLayer]
        var subscribers: [SFUSubscriptionID] = []

        init(codec: RTPCodec, layers: [PublishedLayer]) {
            self.codec = codec
            self.format = codec.payloadFormat
            self.layers = layers
        }
    }

    /// One layer of a published track: its numbering as seen so far and its key-frame requests.
    struct PublishedLayer: Sendable {
        var layer: SFULayer
        var sequenceNumbers = SequenceNumberUnwrapper()
        var keyFrames: KeyFrameRequester
        /// Sequence numbers recently asked of the publisher, so that many subscribers missing
        /// one packet cost one request per interval.
        var recentRequests: [(sequenceNumber: UInt16, at: NIODeadline)] = []
    }

    /// One run of a subscription's numbering taken from one source: from `firstOutput` on, the
    /// output's extended sequence number is the source's plus `offset`.
    struct Segment: Sendable {
        var source: SFUSource
        var firstOutput: Int64
        var firstSource: Int64
        var offset: Int64
    }

    /// A subscription: where it takes packets from, and how it rewrites them.
    struct Leg: Sendable {
        let codec: RTPCodec
        let ssrc: UInt32
        let payloadType: UInt8
        let initialSequenceNumber: UInt16
        let initialTimestamp: UInt32
        var cache: RTPRetransmissionCache?
        var current: SFUSource?
        var target: SFUSource?
        /// The recent segments, newest last (the last one is the current source's).
        var segments: [Segment] = []
        var timestampOffset: UInt32 = 0
        /// The newest output: extended sequence number, timestamp and when it went out.
        var highestOutput: Int64?
        var lastTimestamp: UInt32 = 0
        var lastSentAt: NIODeadline?
        var statistics = SFUSubscriptionStatistics()

        init(codec: RTPCodec, ssrc: UInt32, payloadType: UInt8, initialSequenceNumber: UInt16, initialTimestamp: UInt32,
             cache: RTPRetransmissionCache?) {
            self.codec = codec
            self.ssrc = ssrc
            self.payloadType = payloadType
            self.initialSequenceNumber = initialSequenceNumber
            self.initialTimestamp = initialTimestamp
            self.cache = cache
        }

        /// The most segments remembered for mapping NACKs back to publishers.
        static let segmentHistory = 8

        /// Starts numbering from `source` at its packet with extended sequence number `first`
        /// and timestamp `timestamp`: the next output sequence number follows the newest one,
        /// and the timestamp advances from the newest by the time passed since it went out
        /// (at least one tick), so the subscriber's decoder sees one continuous stream.
        mutating func startSegment(_ source: SFUSource, first: Int64, timestamp: UInt32, now: NIODeadline) {
            let firstOutput = highestOutput.map { $0 + 1 } ?? (65_536 + Int64(initialSequenceNumber))
            let targetTimestamp: UInt32
            if let lastSentAt {
                let elapsed = max(0, (now - lastSentAt).nanoseconds)
                let ticks = max(1, elapsed / 1_000_000_000 * Int64(codec.clockRate)
                    + (elapsed % 1_000_000_000) * Int64(codec.clockRate) / 1_000_000_000)
                targetTimestamp = lastTimestamp &+ UInt32(truncatingIfNeeded: ticks)
            } else {
                targetTimestamp = initialTimestamp
            }
            timestampOffset = targetTimestamp &- timestamp
            segments.append(Segment(source: source, firstOutput: firstOutput, firstSource: first, offset: firstOutput - first))
            if segments.count > Self.segmentHistory { segments.removeFirst(segments.count - Self.segmentHistory) }
            current = source
            target = nil
            statistics.sourceSwitches += 1
        }

        /// What a leg did with a packet of a source it receives or waits for.
        enum Verdict {
            /// Rewritten for the subscriber; `leftTrack` is the track it just switched away from.
            case forwarded(RTPPacket, leftTrack: SFUTrackID?)
            /// Not forwarded, for this reason.
            case dropped(SFUDropReason)
            /// Not for this leg (the old source of a finished switch, or one it waits for while
            /// another still plays).
            case ignored
        }

        /// Takes one packet of `source` (extended sequence number `extended`): a packet starting a
        /// key frame of the source the leg waits for switches it there; a packet of the current
        /// source is rewritten — SSRC, payload type, sequence number and timestamp shifted by the
        /// segment's offsets, header extension removed — cached when the leg caches, and counted.
        /// `isKeyFrameStart` memoizes the key-frame test across the legs of one packet.
        mutating func take(_ packet: RTPPacket, from source: SFUSource, extended: Int64, format: any RTPPayloadFormat.Type,
                           isKeyFrameStart: inout Bool?, now: NIODeadline) -> Verdict {
            var leftTrack: SFUTrackID?
            if target == source {
                let isKey = isKeyFrameStart ?? format.isKeyFrameStart(packet.payload)
                isKeyFrameStart = isKey
                if isKey {
                    if let previous = current, previous.track != source.track { leftTrack = previous.track }
                    startSegment(source, first: extended, timestamp: packet.header.timestamp, now: now)
                } else if current != source {
                    return current == nil ? .dropped(.waitingForKeyFrame) : .ignored
                }
            }
            guard current == source else { return .ignored }
            guard let segment = segments.last, extended >= segment.firstSource else { return .dropped(.precedesSwitch) }
            let output = extended + segment.offset
            var rewritten = packet
            rewritten.header.ssrc = ssrc
            rewritten.header.payloadType = payloadType
            rewritten.header.sequenceNumber = UInt16(truncatingIfNeeded: output)
            rewritten.header.timestamp = packet.header.timestamp &+ timestampOffset
            rewritten.header.headerExtension = nil
            if highestOutput.map({ output > $0 }) ?? true {
                highestOutput = output
                lastTimestamp = rewritten.header.timestamp
                lastSentAt = now
            }
            if cache != nil { cache!.store(rewritten.serialized(), now: now) }
            statistics.packetsForwarded += 1
            statistics.payloadBytesForwarded += packet.payload.readableBytes
            return .forwarded(rewritten, leftTrack: leftTrack)
        }

        /// The extended value of an output sequence number, nearest to the newest output.
        func extendedOutput(_ sequenceNumber: UInt16) -> Int64? {
            guard let highestOutput else { return nil }
            return highestOutput + Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highestOutput)))
        }
    }
}
