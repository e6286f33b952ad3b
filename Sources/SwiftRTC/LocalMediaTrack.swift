import NIOConcurrencyHelpers
import NIOCore
import RTCMedia
import RTCSession

/// An audio or video track this side sends (Ktor's `WebRtcMedia.AudioTrack`/`VideoTrack`): a
/// source of encoded frames in one codec, fanned out to every `RTPSender` it is attached to.
///
/// A server has no camera: frames come from a file (``MediaTrackSource/file(_:loop:frameRate:)``,
/// paced in real time) or from the app (``MediaTrackSource/frames(codec:)`` and ``write(_:isKeyFrame:captureTime:)``).
/// One track added to many peer connections (a room broadcast) reads its source once; a
/// connection that joins later starts at the next key frame.
///
/// ```swift
/// let camera = try await client.createVideoTrack(source: .file("clip.ivf", loop: true))
/// let sender = try await pc.addTrack(camera, streamIDs: ["stream"])
/// ```
///
/// A forwarder (an SFU's leg to one subscriber) feeds a track with RTP packets instead:
/// ``MediaTrackSource/rtp(codec:)`` and ``writeRTP(_:)``.
public final class LocalMediaTrack: Sendable, CustomStringConvertible {
    /// The track id (`a=msid` appdata).
    public let id: String
    /// Audio or video.
    public let kind: RTPCodec.Kind
    /// The codec of its frames; a transceiver carrying it offers this codec only.
    public let codec: RTPCodec
    /// Requests for a key frame from any connection the track is on (PLI/FIR from a peer, or
    /// a connection that starts sending): an app that encodes should make the next frame a key
    /// frame. File sources cannot; their senders wait for the file's next key frame.
    public let keyFrameRequests: AsyncStream<Void>
    /// What the track delivered: frames written, key frames among them.
    public var framesWritten: Int { state.withLockedValue { $0.framesWritten } }

    private struct State {
        var senders: [ObjectIdentifier: RTPSender] = [:]
        var framesWritten = 0
        var ended = false
    }
    private let state = NIOLockedValueBox(State())
    private let keyFrameSink: AsyncStream<Void>.Continuation
    /// Plays the file this track comes from (nil for frames the app writes).
    private let player: MediaFilePlayer?

    /// Whether the track carries RTP packets (``MediaTrackSource/rtp(codec:)``) rather than frames.
    public let carriesRTP: Bool

    init(id: String, codec: RTPCodec, player: MediaFilePlayer?, carriesRTP: Bool = false) {
        self.id = id
        self.carriesRTP = carriesRTP
        self.kind = codec.kind
        self.codec = codec
        self.player = player
        (keyFrameRequests, keyFrameSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        player?.setTrack(self, for: codec.kind)
    }

    /// The file the track plays, or nil when the app writes its frames.
    public var filePath: String? { player?.path }

    /// `LocalMediaTrack(video, VP8, id …)`.
    public var description: String { "LocalMediaTrack(\(kind.rawValue), \(codec), id \(id))" }

    /// Whether ``stop()`` was called or the file ended without looping.
    public var isEnded: Bool { state.withLockedValue { $0.ended } }

    /// Sends one encoded frame to every connection the track is on. `captureTime` stamps its
    /// RTP timestamp (on the codec's clock); give frames their real spacing. Connections whose
    /// negotiation has not settled yet drop it.
    /// Ignored on a track that carries RTP packets.
    ///
    /// `audioLevel` (audio tracks) goes out with the frame in the audio level header extension
    /// (RFC 6464), which every audio sender negotiates: an SFU picks the room's active speaker
    /// from it (``RTPAudioLevel/init(pcm:voiceActivity:speechThreshold:)`` measures it from the
    /// PCM the app encoded). Without it the frame's packets carry no level (not silence).
    public func write(_ frame: ByteBuffer, isKeyFrame: Bool, captureTime: NIODeadline = .now(), audioLevel: RTPAudioLevel? = nil) {
        let senders: [RTPSender] = state.withLockedValue { s in
            guard !s.ended, !carriesRTP else { return [] }
            s.framesWritten += 1
            return Array(s.senders.values)
        }
        for sender in senders { sender.deliver(frame, isKeyFrame: isKeyFrame, captureTime: captureTime, audioLevel: audioLevel) }
    }

    /// Sends one RTP packet to every connection the track is on, for a track made with
    /// ``MediaTrackSource/rtp(codec:)``: payload, marker, sequence number and timestamp go out
    /// as given — the forwarder keeps them continuous and starts video at a key frame — while
    /// each connection writes its own SSRC, payload type and header extensions, caches the
    /// packet for NACKs and reports it in sender reports. Connections whose negotiation has not
    /// settled drop it. Ignored on a track of frames.
    public func writeRTP(_ packet: RTPPacket) {
        let senders: [RTPSender] = state.withLockedValue { s in
            guard !s.ended, carriesRTP else { return [] }
            return Array(s.senders.values)
        }
        for sender in senders { sender.deliver(packet) }
    }

    /// Ends the track: its source stops, senders send nothing more (the peer's track goes quiet).
    public func stop() {
        state.withLockedValue { s in s.ended = true }
        keyFrameSink.finish()
    }

    // MARK: Senders

    func attach(_ sender: RTPSender) {
        state.withLockedValue { s in s.senders[ObjectIdentifier(sender)] = sender }
        requestKeyFrame()
    }

    func detach(_ sender: RTPSender) {
        state.withLockedValue { s in s.senders[ObjectIdentifier(sender)] = nil }
    }

    func requestKeyFrame() { keyFrameSink.yield(()) }

    /// A sender of this track can reach its peer: a file starts playing (once; connections
    /// that come later join it where it is).
    func senderCanSend() {
        guard !isEnded else { return }
        player?.start()
    }

    func finishedSource() { state.withLockedValue { $0.ended = true } }
}

/// Where a local track's encoded frames come from.
public struct MediaTrackSource: Sendable {
    enum Storage: Sendable {
        case frames(RTPCodec)
        case rtp(RTPCodec)
        case file(path: String, loop: Bool, frameRate: Double?)
    }
    let storage: Storage

    /// Frames the app writes with ``LocalMediaTrack/write(_:isKeyFrame:captureTime:)``, in `codec`.
    public static func frames(codec: RTPCodec) -> MediaTrackSource { MediaTrackSource(storage: .frames(codec)) }

    /// RTP packets of `codec` the app writes with ``LocalMediaTrack/writeRTP(_:)`` — what a
    /// forwarder (an SFU) sends: sequence numbers and timestamps are the app's, SSRC, payload type
    /// and header extensions each connection's. Key-frame requests from peers arrive on
    /// ``LocalMediaTrack/keyFrameRequests`` as for frames.
    public static func rtp(codec: RTPCodec) -> MediaTrackSource { MediaTrackSource(storage: .rtp(codec)) }

    /// A media file played in real time: IVF (VP8, VP9, AV1), Ogg/Opus, WebM (VP8/VP9/AV1 +
    /// Opus; the track takes the file's track of its kind) or an H.264 Annex B stream, which
    /// carries no timestamps and is timed by `frameRate` (30 when nil). With `loop` it starts
    /// over after its end and never ends by itself. The file is read and checked when the
    /// track is created; playback starts when the first connection the track is on can send
    /// (negotiated and connected), so that peer gets the file from its beginning.
    public static func file(_ path: String, loop: Bool = false, frameRate: Double? = nil) -> MediaTrackSource {
        MediaTrackSource(storage: .file(path: path, loop: loop, frameRate: frameRate))
    }
}
