import NIOCore
import RTCRTP

/// Something that hands out media samples in presentation order: a ``MediaFileSource``, or
/// any other sequence a ``MediaPacer`` can pace.
public protocol MediaSampleSource {
    /// The next sample, or nil when there is none (for now or for good).
    mutating func nextSample() -> MediaSample?
}

/// What one track of a media file holds.
public struct MediaTrackDescription: Hashable, Sendable {
    /// Audio or video.
    public var kind: RTPCodec.Kind
    /// The codec.
    public var codec: RTPCodec
    /// Picture width in pixels, when the container says.
    public var width: Int?
    /// Picture height in pixels, when the container says.
    public var height: Int?

    /// Creates a description.
    public init(kind: RTPCodec.Kind, codec: RTPCodec, width: Int? = nil, height: Int? = nil) {
        self.kind = kind
        self.codec = codec
        self.width = width
        self.height = height
    }
}

/// Encoded samples from a media file: IVF (VP8, VP9, AV1), Ogg/Opus, WebM (VP8/VP9/AV1 +
/// Opus) or an H.264 Annex B stream (at a frame rate you give), told apart by their magic bytes.
///
/// The whole file is read and indexed when the source is created, so every problem — not a
/// media file, empty, truncated, damaged, an unsupported codec, no track of the kind asked
/// for — is a ``MediaSourceError`` naming the path, before anything is sent. Samples are
/// views into the file's one buffer. They come in presentation order across tracks (each
/// track keeps its file order; a timestamp that goes backwards in a damaged file is raised to
/// the one before it), timed from 0 at the file's first sample, each with a duration
/// (the container's, the Opus packet's TOC, or the gap to the track's next frame). With
/// ``loops`` the source starts over after the last sample, adding the file's ``duration`` to
/// the timestamps so time keeps growing.
///
/// Sans-IO after creation: pair it with a ``MediaPacer`` to release samples in real time.
public struct MediaFileSource: MediaSampleSource, Sendable {
    /// The path the file was read from (or the name given with in-memory contents).
    public let path: String
    /// The container.
    public let format: MediaContainerFormat
    /// The tracks the source yields (at most one audio and one video track).
    public let tracks: [MediaTrackDescription]
    /// The length of one pass: the end of the last sample.
    public let duration: TimeAmount
    /// Whether the source starts over after the last sample.
    public let loops: Bool
    /// The samples of one pass, in order.
    public let samples: [MediaSample]
    /// Completed passes (0 during the first).
    public private(set) var loopCount = 0
    private var nextIndex = 0

    /// Reads the file at `path`. `kinds` chooses the tracks, nil for all the file has (a kind
    /// asked for that the file lacks throws ``MediaSourceError/Problem/missingTrack(_:)``);
    /// `h264FramesPerSecond` times Annex B streams, which carry no timestamps.
    public init(path: String, kinds: Set<RTPCodec.Kind>? = nil, loops: Bool = false,
                h264FramesPerSecond: Double = 30) throws(MediaSourceError) {
        try self.init(contents: MediaFileContents.read(path: path), name: path, kinds: kinds, loops: loops,
                      h264FramesPerSecond: h264FramesPerSecond)
    }

    /// Indexes a file already in memory; `name` stands for its path in errors.
    public init(contents: ByteBuffer, name: String, kinds: Set<RTPCodec.Kind>? = nil, loops: Bool = false,
                h264FramesPerSecond: Double = 30) throws(MediaSourceError) {
        func failure(_ problem: MediaSourceError.Problem) -> MediaSourceError { MediaSourceError(path: name, problem: problem) }
        guard contents.readableBytes > 0 else { throw failure(.empty) }
        guard kinds?.isEmpty != true else { throw failure(.invalidParameter("no track kind asked for")) }
        guard h264FramesPerSecond > 0, h264FramesPerSecond <= 1_000 else {
            throw failure(.invalidParameter("H.264 frame rate \(h264FramesPerSecond) (above 0, at most 1000 frames per second)"))
        }
        guard let format = MediaContainerFormat.detect(contents.readableBytesView) else { throw failure(.unrecognizedFormat) }
        let parsed: ParsedFile
        do {
            parsed = try Self.parse(contents, format: format, kinds: kinds ?? [.audio, .video], h264FramesPerSecond: h264FramesPerSecond)
        } catch {
            if case .unsupportedCodec(let codec) = error { throw failure(.unsupportedCodec(codec)) }
            throw failure(.malformed(format, error))
        }
        for kind in [RTPCodec.Kind.audio, .video] where kinds?.contains(kind) == true && !parsed.tracks.contains(where: { $0.kind == kind }) {
            throw failure(.missingTrack(kind))
        }
        var perTrack = parsed.samples.map { Self.withDurations(Self.monotonic(Self.withoutEmpty($0))) }
        guard perTrack.contains(where: { !$0.isEmpty }) else { throw failure(.noFrames) }
        // Time from 0 at the first sample of any track.
        let origin = perTrack.compactMap { $0.first?.timestamp }.min() ?? .zero
        for track in perTrack.indices {
            for index in perTrack[track].indices { perTrack[track][index].timestamp = perTrack[track][index].timestamp - origin }
        }
        path = name
        self.format = format
        tracks = parsed.tracks
        self.loops = loops
        samples = Self.merge(perTrack)
        duration = samples.map { $0.timestamp + ($0.duration ?? .zero) }.max() ?? .zero
    }

    /// The next sample; nil after the last one unless the source ``loops``.
    public mutating func nextSample() -> MediaSample? {
        if nextIndex == samples.count {
            guard loops, !samples.isEmpty else { return nil }
            nextIndex = 0
            loopCount += 1
        }
        var sample = samples[nextIndex]
        nextIndex += 1
        // A file shorter than a millisecond still moves time forward when it loops.
        let passLength = max(duration, .milliseconds(1))
        sample.timestamp = sample.timestamp + TimeAmount.nanoseconds(passLength.nanoseconds * Int64(loopCount))
        return sample
    }

    /// Starts again from the first sample at time 0.
    public mutating func rewind() {
        nextIndex = 0
        loopCount = 0
    }

    /// The tracks and, per track, the samples (in file order) the container gave.
    struct ParsedFile {
        var tracks: [MediaTrackDescription]
        var samples: [[MediaSample]]
    }

    static func withoutEmpty(_ samples: [MediaSample]) -> [MediaSample] {
        samples.filter { $0.data.readableBytes > 0 }
    }

    /// A damaged file's timestamps may go backwards: each sample is kept in file (decoding)
    /// order and gets at least the timestamp of the one before it.
    static func monotonic(_ samples: [MediaSample]) -> [MediaSample] {
        var samples = samples
        for index in samples.indices.dropFirst() where samples[index].timestamp < samples[index - 1].timestamp {
            samples[index].timestamp = samples[index - 1].timestamp
        }
        return samples
    }

    /// Fills missing durations with the gap to the track's next sample (the last one gets the
    /// gap before it).
    static func withDurations(_ samples: [MediaSample]) -> [MediaSample] {
        var samples = samples
        for index in samples.indices.reversed() where samples[index].duration == nil {
            if index + 1 < samples.count {
                let gap = samples[index + 1].timestamp - samples[index].timestamp
                samples[index].duration = max(gap, .zero)
            } else if index > 0 {
                samples[index].duration = max(samples[index].timestamp - samples[index - 1].timestamp, .zero)
            }
        }
        return samples
    }

    /// Interleaves tracks by timestamp, keeping each track's own order (ties: earlier track first).
    static func merge(_ tracks: [[MediaSample]]) -> [MediaSample] {
        var heads = Array(repeating: 0, count: tracks.count)
        var merged: [MediaSample] = []
        merged.reserveCapacity(tracks.reduce(0) { $0 + $1.count })
        while true {
            var best: Int?
            for track in tracks.indices where heads[track] < tracks[track].count {
                if let current = best, tracks[current][heads[current]].timestamp <= tracks[track][heads[track]].timestamp { continue }
                best = track
            }
            guard let track = best else { return merged }
            merged.append(tracks[track][heads[track]])
            heads[track] += 1
        }
    }
}
