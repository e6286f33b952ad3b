import NIOCore
import RTCMedia
import RTCSession

extension PeerConnection {
    // MARK: Tracks and transceivers (W3C webrtc-pc §5.1, Ktor's addTrack/removeTrack)

    /// Sends `track` to the peer: reuses a transceiver of its kind whose sender never had a
    /// track (one a remote offer created), else adds a `sendrecv` transceiver. Negotiation is
    /// needed (`negotiationNeeded` yields): create and send an offer, or answer the peer's.
    /// The transceiver offers the track's codec only.
    public func addTrack(_ track: LocalMediaTrack, streamIDs: [String] = []) throws -> RTPSender {
        try checkOpen()
        let sender = SessionMediaSender(trackID: track.id, streamIDs: streamIDs, codec: track.codec, sendsAudioLevel: track.kind == .audio)
        let now = NIODeadline.now()
        let handle: Int
        if let free = driver.core.transceiverInfos.first(where: {
            $0.kind == track.kind && !$0.isStopped && !$0.senderEverHadTrack && $0.mid != nil
        }) {
            handle = free.handle
            try driver.core.setSender(sender, on: handle, now: now)
        } else {
            handle = try driver.core.addTransceiver(kind: track.kind, direction: .sendrecv, sender: sender, now: now)
        }
        let transceiver = transceiverObject(handle: handle, kind: track.kind)
        transceiver.sender.setTrack(track)
        driver.pump()
        return transceiver.sender
    }

    /// Attaches `track` to an m-section the remote offer already has (an audio/video
    /// transceiver of its kind whose sender never had a track) — what an answerer does between
    /// `setRemoteDescription(offer)` and `createAnswer()` — and returns its sender; returns `nil`
    /// (and changes nothing) when the offer has no such section, so no renegotiation is needed.
    public func attachTrack(_ track: LocalMediaTrack, streamIDs: [String] = []) throws -> RTPSender? {
        try checkOpen()
        guard driver.core.transceiverInfos.contains(where: {
            $0.kind == track.kind && !$0.isStopped && !$0.senderEverHadTrack && $0.mid != nil
        }) else { return nil }
        return try addTrack(track, streamIDs: streamIDs)
    }

    /// Stops sending `sender`'s track (W3C `removeTrack`): the transceiver stops sending, and
    /// the peer's track ends once a new offer/answer exchange says so.
    public func removeTrack(_ sender: RTPSender) throws {
        try checkOpen()
        sender.setTrack(nil)
        try driver.core.setSender(nil, on: sender.handle, now: .now())
        driver.pump()
    }

    /// Adds a transceiver without a track (`recvonly` to receive only; `sendrecv` to attach a
    /// track later with `sender.replaceTrack`).
    public func addTransceiver(kind: RTPCodec.Kind, direction: MediaDirection = .sendrecv) throws -> RTPTransceiver {
        try checkOpen()
        let handle = try driver.core.addTransceiver(kind: kind, direction: direction, now: .now())
        driver.pump()
        return transceiverObject(handle: handle, kind: kind)
    }

    /// The transceivers: added here or created by the peer's offers.
    public var transceivers: [RTPTransceiver] {
        driver.core.transceiverInfos.map { transceiverObject(handle: $0.handle, kind: $0.kind) }
    }

    func transceiverObject(handle: Int, kind: RTPCodec.Kind) -> RTPTransceiver {
        if let existing = events.transceivers[handle] { return existing }
        let transceiver = RTPTransceiver(handle: handle, kind: kind, sender: RTPSender(handle: handle, kind: kind, connection: self),
                                         connection: self)
        events.transceivers[handle] = transceiver
        return transceiver
    }

    // MARK: Called by senders, transceivers and remote tracks

    /// Sends one frame of a sender's track. Frames before negotiation settled are dropped (the
    /// sender then waits for a key frame again); a frame the payload format refuses is logged.
    func sendFrame(_ frame: ByteBuffer, on handle: Int, captureTime: NIODeadline, audioLevel: RTPAudioLevel?) {
        guard !driver.isClosed else { return }
        do {
            try driver.core.sendFrame(frame, on: handle, captureTime: captureTime, audioLevel: audioLevel, now: .now())
        } catch SessionError.mediaNotSending {
            events.transceivers[handle]?.sender.needKeyFrame()
            return
        } catch {
            events.log.peerConnection.warning("frame not sent", metadata: ["transceiver": "\(handle)", "reason": "\(error)"])
            return
        }
        driver.pump()
    }

    /// Sends one forwarded RTP packet of a sender's track. Packets before negotiation settled
    /// are dropped (the forwarder starts video at a key frame, which the sender asked for).
    func sendRTP(_ packet: RTPPacket, on handle: Int) {
        guard !driver.isClosed else { return }
        do {
            try driver.core.sendRTP(packet, on: handle, now: .now())
        } catch SessionError.mediaNotSending {
            return
        } catch {
            events.log.peerConnection.warning("RTP packet not sent", metadata: ["transceiver": "\(handle)", "reason": "\(error)"])
            return
        }
        driver.pump()
    }

    func senderTrackReplaced(handle: Int, track: LocalMediaTrack) throws {
        try checkOpen()
        if driver.core.transceiverInfo(handle)?.sender == nil {
            // The transceiver had no track: it gets one (its direction must allow sending).
            try driver.core.setSender(SessionMediaSender(trackID: track.id, codec: track.codec, sendsAudioLevel: track.kind == .audio),
                                      on: handle, now: .now())
            driver.pump()
        }
    }

    func transceiverInfo(_ handle: Int) -> SessionTransceiverInfo? { driver.core.transceiverInfo(handle) }

    func setDirection(_ direction: MediaDirection, of handle: Int) throws {
        try checkOpen()
        try driver.core.setDirection(direction, on: handle)
        driver.pump()
    }

    func setCodecPreferences(_ codecs: [RTPCodec], of handle: Int) throws {
        try checkOpen()
        try driver.core.setCodecPreferences(codecs, on: handle)
    }

    func stopTransceiver(_ handle: Int) throws {
        try checkOpen()
        events.transceivers[handle]?.sender.setTrack(nil)
        try driver.core.stopTransceiver(handle, now: .now())
        driver.pump()
    }

    func requestKeyFrame(on handle: Int) {
        guard !driver.isClosed else { return }
        try? driver.core.requestKeyFrame(on: handle, now: .now())
        driver.pump()
    }

    func mediaStatistics(of handle: Int) -> SessionMediaStatistics? { driver.core.mediaStatistics(of: handle) }

    func setDelivery(_ delivery: MediaDelivery, on handle: Int) throws {
        try checkOpen()
        try driver.core.setDelivery(delivery, on: handle)
    }
}

extension WebRTCClient {
    /// Creates an audio track from `source` (Ktor's `createAudioTrack`).
    ///
    /// - Throws: `WebRTCError.invalidTrack` when the source's codec is not audio.
    public func createAudioTrack(source: MediaTrackSource, id: String? = nil) async throws -> LocalMediaTrack {
        try makeTrack(kind: .audio, source: source, id: id)
    }

    /// Creates a video track from `source` (Ktor's `createVideoTrack`).
    ///
    /// - Throws: `WebRTCError.invalidTrack` when the source's codec is not video.
    public func createVideoTrack(source: MediaTrackSource, id: String? = nil) async throws -> LocalMediaTrack {
        try makeTrack(kind: .video, source: source, id: id)
    }

    private func makeTrack(kind: RTPCodec.Kind, source: MediaTrackSource, id: String?) throws -> LocalMediaTrack {
        switch source.storage {
        case .frames(let codec):
            guard codec.kind == kind else {
                throw WebRTCError.invalidTrack("a \(kind.rawValue) track cannot carry \(codec), a \(codec.kind.rawValue) codec")
            }
            return LocalMediaTrack(id: id ?? Self.makeTrackID(), codec: codec, player: nil)
        case .rtp(let codec):
            guard codec.kind == kind else {
                throw WebRTCError.invalidTrack("a \(kind.rawValue) track cannot carry \(codec), a \(codec.kind.rawValue) codec")
            }
            return LocalMediaTrack(id: id ?? Self.makeTrackID(), codec: codec, player: nil, carriesRTP: true)
        case .file(let path, let loop, let frameRate):
            let file = try Self.openMediaFile(path, kinds: [kind], loop: loop, frameRate: frameRate)
            let codec = file.tracks[0].codec
            return LocalMediaTrack(id: id ?? Self.makeTrackID(), codec: codec, player: MediaFilePlayer(source: file))
        }
    }

    /// Creates one track per track of a media file — a WebM file's video and audio, or the one
    /// track of an IVF, Ogg or Annex B file — played together from one clock, so they stay in
    /// sync (video first). See ``MediaTrackSource/file(_:loop:frameRate:)`` for the formats.
    ///
    /// - Throws: `WebRTCError.invalidMediaFile` naming the file and what is wrong with it.
    public func createTracks(fromFile path: String, loop: Bool = false, frameRate: Double? = nil) async throws -> [LocalMediaTrack] {
        let file = try Self.openMediaFile(path, kinds: nil, loop: loop, frameRate: frameRate)
        let player = MediaFilePlayer(source: file)
        return file.tracks.sorted { $0.kind == .video && $1.kind != .video }.map {
            LocalMediaTrack(id: Self.makeTrackID(), codec: $0.codec, player: player)
        }
    }

    private static func openMediaFile(_ path: String, kinds: Set<RTPCodec.Kind>?, loop: Bool, frameRate: Double?) throws -> MediaFileSource {
        do {
            return try MediaFileSource(path: path, kinds: kinds, loops: loop, h264FramesPerSecond: frameRate ?? 30)
        } catch {
            throw WebRTCError.invalidMediaFile(path: path, reason: Self.reason(error))
        }
    }

    /// The problem part of a `MediaSourceError` (its description without the path).
    private static func reason(_ error: MediaSourceError) -> String {
        let text = error.description
        let prefix = "\(error.path): "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    private static func makeTrackID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt32, radix: 16) }.joined(separator: "-")
    }
}
