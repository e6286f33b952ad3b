import NIOCore
import RTCCore
import RTCRTP

extension SFURouter {
    // MARK: Publishers' packets in, subscribers' packets out

    /// Handles one datagram from a publisher that should hold an RTP packet (SRTP removed),
    /// routed by its SSRC. RTCP and what does not parse are dropped and counted.
    public mutating func handleRTP(datagram: ByteBuffer, now: NIODeadline) {
        if let second = datagram.getInteger(at: datagram.readerIndex + 1, as: UInt8.self), PacketKind.isRTCP(secondByte: second) {
            statistics.packetsReceived += 1
            drop(.notRTP)
            return
        }
        do {
            let packet = try RTPPacket(parsing: datagram)
            handleRTP(packet, now: now)
        } catch {
            statistics.packetsReceived += 1
            drop(.malformed)
        }
    }

    /// Handles one RTP packet from a publisher, routed by its SSRC to the layer published with it.
    /// An unknown SSRC is dropped and counted.
    public mutating func handleRTP(_ packet: RTPPacket, now: NIODeadline) {
        guard let source = sourceBySSRC[packet.header.ssrc] else {
            statistics.packetsReceived += 1
            drop(.unknownSSRC)
            return
        }
        handleRTP(packet, from: source, now: now)
    }

    /// Handles one RTP packet of a known source (the caller demultiplexed it, e.g. by mid and
    /// rid): every subscription on the source gets it rewritten, a subscription waiting for this
    /// source switches to it at a key frame, and a key frame ends the source's outstanding
    /// key-frame request.
    public mutating func handleRTP(_ packet: RTPPacket, from source: SFUSource, now: NIODeadline) {
        statistics.packetsReceived += 1
        // Read what is needed and hold no copy of the track while mutating it (no copy-on-write).
        guard let (format, subscribers, isOutstanding) = tracks[source.track].flatMap({ track in
            track.layers.indices.contains(source.layer)
                ? (track.format, track.subscribers, track.layers[source.layer].keyFrames.isOutstanding) : nil
        }) else {
            drop(.unknownSource)
            return
        }
        let extended = tracks[source.track]!.layers[source.layer].sequenceNumbers.unwrap(packet.header.sequenceNumber)
        var isKeyFrameStart: Bool?
        if isOutstanding {
            isKeyFrameStart = format.isKeyFrameStart(packet.payload)
            if isKeyFrameStart == true { tracks[source.track]!.layers[source.layer].keyFrames.keyFrameReceived() }
        }
        for id in subscribers {
            guard legs[id] != nil else { continue }
            if legs[id]!.target == source {
                let isKey: Bool
                if let isKeyFrameStart { isKey = isKeyFrameStart } else {
                    isKey = format.isKeyFrameStart(packet.payload)
                    isKeyFrameStart = isKey
                }
                if isKey {
                    let previous = legs[id]!.current
                    legs[id]!.startSegment(source, first: extended, timestamp: packet.header.timestamp, now: now)
                    if let previous, previous.track != source.track { tracks[previous.track]?.subscribers.removeAll { $0 == id } }
                } else if legs[id]!.current != source {
                    if legs[id]!.current == nil { drop(.waitingForKeyFrame) }
                    continue
                }
            }
            guard legs[id]!.current == source else { continue }
            forward(packet, extended: extended, to: id, now: now)
        }
    }

    private mutating func forward(_ packet: RTPPacket, extended: Int64, to id: SFUSubscriptionID, now: NIODeadline) {
        guard let segment = legs[id]!.segments.last, extended >= segment.firstSource else {
            drop(.precedesSwitch)
            return
        }
        let output = extended + segment.offset
        var rewritten = packet
        rewritten.header.ssrc = legs[id]!.ssrc
        rewritten.header.payloadType = legs[id]!.payloadType
        rewritten.header.sequenceNumber = UInt16(truncatingIfNeeded: output)
        rewritten.header.timestamp = packet.header.timestamp &+ legs[id]!.timestampOffset
        rewritten.header.headerExtension = nil
        if legs[id]!.highestOutput.map({ output > $0 }) ?? true {
            legs[id]!.highestOutput = output
            legs[id]!.lastTimestamp = rewritten.header.timestamp
            legs[id]!.lastSentAt = now
        }
        if legs[id]!.cache != nil { legs[id]!.cache!.store(rewritten.serialized(), now: now) }
        let bytes = packet.payload.readableBytes
        legs[id]!.statistics.packetsForwarded += 1
        legs[id]!.statistics.payloadBytesForwarded += bytes
        statistics.packetsForwarded += 1
        statistics.payloadBytesForwarded += bytes
        outputs.append(.forward(id, rewritten))
    }

    mutating func drop(_ reason: SFUDropReason) {
        statistics.drops[reason, default: 0] += 1
    }
}
