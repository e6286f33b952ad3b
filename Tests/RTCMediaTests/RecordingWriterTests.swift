import Foundation
import NIOCore
import RTCMedia
import RTCRTP
import RTCTestSupport
import Testing

/// `RecordingWriter`: frames as a receiver gets them (RTP timestamps, arrival times) into
/// WebM, IVF, Ogg and Annex B files that ffmpeg decodes with the counts that went in.
@Suite struct RecordingWriterTests {
    /// Samples of a file ffmpeg made, as a receiver would get them: RTP timestamps on the
    /// codec clock starting at `rtpStart`, arriving in real spacing from `arrivalStart`.
    struct Received {
        var kind: RTPCodec.Kind
        var codec: RTPCodec
        var data: ByteBuffer
        var key: Bool
        var rtp: UInt32
        var arrival: NIODeadline
    }

    static func received(_ path: String, rtpStart: UInt32 = 0, arrivalStart: NIODeadline = .uptimeNanoseconds(1_000_000_000)) throws -> [Received] {
        var source = try MediaFileSource(path: path)
        var frames: [Received] = []
        while let sample = source.nextSample() {
            let ticks = sample.timestamp.nanoseconds * Int64(sample.codec.clockRate) / 1_000_000_000
            frames.append(Received(kind: sample.kind, codec: sample.codec, data: sample.data, key: sample.isKeyFrame,
                                   rtp: rtpStart &+ UInt32(truncatingIfNeeded: ticks), arrival: arrivalStart + sample.timestamp))
        }
        return frames
    }

    static func record(_ frames: [Received], to path: String, container: RecordingWriter.Container,
                       video: Bool, audio: Bool) throws -> RecordingWriter {
        var writer = try RecordingWriter(container: container, video: video, audio: audio)
        let sink = try MediaFileSink(path: path)
        var buffer = ByteBuffer()
        for frame in frames {
            try writer.write(kind: frame.kind, codec: frame.codec, frame: frame.data, isKeyFrame: frame.key,
                             rtpTimestamp: frame.rtp, arrival: frame.arrival, into: &buffer)
            try sink.write(&buffer)
        }
        try sink.apply(try writer.finish(into: &buffer), after: &buffer)
        try sink.close()
        return writer
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recording-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func containersAreChosenByExtension() {
        #expect(RecordingWriter.Container(path: "a/b.webm") == .webm)
        #expect(RecordingWriter.Container(path: "x.MKV") == .webm)
        #expect(RecordingWriter.Container(path: "x.ivf") == .ivf)
        #expect(RecordingWriter.Container(path: "x.opus") == .ogg)
        #expect(RecordingWriter.Container(path: "x.264") == .annexB)
        #expect(RecordingWriter.Container(path: "x.mp4") == nil)
        #expect(RecordingWriter.Container(path: "dir.webm/file") == nil)
    }

    @Test func aContainerRefusesKindsAndCodecsItCannotHold() throws {
        #expect(throws: RecordingError.unsupportedKind(.video, .ogg)) { try RecordingWriter(container: .ogg, video: true, audio: false) }
        #expect(throws: RecordingError.unsupportedKind(.audio, .ivf)) { try RecordingWriter(container: .ivf, video: false, audio: true) }
        var writer = try RecordingWriter(container: .webm, video: true, audio: true)
        var buffer = ByteBuffer()
        #expect(throws: RecordingError.unsupportedCodec(.h264, .webm)) {
            try writer.write(kind: .video, codec: .h264, frame: ByteBuffer(bytes: [0, 0, 0, 1, 0x65]), isKeyFrame: true,
                             rtpTimestamp: 0, arrival: .now(), into: &buffer)
        }
        #expect(throws: RecordingError.writer(.emptyFrame)) {
            try writer.write(kind: .audio, codec: .opus, frame: ByteBuffer(), isKeyFrame: true, rtpTimestamp: 0, arrival: .now(), into: &buffer)
        }
        #expect(writer.videoFrames == 0 && writer.audioFrames == 0)
    }

    /// Audio first (held until the video codec is known), then video from its arrival time
    /// on: both streams decode, every frame is there, and the RTP clock wrapping past 2³²
    /// does not disturb the timing.
    @Test func aWebMOfAudioAndVideoDecodesWithEveryFrame() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try await MediaTestFiles.make("in.webm", in: dir, MediaTestFiles.testPattern + MediaTestFiles.tone + MediaTestFiles.vp8 + MediaTestFiles.opus)
        var frames = try Self.received(input, rtpStart: UInt32.max - 45_000)
        // The video starts 300 ms late, as it does when the key frame request takes a round trip.
        frames = frames.map { f in
            var f = f
            if f.kind == .video { f.arrival = f.arrival + .milliseconds(300) }
            return f
        }.sorted { $0.arrival < $1.arrival }
        let videoCount = frames.filter { $0.kind == .video }.count
        let audioCount = frames.filter { $0.kind == .audio }.count
        let output = dir.appendingPathComponent("out.webm").path
        let writer = try Self.record(frames, to: output, container: .webm, video: true, audio: true)
        #expect(writer.videoFrames == videoCount && writer.audioFrames == audioCount)
        let decode = try await FFmpegTool.decode(output)
        #expect(decode.status == 0 && decode.standardError.isEmpty, "\(decode.standardError)")
        #expect(try await FFmpegTool.probe(output, stream: "v:0").frames == videoCount)
        #expect(try await FFmpegTool.probe(output, stream: "a:0").packets == audioCount)
        let seconds = try await FFmpegTool.formatDuration(output)
        #expect(seconds > 2.1 && seconds < 2.5, "2 s of media starting 0.3 s in: \(seconds)")
    }

    /// A camera's first frames can carry one RTP time (or times under a millisecond apart):
    /// every frame is kept and the file's times still increase, so ffmpeg remuxes it silently.
    @Test(arguments: [RecordingWriter.Container.webm, .ivf])
    func videoFramesSharingAnRTPTimeAreKeptInIncreasingOrder(container: RecordingWriter.Container) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try await MediaTestFiles.make("in.webm", in: dir, MediaTestFiles.testPattern + MediaTestFiles.vp8)
        var frames = try Self.received(input).filter { $0.kind == .video }
        // Frames 1 and 2 share frame 0's RTP time; frame 3 is 36 ticks (0.4 ms) after them.
        for index in 1...2 { frames[index].rtp = frames[0].rtp }
        frames[3].rtp = frames[0].rtp &+ 36
        let output = dir.appendingPathComponent("out.\(container == .webm ? "webm" : "ivf")").path
        let writer = try Self.record(frames, to: output, container: container, video: true, audio: false)
        #expect(writer.videoFrames == frames.count)
        #expect(writer.retimedVideoFrames == 3)
        let decode = try await FFmpegTool.decode(output)
        #expect(decode.status == 0 && decode.standardError.isEmpty, "\(decode.standardError)")
        #expect(try await FFmpegTool.probe(output, stream: "v:0").frames == frames.count)
        let times = try await FFmpegTool.packetTimes(output, stream: "v:0")
        #expect(times.count == frames.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "packet times must increase: \(times.prefix(6))")
    }

    /// The video track ends before any frame came: the held audio becomes an audio-only file.
    @Test func aWebMWhoseVideoNeverCameHoldsTheAudio() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try await MediaTestFiles.make("in.ogg", in: dir, MediaTestFiles.tone + MediaTestFiles.opus)
        let frames = try Self.received(input)
        var writer = try RecordingWriter(container: .webm, video: true, audio: true)
        let output = dir.appendingPathComponent("out.webm").path
        let sink = try MediaFileSink(path: output)
        var buffer = ByteBuffer()
        for frame in frames.prefix(40) {
            #expect(try !writer.write(kind: .audio, codec: .opus, frame: frame.data, isKeyFrame: true, rtpTimestamp: frame.rtp,
                                      arrival: frame.arrival, into: &buffer), "held")
        }
        try writer.trackEnded(.video, into: &buffer)
        for frame in frames.dropFirst(40) {
            #expect(try writer.write(kind: .audio, codec: .opus, frame: frame.data, isKeyFrame: true, rtpTimestamp: frame.rtp,
                                     arrival: frame.arrival, into: &buffer))
        }
        try sink.write(&buffer)
        try sink.apply(try writer.finish(into: &buffer), after: &buffer)
        try sink.close()
        #expect(writer.audioFrames == frames.count)
        let probe = try await FFmpegTool.probe(output, stream: "a:0")
        #expect(probe.codecName == "opus" && probe.packets == frames.count)
        #expect(try await FFmpegTool.run("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "stream=index", "-of", "csv=p=0", output])
            .standardOutput.isEmpty, "no video stream")
    }

    /// A peer whose camera stays off: after ``RecordingWriter/maximumHeldAudio`` packets the
    /// recording becomes audio-only with every packet, and a late video frame is skipped.
    @Test func aWebMGivesUpOnVideoThatNeverComesWithoutLosingAudio() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try await MediaTestFiles.make("in.ogg", in: dir, ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=32"]
                                                + MediaTestFiles.opus)
        let video = try await MediaTestFiles.make("in.ivf", in: dir, MediaTestFiles.testPattern + MediaTestFiles.vp8)
        let frames = try Self.received(input)
        #expect(frames.count > RecordingWriter.maximumHeldAudio)
        var writer = try RecordingWriter(container: .webm, video: true, audio: true)
        let output = dir.appendingPathComponent("out.webm").path
        let sink = try MediaFileSink(path: output)
        var buffer = ByteBuffer()
        for frame in frames {
            try writer.write(kind: .audio, codec: .opus, frame: frame.data, isKeyFrame: true, rtpTimestamp: frame.rtp,
                             arrival: frame.arrival, into: &buffer)
        }
        let late = try #require(try Self.received(video).first)
        #expect(try !writer.write(kind: .video, codec: .vp8, frame: late.data, isKeyFrame: true, rtpTimestamp: 0,
                                  arrival: frames.last!.arrival, into: &buffer))
        try sink.write(&buffer)
        try sink.apply(try writer.finish(into: &buffer), after: &buffer)
        try sink.close()
        #expect(writer.audioFrames == frames.count && writer.videoFrames == 0 && writer.videoFramesWithoutTrack == 1)
        #expect(try await FFmpegTool.probe(output, stream: "a:0").packets == frames.count)
        let decode = try await FFmpegTool.decode(output)
        #expect(decode.status == 0 && decode.standardError.isEmpty, "\(decode.standardError)")
    }

    /// IVF (VP9 here) skips what comes before the first key frame; Ogg keeps every packet;
    /// Annex B starts at the first IDR.
    @Test(arguments: [RecordingWriter.Container.ivf, .ogg, .annexB])
    func singleTrackContainersDecode(container: RecordingWriter.Container) async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input: String
        switch container {
        case .ivf: input = try await MediaTestFiles.make("in.ivf", in: dir, MediaTestFiles.testPattern + MediaTestFiles.vp9)
        case .ogg: input = try await MediaTestFiles.make("in.ogg", in: dir, MediaTestFiles.tone + MediaTestFiles.opus)
        default: input = try await MediaTestFiles.make("in.h264", in: dir, MediaTestFiles.testPattern + ["-c:v", "libx264", "-bf", "0", "-g", "25", "-f", "h264"])
        }
        var frames = try Self.received(input)
        // A receiver joining late: the first frames are not key frames.
        let firstKey = frames.firstIndex { $0.key }!
        let skipped = container == .ogg ? 0 : 3
        if skipped > 0 {
            let early = frames[(firstKey + 1)..<(firstKey + 1 + skipped)].enumerated().map { i, f in
                var f = f
                f.rtp = frames[0].rtp &- UInt32((skipped - i) * 3_600)
                f.arrival = frames[0].arrival - .milliseconds(Int64((skipped - i) * 40))
                return f
            }
            frames = early + frames
        }
        let output = dir.appendingPathComponent("out.\(container.rawValue)").path
        let writer = try Self.record(frames, to: output, container: container, video: container != .ogg, audio: container == .ogg)
        #expect(writer.skippedVideoFrames == skipped)
        let written = container == .ogg ? writer.audioFrames : writer.videoFrames
        #expect(written == frames.count - skipped)
        let decode = try await FFmpegTool.decode(output)
        #expect(decode.status == 0 && decode.standardError.isEmpty, "\(decode.standardError)")
        let probe = try await FFmpegTool.probe(output, stream: "0")
        #expect((container == .ogg ? probe.packets : probe.frames) == written)
    }
}
