import NIOCore
import RTCRTP

/// Why a recording refused a frame or could not be written.
public enum RecordingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The container cannot hold this codec (WebM carries VP8/VP9 and Opus, IVF VP8/VP9/AV1,
    /// Ogg Opus, Annex B H.264).
    case unsupportedCodec(RTPCodec, RecordingWriter.Container)
    /// The container cannot hold this kind of track (IVF and Annex B hold video only, Ogg audio only).
    case unsupportedKind(RTPCodec.Kind, RecordingWriter.Container)
    /// The container writer refused the frame.
    case writer(MediaWriterError)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .unsupportedCodec(let codec, let container): "\(container.rawValue) cannot hold \(codec)"
        case .unsupportedKind(let kind, let container): "\(container.rawValue) holds no \(kind.rawValue) track"
        case .writer(let error): "the container writer refused a frame: \(error)"
        }
    }
}

/// Turns the frames of a received audio and/or video track into one container file — WebM
/// (VP8/VP9 + Opus in one file), IVF (VP8, VP9, AV1), Ogg/Opus or H.264 Annex B — without
/// I/O: frames in, bytes and finishing patches out (a `MediaFileSink` writes them).
///
/// Each frame carries its RTP timestamp and the time it arrived. A track's media time is the
/// arrival of its first frame (relative to the first frame of any track) plus its RTP
/// timestamp's progress on the codec clock, so each track keeps its own spacing and the two
/// start where they started in the call; time never goes backwards within a track.
///
/// WebM needs its video codec up front: audio that arrives before the first video frame is held
/// and written once it is known — or, when the video track ends without a frame or no video
/// came while ``maximumHeldAudio`` packets did (a peer with its camera off), as an audio-only
/// file, whose later video frames are skipped and counted in ``videoFramesWithoutTrack``. Video before the
/// first key frame is skipped (counted in ``skippedVideoFrames``): a decoder could not start there.
public struct RecordingWriter: Sendable {
    /// The containers a recording can be written in.
    public enum Container: String, Hashable, Sendable, CaseIterable {
        /// WebM (Matroska): VP8 or VP9 video and Opus audio in one file.
        case webm
        /// IVF: VP8, VP9 or AV1 video.
        case ivf
        /// Ogg: Opus audio.
        case ogg
        /// H.264 Annex B byte stream (video).
        case annexB = "h264"

        /// The container a file name's extension names: `.webm`/`.mkv`, `.ivf`, `.ogg`/`.opus`,
        /// `.h264`/`.264`; nil for anything else.
        public init?(path: String) {
            guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
            switch path[path.index(after: dot)...].lowercased() {
            case "webm", "mkv": self = .webm
            case "ivf": self = .ivf
            case "ogg", "opus": self = .ogg
            case "h264", "264": self = .annexB
            default: return nil
            }
        }

        /// Whether the container holds a track of `kind`.
        public func holds(_ kind: RTPCodec.Kind) -> Bool {
            switch self {
            case .webm: true
            case .ivf, .annexB: kind == .video
            case .ogg: kind == .audio
            }
        }

        /// Whether the container holds `codec`.
        public func holds(_ codec: RTPCodec) -> Bool {
            switch self {
            case .webm: [.vp8, .vp9, .opus].contains(codec)
            case .ivf: [.vp8, .vp9, .av1].contains(codec)
            case .ogg: codec == .opus
            case .annexB: codec == .h264
            }
        }
    }

    /// Audio packets held while a WebM recording waits for its first video frame (30 s of
    /// 20 ms packets, a few hundred kilobytes) before it gives up on video.
    public static let maximumHeldAudio = 1_500

    /// The container being written.
    public let container: Container
    /// Video frames written.
    public private(set) var videoFrames = 0
    /// Audio packets written.
    public private(set) var audioFrames = 0
    /// Video frames skipped before the first key frame.
    public private(set) var skippedVideoFrames = 0
    /// Video frames that came after a WebM recording had given up on video (see ``maximumHeldAudio``).
    public private(set) var videoFramesWithoutTrack = 0
    /// Video frames whose RTP time did not advance at least a millisecond past the previous
    /// frame's (a camera's first frames can be captured within one): they are kept — a decoder
    /// needs every frame — and written a millisecond after the previous one, so the file's
    /// timestamps keep increasing.
    public private(set) var retimedVideoFrames = 0
    /// Media time of the last frame written.
    public private(set) var duration: TimeAmount = .zero
    /// Whether ``finish(into:)`` was called.
    public private(set) var isFinished = false

    /// Whether the recording was created for a video track.
    private let declaresVideo: Bool
    /// Whether video is still expected (false once a WebM recording gave up on it).
    private var expectsVideo: Bool
    private let expectsAudio: Bool
    private var start: NIODeadline?
    private var clocks: [RTPCodec.Kind: TrackClock] = [:]
    private var webm: WebMWriter?
    private var ivf: IVFWriter?
    private var ogg: OggOpusWriter?
    private var annexB: AnnexBWriter?
    private var heldAudio: [(data: ByteBuffer, timestamp: TimeAmount)] = []

    /// Maps one track's RTP timestamps onto the recording's time.
    private struct TrackClock {
        let anchor: TimeAmount
        let clockRate: Int64
        var lastRTP: UInt32
        var ticks: Int64 = 0
        var last: TimeAmount
        /// The least time between two frames of the track (zero: frames may share a time).
        let minimumStep: TimeAmount
        var started = false

        /// The recording time of `rtp`, and whether it was moved forward to keep the track's
        /// times at least ``minimumStep`` apart.
        mutating func time(of rtp: UInt32) -> (time: TimeAmount, retimed: Bool) {
            let step = Int64(Int32(bitPattern: rtp &- lastRTP))
            if step > 0 {
                ticks += step
                lastRTP = rtp
            }
            let time = anchor + .nanoseconds(ticks * 1_000_000_000 / clockRate)
            guard started else {
                started = true
                last = max(last, time)
                return (last, false)
            }
            let earliest = last + minimumStep
            last = max(earliest, time)
            return (last, time < earliest)
        }
    }

    /// A writer for `container` recording a video track, an audio track or both. Throws
    /// ``RecordingError/unsupportedKind(_:_:)`` when the container cannot hold a track asked for.
    public init(container: Container, video: Bool, audio: Bool) throws(RecordingError) {
        if video, !container.holds(.video) { throw .unsupportedKind(.video, container) }
        if audio, !container.holds(.audio) { throw .unsupportedKind(.audio, container) }
        guard video || audio else { throw .writer(.invalidParameter("a recording needs a video or an audio track")) }
        self.container = container
        declaresVideo = video
        expectsVideo = video
        expectsAudio = audio
        if container == .ogg { ogg = try Self.checked { try OggOpusWriter(serialNumber: 0x5357_5254) } }
        if container == .annexB { annexB = AnnexBWriter(waitsForKeyFrame: true) }
    }

    /// Records one frame of the track of `kind`: its codec, bytes, key-frame flag, RTP
    /// timestamp and arrival time. Returns whether the frame is in the file (false when skipped
    /// before a key frame, or held until the WebM video codec is known).
    @discardableResult
    public mutating func write(kind: RTPCodec.Kind, codec: RTPCodec, frame: ByteBuffer, isKeyFrame: Bool,
                               rtpTimestamp: UInt32, arrival: NIODeadline, into buffer: inout ByteBuffer) throws(RecordingError) -> Bool {
        guard !isFinished else { throw .writer(.finished) }
        guard container.holds(kind), kind == .video ? declaresVideo : expectsAudio else { throw .unsupportedKind(kind, container) }
        guard codec.kind == kind, container.holds(codec) else { throw .unsupportedCodec(codec, container) }
        guard frame.readableBytes > 0 else { throw .writer(.emptyFrame) }
        let timestamp = time(of: kind, codec: codec, rtp: rtpTimestamp, arrival: arrival)
        let written: Bool
        switch container {
        case .webm: written = try writeWebM(kind: kind, codec: codec, frame: frame, isKeyFrame: isKeyFrame, timestamp: timestamp, into: &buffer)
        case .ivf: written = try writeIVF(codec: codec, frame: frame, isKeyFrame: isKeyFrame, timestamp: timestamp, into: &buffer)
        case .ogg:
            try Self.checked { try ogg!.write(packet: frame, into: &buffer) }
            written = true
        case .annexB:
            written = try Self.checked { try annexB!.write(accessUnit: frame, into: &buffer) }
            if !written { skippedVideoFrames += 1 }
        }
        if written {
            if kind == .video { videoFrames += 1 } else { audioFrames += 1 }
            duration = max(duration, timestamp)
        }
        return written
    }

    /// The track of `kind` ended. A WebM recording still waiting for a video frame gives up on
    /// video and writes the audio it held.
    public mutating func trackEnded(_ kind: RTPCodec.Kind, into buffer: inout ByteBuffer) throws(RecordingError) {
        guard kind == .video, container == .webm, webm == nil, expectsVideo, !isFinished else { return }
        expectsVideo = false
        if expectsAudio, !heldAudio.isEmpty { try openWebM(videoCodec: nil, into: &buffer) }
    }

    /// Ends the file: writes what is still held and the container's end, and returns the
    /// patches (sizes, durations, frame counts) to apply at absolute offsets.
    public mutating func finish(into buffer: inout ByteBuffer) throws(RecordingError) -> [MediaFilePatch] {
        guard !isFinished else { throw .writer(.finished) }
        defer { isFinished = true }
        switch container {
        case .webm:
            if webm == nil {
                // No video frame came: an audio-only file (or, with nothing at all, an empty one).
                if expectsAudio { expectsVideo = false }
                try openWebM(videoCodec: expectsVideo ? .vp8 : nil, into: &buffer)
            }
            return try Self.checked { try webm!.finish(into: &buffer) }
        case .ivf:
            if ivf == nil { ivf = IVFWriter(codec: .vp8, width: 0, height: 0) }
            return try Self.checked { try ivf!.finish(into: &buffer) }
        case .ogg: return try Self.checked { try ogg!.finish(into: &buffer) }
        case .annexB: return try Self.checked { try annexB!.finish(into: &buffer) }
        }
    }

    // MARK: Time

    private mutating func time(of kind: RTPCodec.Kind, codec: RTPCodec, rtp: UInt32, arrival: NIODeadline) -> TimeAmount {
        let start = self.start ?? arrival
        self.start = start
        if clocks[kind] == nil {
            let anchor = max(arrival - start, .zero)
            // Containers keep video in milliseconds (WebM) or 90 kHz ticks (IVF): a video frame
            // must land at least a millisecond after the one before, or muxers see a repeat.
            clocks[kind] = TrackClock(anchor: anchor, clockRate: Int64(codec.clockRate), lastRTP: rtp, last: anchor,
                                      minimumStep: kind == .video ? .milliseconds(1) : .zero)
        }
        let (time, retimed) = clocks[kind]!.time(of: rtp)
        if retimed { retimedVideoFrames += 1 }
        return time
    }

    // MARK: Containers

    private mutating func writeWebM(kind: RTPCodec.Kind, codec: RTPCodec, frame: ByteBuffer, isKeyFrame: Bool,
                                    timestamp: TimeAmount, into buffer: inout ByteBuffer) throws(RecordingError) -> Bool {
        if kind == .audio {
            guard webm != nil else {
                if expectsVideo, heldAudio.count < Self.maximumHeldAudio {
                    heldAudio.append((frame, timestamp))
                    return false
                }
                expectsVideo = false
                try openWebM(videoCodec: nil, into: &buffer)
                return try writeAudio(frame, timestamp, into: &buffer)
            }
            return try writeAudio(frame, timestamp, into: &buffer)
        }
        if webm == nil, expectsVideo { try openWebM(videoCodec: codec == .vp9 ? .vp9 : .vp8, into: &buffer) }
        guard webm?.video != nil else {
            videoFramesWithoutTrack += 1
            return false
        }
        guard webm?.video?.codec.rawValue == codec.rawValue else { throw .unsupportedCodec(codec, .webm) }
        let written = try Self.checked { try webm!.write(videoFrame: frame, isKeyFrame: isKeyFrame, timestamp: timestamp, into: &buffer) }
        if !written { skippedVideoFrames += 1 }
        return written
    }

    private mutating func writeAudio(_ frame: ByteBuffer, _ timestamp: TimeAmount, into buffer: inout ByteBuffer) throws(RecordingError) -> Bool {
        try Self.checked { try webm!.write(audioPacket: frame, timestamp: timestamp, into: &buffer) }
        return true
    }

    /// Creates the WebM writer and writes the audio held until now.
    private mutating func openWebM(videoCodec: WebMWriter.VideoCodec?, into buffer: inout ByteBuffer) throws(RecordingError) {
        let audio = expectsAudio
        webm = try Self.checked { try WebMWriter(video: videoCodec.map { .init(codec: $0) }, audio: audio ? .init() : nil) }
        let held = heldAudio
        heldAudio.removeAll()
        for packet in held {
            try Self.checked { try webm!.write(audioPacket: packet.data, timestamp: packet.timestamp, into: &buffer) }
            audioFrames += 1
        }
    }

    private mutating func writeIVF(codec: RTPCodec, frame: ByteBuffer, isKeyFrame: Bool, timestamp: TimeAmount,
                                   into buffer: inout ByteBuffer) throws(RecordingError) -> Bool {
        if ivf == nil {
            guard isKeyFrame else {
                skippedVideoFrames += 1
                return false
            }
            let size: (width: Int, height: Int)? = switch codec {
            case .vp8: WebMWriter.pictureSize(of: frame, codec: .vp8)
            case .vp9: WebMWriter.pictureSize(of: frame, codec: .vp9)
            default: nil
            }
            let ivfCodec: IVFWriter.Codec = codec == .vp9 ? .vp9 : codec == .av1 ? .av1 : .vp8
            ivf = IVFWriter(codec: ivfCodec, width: UInt16(clamping: size?.width ?? 0), height: UInt16(clamping: size?.height ?? 0))
        }
        let ticks = UInt64(timestamp.nanoseconds) * 90_000 / 1_000_000_000
        try Self.checked { try ivf!.write(frame: frame, timestamp: ticks, into: &buffer) }
        return true
    }

    /// Runs a writer call, wrapping its error.
    private static func checked<T>(_ body: () throws -> T) throws(RecordingError) -> T {
        do {
            return try body()
        } catch let error as MediaWriterError {
            throw .writer(error)
        } catch {
            throw .writer(.invalidParameter("\(error)"))  // the writers throw nothing else
        }
    }
}
