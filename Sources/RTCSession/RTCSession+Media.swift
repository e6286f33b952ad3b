import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCSDP

extension RTCSession {
    // MARK: Transceivers (W3C webrtc-pc §5.4, RFC 8829 §4.1.2)

    /// Adds an audio or video transceiver and returns its handle. With a `sender`, the
    /// transceiver offers only that codec and sends once negotiation allows (`addTrack`);
    /// without one it only receives unless `direction` says otherwise and a sender is set
    /// later. Reports `.negotiationNeeded` when signaling is stable.
    public mutating func addTransceiver(kind: RTPCodec.Kind, direction: MediaDirection, sender: SessionMediaSender? = nil,
                                        now: NIODeadline) throws(SessionError) -> Int {
        guard !isClosed else { throw .closed }
        if let sender, sender.codec.kind != kind { throw .invalidMedia("a \(sender.codec) track cannot go on a \(kind.rawValue) transceiver") }
        if let sender { try checkCapable(sender.codec) }
        let handle = nextTransceiverHandle
        nextTransceiverHandle += 1
        transceivers.append(SessionTransceiver(handle: handle, kind: kind, direction: direction, sender: sender,
                                               createdByAddTrack: sender != nil, rng: &rng))
        deriveSRTPKeysIfNeeded()
        updateNegotiationNeeded()
        return handle
    }

    /// Throws unless the configuration's media capabilities list `codec` (an offer could not carry it).
    func checkCapable(_ codec: RTPCodec) throws(SessionError) {
        let kind: JSEPMediaKind = codec.kind == .audio ? .audio : .video
        guard capabilities.codecs(for: kind).contains(where: { RTPCodec(encodingName: $0.name) == codec }) else {
            throw .invalidMedia("\(codec) is not among the configured media capabilities (SessionConfiguration.mediaCapabilities)")
        }
    }

    /// Attaches a track to a transceiver or detaches it (`nil`), W3C `addTrack` reusing a
    /// transceiver and `removeTrack`: attaching makes the direction send too, detaching stops
    /// sending (direction loses `send`). Both need a new offer/answer (`.negotiationNeeded`).
    public mutating func setSender(_ sender: SessionMediaSender?, on handle: Int, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        guard let i = transceiverIndex(handle), !transceivers[i].isStopped else { throw .unknownTransceiver(handle) }
        if let sender, sender.codec.kind != transceivers[i].kind {
            throw .invalidMedia("a \(sender.codec) track cannot go on a \(transceivers[i].kind.rawValue) transceiver")
        }
        if let sender { try checkCapable(sender.codec) }
        let direction = transceivers[i].direction
        transceivers[i].sender = sender
        if sender != nil {
            transceivers[i].senderEverHadTrack = true
            transceivers[i].direction = MediaDirection(sends: true, receives: direction.receives)
        } else {
            transceivers[i].direction = MediaDirection(sends: false, receives: direction.receives)
            stopSending(i, now: now)
            pump(now: now)
        }
        updateNegotiationNeeded()
    }

    /// Changes what a transceiver wants to do (W3C `transceiver.direction`); takes effect with
    /// the next negotiation.
    public mutating func setDirection(_ direction: MediaDirection, on handle: Int) throws(SessionError) {
        guard let i = transceiverIndex(handle), !transceivers[i].isStopped else { throw .unknownTransceiver(handle) }
        transceivers[i].direction = direction
        updateNegotiationNeeded()
    }

    /// Stops a transceiver for good (W3C `transceiver.stop()`): sending ends with an RTCP BYE,
    /// the remote track ends, and the next offer gives its m-section port 0.
    public mutating func stopTransceiver(_ handle: Int, now: NIODeadline) throws(SessionError) {
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        guard !transceivers[i].isStopped else { return }
        stopTransceiverLocally(i, now: now)
        transceivers[i].currentDirection = transceivers[i].negotiated == nil ? nil : .inactive
        pump(now: now)
        updateNegotiationNeeded()
    }

    /// Restricts and orders the codecs a transceiver offers and accepts (W3C
    /// `setCodecPreferences`); an empty list restores every codec. Takes effect with the next
    /// offer or answer.
    ///
    /// - Throws: `.invalidMedia` for a codec of the other kind.
    public mutating func setCodecPreferences(_ codecs: [RTPCodec], on handle: Int) throws(SessionError) {
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        if let wrong = codecs.first(where: { $0.kind != transceivers[i].kind }) {
            throw .invalidMedia("\(wrong) is not a \(transceivers[i].kind.rawValue) codec")
        }
        transceivers[i].codecPreferences = codecs.isEmpty ? nil : codecs
        transceivers[i].negotiatedCodecs = nil
    }

    /// Says what a receiving transceiver hands up: frames (the default), packets, or both.
    /// Packets only (a forwarder's) keeps receive streams for reports, NACK/RTX repair and key
    /// frames but assembles no frame; a change between that and frames starts them afresh.
    public mutating func setDelivery(_ delivery: MediaDelivery, on handle: Int) throws(SessionError) {
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        if delivery.contains(.frames) != transceivers[i].delivery.contains(.frames) { transceivers[i].receivers.removeAll() }
        transceivers[i].delivery = delivery
    }

    /// The transceivers, in the order they were added or created by remote offers.
    public var transceiverInfos: [SessionTransceiverInfo] { transceivers.map(\.info) }

    /// One transceiver's state, or `nil` for an unknown handle.
    public func transceiverInfo(_ handle: Int) -> SessionTransceiverInfo? { transceiverIndex(handle).map { transceivers[$0].info } }

    /// One transceiver's counters (send and receive, all its SSRCs).
    public func mediaStatistics(of handle: Int) -> SessionMediaStatistics? {
        guard let i = transceiverIndex(handle) else { return nil }
        let t = transceivers[i]
        var s = t.statistics
        if let send = t.sendStream?.statistics {
            s.framesSent = Int(send.framesSent)
            s.packetsSent = Int(send.packetsSent)
            s.bytesSent = Int(send.payloadBytesSent)
            s.retransmittedPacketsSent = Int(send.retransmittedPacketsSent)
            s.roundTripTime = send.roundTripTime
        }
        for receiver in t.receivers.values {
            let r = receiver.stream.statistics
            s.packetsReceived += r.packetsReceived
            s.bytesReceived += r.payloadBytesReceived
            s.framesReceived += r.framesDelivered
            s.keyFramesReceived += r.keyFramesDelivered
            s.framesDropped += r.framesDroppedIncomplete + r.framesUndecodable + r.framesDiscardedWaitingForKeyFrame
            s.nacksSent += r.nacksSent
            s.pictureLossIndicationsSent += r.pictureLossIndicationsSent
            s.packetsLost += Int(receiver.stream.receiveStatistics.cumulativeLost)
            s.jitter = Double(receiver.stream.receiveStatistics.jitter) / Double(receiver.codec.clockRate)
            if s.roundTripTime == nil { s.roundTripTime = receiver.stream.roundTripTime }
        }
        return s
    }

    // MARK: Sending and asking

    /// Sends one encoded frame on a transceiver: packetized with the negotiated payload type,
    /// timestamped from `captureTime` on the codec's clock, protected with SRTP and sent on the
    /// selected pair. Audio frames carry the marker bit only on the first of a stream.
    /// `audioLevel` goes out in the audio level extension (RFC 6464) when the sender asked for it
    /// (``SessionMediaSender/sendsAudioLevel``) and it was negotiated; without it, such a
    /// sender's packets carry no level (padding in its place, RFC 8285 §4.2).
    ///
    /// - Throws: `.unknownTransceiver`; `.mediaNotSending` when negotiation has not (yet)
    ///   settled a sending direction with a codec of the track, or SRTP keys are not there yet
    ///   (the frame is dropped: a live source just goes on with the next one); `.invalidMedia`
    ///   when the payload format refuses the frame.
    public mutating func sendFrame(_ frame: ByteBuffer, on handle: Int, captureTime: NIODeadline, audioLevel: RTPAudioLevel? = nil,
                                   now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        guard transceivers[i].sendStream != nil, var format = transceivers[i].packetizer, srtpOut != nil else {
            throw .mediaNotSending(handle)
        }
        let marker = transceivers[i].kind == .video || transceivers[i].sendStream?.statistics.framesSent == 0
        do {
            try send(frame, format: &format, on: i, captureTime: captureTime, marker: marker, audioLevel: audioLevel, now: now)
        } catch {
            transceivers[i].packetizer = format
            throw .invalidMedia("\(transceivers[i].sendCodec.map { "\($0)" } ?? "a") frame was refused: \(error)")
        }
        transceivers[i].packetizer = format
        flushSendStream(i, now: now)
        pump(now: now)
    }

    private mutating func send<Format: RTPPayloadFormat>(_ frame: ByteBuffer, format: inout Format, on i: Int, captureTime: NIODeadline,
                                                         marker: Bool, audioLevel: RTPAudioLevel?, now: NIODeadline) throws(RTPPayloadError) {
        try transceivers[i].sendStream!.sendFrame(frame, format: &format, captureTime: captureTime, marker: marker,
                                                  audioLevel: audioLevel, now: now)
    }

    /// Asks the peer for a key frame on what a transceiver receives (PLI, repeated until one
    /// arrives) — for a recorder that starts, or a forwarder that gained a subscriber.
    public mutating func requestKeyFrame(on handle: Int, now: NIODeadline) throws(SessionError) {
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        for ssrc in transceivers[i].receivers.keys { transceivers[i].receivers[ssrc]?.stream.requestKeyFrame(now: now) }
        pump(now: now)
    }

    func transceiverIndex(_ handle: Int) -> Int? { transceivers.firstIndex { $0.handle == handle } }
}
