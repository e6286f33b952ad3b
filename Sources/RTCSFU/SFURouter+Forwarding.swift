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
            // One in-place access per subscription, by index: the leg decides and rewrites. (The
            // key subscript's `_modify` moves the leg out and back, in a heap-allocated frame.)
            guard let i = legs.index(forKey: id) else { continue }
            let verdict = legs.values[i].take(packet, from: source, extended: extended, format: format,
                                              isKeyFrameStart: &isKeyFrameStart, now: now)
            switch verdict {
            case .forwarded(let rewritten, let leftTrack):
                if let leftTrack { tracks[leftTrack]?.subscribers.removeAll { $0 == id } }
                let bytes = rewritten.payload.readableBytes
                statistics.packetsForwarded += 1
                statistics.payloadBytesForwarded += bytes
                outputs.append(.forward(id, rewritten))
            case .dropped(let reason):
                drop(reason)
            case .ignored:
                break
            }
        }
    }

    mutating func drop(_ reason: SFUDropReason) {
        statistics.drops[reason, default: 0] += 1
    }
}
