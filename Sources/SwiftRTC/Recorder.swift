import Logging
import NIOConcurrencyHelpers
import NIOCore
import RTCMedia

/// Records a remote audio and/or video track to a file: WebM (VP8/VP9 video and Opus audio
/// in one file, with durations and cues), IVF (VP8, VP9, AV1), Ogg/Opus or H.264 Annex B —
/// chosen by the path's extension (`.webm`/`.mkv`, `.ivf`, `.ogg`/`.opus`, `.h264`/`.264`).
///
/// ``run()`` reads the tracks until both end — the peer stopped sending them or removed them,
/// or the connection closed — and then finishes the file so it is complete and seekable; a
/// call to ``stop()`` (e.g. from a SIGINT handler) finishes it at once the same way. The
/// recorder asks for a key frame when it starts, so the video begins without waiting for the
/// sender's next one.
///
/// ```swift
/// let recorder = try Recorder(path: "call.webm", video: videoTrack, audio: audioTrack)
/// let summary = try await recorder.run()
/// print(summary.videoFrames, summary.bytesWritten)
/// ```
public final class Recorder: Sendable {
    /// What a recording holds so far.
    public struct Progress: Hashable, Sendable, CustomStringConvertible {
        /// Video frames in the file.
        public var videoFrames = 0
        /// Audio packets in the file.
        public var audioFrames = 0
        /// Bytes written to the file.
        public var bytesWritten = 0
        /// Media time covered (the last frame's time since the first).
        public var duration: TimeAmount = .zero
        /// Video frames skipped before the first key frame.
        public var skippedVideoFrames = 0

        /// Average bits per second over ``duration`` (0 before a frame's time has passed).
        public var bitrate: Double {
            duration > .zero ? Double(bytesWritten * 8) / (Double(duration.nanoseconds) / 1e9) : 0
        }

        /// `video 300 frames, audio 500 frames, 1.2 MB, 10.0 s, 960 kbit/s`.
        public var description: String {
            let seconds = Double(duration.nanoseconds) / 1e9
            return "video \(videoFrames) frames, audio \(audioFrames) frames, \(Self.bytes(bytesWritten)), "
                + "\((seconds * 10).rounded() / 10) s, \(Int((bitrate / 1000).rounded())) kbit/s"
        }

        private static func bytes(_ count: Int) -> String {
            count >= 1_000_000 ? "\((Double(count) / 100_000).rounded() / 10) MB" : "\((Double(count) / 100).rounded() / 10) kB"
        }
    }

    /// The file being written.
    public let path: String
    /// The container written.
    public let container: RecordingWriter.Container
    /// The video track recorded, if any.
    public let video: RemoteTrack?
    /// The audio track recorded, if any.
    public let audio: RemoteTrack?

    /// Touched only under the lock (the sink and the error are not `Sendable` themselves).
    private struct State: @unchecked Sendable {
        var writer: RecordingWriter
        var sink: MediaFileSink?
        var buffer = ByteBuffer()
        var progress = Progress()
        var failure: (any Error)?
        var readers: [Task<Void, Never>] = []
        var stopped = false
    }
    private let state: NIOLockedValueBox<State>
    private let logger: Logger

    /// Creates the file at `path` (replacing one that is there) for `video` and/or `audio`.
    ///
    /// - Throws: `WebRTCError.invalidTrack` when no track is given, the extension names no
    ///   container, or the container cannot hold a track's kind (IVF and Annex B hold video,
    ///   Ogg audio); `MediaFileError` when the file cannot be created.
    public init(path: String, video: RemoteTrack? = nil, audio: RemoteTrack? = nil,
                logger: Logger = Logger(label: "swiftrtc.recorder")) throws {
        guard video != nil || audio != nil else { throw WebRTCError.invalidTrack("a recording needs a video or an audio track") }
        if let video, video.kind != .video { throw WebRTCError.invalidTrack("\(video) is not a video track") }
        if let audio, audio.kind != .audio { throw WebRTCError.invalidTrack("\(audio) is not an audio track") }
        guard let container = RecordingWriter.Container(path: path) else {
            throw WebRTCError.invalidTrack("\(path): the extension names no container (.webm, .mkv, .ivf, .ogg, .opus, .h264)")
        }
        let writer: RecordingWriter
        do {
            writer = try RecordingWriter(container: container, video: video != nil, audio: audio != nil)
        } catch {
            throw WebRTCError.invalidTrack("\(path): \(error)")
        }
        self.path = path
        self.container = container
        self.video = video
        self.audio = audio
        self.logger = logger
        state = NIOLockedValueBox(State(writer: writer, sink: try MediaFileSink(path: path)))
    }

    /// What is in the file so far.
    public var progress: Progress { state.withLockedValue { $0.progress } }

    /// Records until both tracks end or ``stop()`` is called, then finishes and closes the
    /// file. Returns what the file holds; throws the first error that stopped the recording
    /// (a codec the container cannot hold, a failed write) after closing the file as far as
    /// it got.
    @discardableResult
    public func run() async throws -> Progress {
        await video?.requestKeyFrame()
        let tracks = [video, audio].compactMap { $0 }
        let readers = tracks.map { track in Task { await self.read(track) } }
        let alreadyStopped = state.withLockedValue { s in
            s.readers = readers
            return s.stopped
        }
        if alreadyStopped { for reader in readers { reader.cancel() } }
        for reader in readers { await reader.value }
        return try finish()
    }

    /// Finishes the file now: the readers stop, and ``run()`` returns once the file is closed.
    public func stop() {
        let readers: [Task<Void, Never>] = state.withLockedValue { s in
            s.stopped = true
            return s.readers
        }
        for reader in readers { reader.cancel() }
    }

    private func read(_ track: RemoteTrack) async {
        do {
            for try await frame in track {
                try record(frame, kind: track.kind)
            }
        } catch is CancellationError {
        } catch {
            logger.error("recording stopped", metadata: ["path": "\(path)", "track": "\(track)", "reason": "\(error)"])
            state.withLockedValue { s in if s.failure == nil { s.failure = error } }
            stop()
        }
        state.withLockedValue { s in
            guard s.failure == nil, !s.writer.isFinished else { return }
            do {
                try s.writer.trackEnded(track.kind, into: &s.buffer)
                try s.sink?.write(&s.buffer)
            } catch {
                s.failure = error
            }
        }
    }

    private func record(_ frame: ReceivedMediaFrame, kind: RTPCodec.Kind) throws {
        try state.withLockedValue { s in
            guard !s.stopped, !s.writer.isFinished, let sink = s.sink else { return }
            try s.writer.write(kind: kind, codec: frame.codec, frame: frame.frame.data, isKeyFrame: frame.frame.isKeyFrame,
                               rtpTimestamp: frame.frame.rtpTimestamp, arrival: frame.frame.completedAt, into: &s.buffer)
            try sink.write(&s.buffer)
            s.progress.videoFrames = s.writer.videoFrames
            s.progress.audioFrames = s.writer.audioFrames
            s.progress.skippedVideoFrames = s.writer.skippedVideoFrames
            s.progress.duration = s.writer.duration
            s.progress.bytesWritten = sink.bytesWritten
        }
    }

    private func finish() throws -> Progress {
        try state.withLockedValue { s in
            guard let sink = s.sink else { return s.progress }
            s.sink = nil
            var closeError: (any Error)?
            do {
                let patches = try s.writer.finish(into: &s.buffer)
                try sink.apply(patches, after: &s.buffer)
            } catch {
                closeError = error
            }
            do { try sink.close() } catch { closeError = closeError ?? error }
            s.progress.videoFrames = s.writer.videoFrames
            s.progress.audioFrames = s.writer.audioFrames
            s.progress.bytesWritten = sink.bytesWritten
            s.progress.duration = s.writer.duration
            if let failure = s.failure ?? closeError { throw failure }
            logger.info("recording finished", metadata: ["path": "\(path)", "progress": "\(s.progress)"])
            return s.progress
        }
    }
}
