import NIOConcurrencyHelpers
import NIOCore
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
        var pacer: Task<Void, Never>?
    }
    private let state = NIOLockedValueBox(State())
    private let keyFrameSink: AsyncStream<Void>.Continuation
    private let source: MediaTrackSource

    init(id: String, codec: RTPCodec, source: MediaTrackSource) {
        self.id = id
        self.kind = codec.kind
        self.codec = codec
        self.source = source
        (keyFrameRequests, keyFrameSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// `LocalMediaTrack(video, VP8, id …)`.
    public var description: String { "LocalMediaTrack(\(kind.rawValue), \(codec), id \(id))" }

    /// Whether ``stop()`` was called or the file ended without looping.
    public var isEnded: Bool { state.withLockedValue { $0.ended } }

    /// Sends one encoded frame to every connection the track is on. `captureTime` stamps its
    /// RTP timestamp (on the codec's clock); give frames their real spacing. Connections whose
    /// negotiation has not settled yet drop it.
    public func write(_ frame: ByteBuffer, isKeyFrame: Bool, captureTime: NIODeadline = .now()) {
        let senders: [RTPSender] = state.withLockedValue { s in
            guard !s.ended else { return [] }
            s.framesWritten += 1
            return Array(s.senders.values)
        }
        for sender in senders { sender.deliver(frame, isKeyFrame: isKeyFrame, captureTime: captureTime) }
    }

    /// Ends the track: its source stops, senders send nothing more (the peer's track goes quiet).
    public func stop() {
        let pacer: Task<Void, Never>? = state.withLockedValue { s in
            s.ended = true
            defer { s.pacer = nil }
            return s.pacer
        }
        pacer?.cancel()
        keyFrameSink.finish()
    }

    // MARK: Senders

    func attach(_ sender: RTPSender) {
        let start: Bool = state.withLockedValue { s in
            s.senders[ObjectIdentifier(sender)] = sender
            return s.pacer == nil && !s.ended
        }
        if start { startPacing() }
        requestKeyFrame()
    }

    func detach(_ sender: RTPSender) {
        state.withLockedValue { s in s.senders[ObjectIdentifier(sender)] = nil }
    }

    func requestKeyFrame() { keyFrameSink.yield(()) }

    private func startPacing() {
        // File sources are paced by MediaFilePacer (added with the file readers).
    }

    func finishedSource() { state.withLockedValue { $0.ended = true } }
}

/// Where a local track's encoded frames come from.
public struct MediaTrackSource: Sendable {
    enum Storage: Sendable {
        case frames(RTPCodec)
        case file(path: String, loop: Bool, frameRate: Double?)
    }
    let storage: Storage

    /// Frames the app writes with ``LocalMediaTrack/write(_:isKeyFrame:captureTime:)``, in `codec`.
    public static func frames(codec: RTPCodec) -> MediaTrackSource { MediaTrackSource(storage: .frames(codec)) }
}
