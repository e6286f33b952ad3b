import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import RTCRTP

/// Media files the tests make with Debian's ffmpeg (libvpx, libvpx-vp9, libopus, libx264)
/// from its synthetic sources, and what ffprobe says about any stream of a file.
enum MediaTestFiles {
    /// Runs `ffmpeg -nostdin -v error -y ARGUMENTS… OUTPUT` and returns OUTPUT's path; a
    /// failure (or a missing ffmpeg) throws.
    static func make(_ name: String, in directory: URL, _ arguments: [String]) async throws -> String {
        let path = directory.appendingPathComponent(name).path
        do {
            try await FFmpegTool.make(arguments + [path])
        } catch let error as PeerProcessError {
            throw FixtureError("ffmpeg making \(name) failed: \(error.output)")
        }
        return path
    }

    /// 2 s of ffmpeg's test pattern at 160×120, 25 frames per second.
    static let testPattern = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2"]
    /// 2 s of a 440 Hz tone at 48 kHz.
    static let tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2"]
    /// libvpx VP8 at a bitrate that keeps the files small, a key frame every 25 frames.
    static let vp8 = ["-c:v", "libvpx", "-b:v", "200k", "-g", "25"]
    /// libvpx-vp9, fast.
    static let vp9 = ["-c:v", "libvpx-vp9", "-b:v", "200k", "-g", "25", "-deadline", "realtime", "-cpu-used", "8"]
    /// libopus stereo, 20 ms packets.
    static let opus = ["-c:a", "libopus", "-ac", "2", "-b:a", "64k"]

    /// Loads a file into a buffer.
    static func contents(_ path: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The Chromium fixtures (Fixtures/, FIXTURES.md) as frames timed from each stream's first RTP
/// timestamp.
enum FixtureFrames {
    struct Timed {
        var time: TimeAmount
        var frame: RTPEncodedFrame
    }

    /// The depacketized frames of `codec` with their time since the stream's first frame.
    static func timed(_ codec: String) throws -> [Timed] {
        let stream = try RTPFixtureStream(codec: codec)
        let frames = try ChromiumPayloadsDecodeWithFFmpegTests.encodedFrames(stream)
        guard let first = frames.first?.timestamp else { return [] }
        let rate = Int64(stream.entry.clockRate)
        return frames.map { Timed(time: .nanoseconds(Int64($0.timestamp &- first) * 1_000_000_000 / rate), frame: $0.frame) }
    }

    /// Writes `video` and/or `audio` frames, interleaved by time, as a WebM file at `path`.
    @discardableResult
    static func writeWebM(video: [Timed], codec: WebMWriter.VideoCodec?, audio: [Timed], path: String) throws -> WebMWriter {
        var writer = try WebMWriter(video: codec.map { .init(codec: $0) }, audio: audio.isEmpty ? nil : .init())
        let sink = try MediaFileSink(path: path)
        var out = ByteBuffer()
        var v = 0
        var a = 0
        while v < video.count || a < audio.count {
            if v < video.count, a == audio.count || video[v].time <= audio[a].time {
                try writer.write(videoFrame: video[v].frame.data, isKeyFrame: video[v].frame.isKeyFrame, timestamp: video[v].time, into: &out)
                v += 1
            } else {
                try writer.write(audioPacket: audio[a].frame.data, timestamp: audio[a].time, into: &out)
                a += 1
            }
            if out.readableBytes > 64 * 1024 { try sink.write(&out) }
        }
        try sink.write(&out)
        try sink.finish(&writer)
        return writer
    }
}
