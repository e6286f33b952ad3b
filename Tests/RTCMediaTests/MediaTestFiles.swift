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
    static func make(_ name: String, in directory: URL, _ arguments: [String]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        let result = try FFmpegTool.run("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments + [path])
        guard result.status == 0 else { throw FixtureError("ffmpeg making \(name) failed (\(result.status)): \(result.standardError)") }
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

extension FFmpegTool {
    /// What ffprobe counts in one stream (`v:0`, `a:0`), plus its key packets.
    struct ProbedStream {
        var codecName: String
        var packets: Int
        var frames: Int
        var width: Int?
        var height: Int?
        var keyPackets: Int
    }

    /// ffprobe's packet, decoded-frame and key-packet counts of the stream `selector` selects.
    static func probe(_ path: String, stream selector: String) throws -> ProbedStream {
        let result = try run("ffprobe", ["-v", "error", "-count_frames", "-count_packets", "-select_streams", selector,
                                         "-show_entries", "stream=codec_name,nb_read_frames,nb_read_packets,width,height",
                                         "-of", "json", path])
        guard result.status == 0,
              let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
              let stream = (json["streams"] as? [[String: Any]])?.first
        else { throw FixtureError("ffprobe \(selector) of \(path) failed (\(result.status)): \(result.standardError)") }
        func int(_ key: String) -> Int? { (stream[key] as? String).flatMap(Int.init) ?? stream[key] as? Int }
        let flags = try run("ffprobe", ["-v", "error", "-select_streams", selector, "-show_entries", "packet=flags", "-of", "csv=p=0", path])
        let keys = flags.standardOutput.split(separator: "\n").filter { $0.hasPrefix("K") }.count
        return ProbedStream(codecName: stream["codec_name"] as? String ?? "", packets: int("nb_read_packets") ?? -1,
                            frames: int("nb_read_frames") ?? -1, width: int("width"), height: int("height"), keyPackets: keys)
    }

    /// The container's duration in seconds as ffprobe reports it (`format=duration`).
    static func formatDuration(_ path: String) throws -> Double {
        let result = try run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        guard result.status == 0, let seconds = Double(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("ffprobe duration of \(path): \(result.standardOutput) \(result.standardError)")
        }
        return seconds
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
