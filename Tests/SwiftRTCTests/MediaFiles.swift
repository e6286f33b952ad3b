import Foundation
import NIOCore
import RTCTestSupport
import SwiftRTC

/// Media files for the interop tests: made with ffmpeg, played with the library's file tracks
/// and recorded with its `Recorder`.
enum MediaFiles {
    /// A fresh temporary directory.
    static func directory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// ffmpeg input arguments of a `seconds`-long test pattern at `size` and 30 fps.
    static func pattern(seconds: Int, size: String = "320x240", pattern: String = "testsrc") -> [String] {
        ["-f", "lavfi", "-i", "\(pattern)=size=\(size):rate=30:duration=\(seconds)"]
    }

    /// ffmpeg input arguments of a `seconds`-long 440 Hz tone at 48 kHz.
    static func sine(seconds: Int) -> [String] {
        ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=\(seconds)"]
    }

    /// ffmpeg output arguments encoding video in `codec` (VP8, VP9, H264 — constrained
    /// baseline, no B-frames, Annex B — or AV1), a key frame every second at 30 fps.
    static func videoCodec(_ codec: String) -> [String] {
        switch codec {
        case "VP9": ["-c:v", "libvpx-vp9", "-b:v", "600k", "-g", "30", "-deadline", "realtime", "-cpu-used", "8"]
        case "H264": ["-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p", "-f", "h264"]
        case "AV1": ["-c:v", "libaom-av1", "-b:v", "400k", "-g", "30", "-cpu-used", "8", "-usage", "realtime", "-row-mt", "1"]
        default: ["-c:v", "libvpx", "-b:v", "600k", "-g", "30", "-deadline", "realtime"]
        }
    }

    /// ffmpeg arguments of a `seconds`-long test pattern in `codec` (see ``videoCodec(_:)``).
    static func video(_ codec: String, seconds: Int, size: String = "320x240", pattern: String = "testsrc") -> [String] {
        Self.pattern(seconds: seconds, size: size, pattern: pattern) + videoCodec(codec)
    }

    /// ffmpeg output arguments encoding audio in Opus.
    static let opus = ["-c:a", "libopus", "-b:a", "48k"]

    /// ffmpeg arguments of a `seconds`-long 440 Hz tone in Opus.
    static func tone(seconds: Int) -> [String] { sine(seconds: seconds) + opus }

    /// Waits until every track's file has played to its end; returns the frames each wrote.
    static func played(_ tracks: [LocalMediaTrack], within seconds: Double) async throws -> [Int] {
        try await withTimeout(seconds, "the files to play") {
            while !tracks.allSatisfy(\.isEnded) { try await Task.sleep(for: .milliseconds(50)) }
        }
        return tracks.map(\.framesWritten)
    }

    /// What a recording wrote and how many frames had arrived on its tracks when it stopped.
    struct Recorded {
        var progress: Recorder.Progress
        var videoArrived: Int
        var audioArrived: Int
    }

    /// Records for `seconds` from the first frame, then stops the recorders (each writes one file).
    static func record(_ recorders: [Recorder], seconds: Double) async throws -> [Recorded] {
        let runs = recorders.map { recorder in Task { try await recorder.run() } }
        try await withTimeout(20, "the first recorded frame") {
            while !recorders.contains(where: { ($0.video?.framesReceived ?? 0) + ($0.audio?.framesReceived ?? 0) > 0 }) {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        var arrived: [(Int, Int)] = []
        for recorder in recorders {
            arrived.append((recorder.video?.framesReceived ?? 0, recorder.audio?.framesReceived ?? 0))
            recorder.stop()
        }
        var results: [Recorded] = []
        for (run, counts) in zip(runs, arrived) {
            let progress = try await withTimeout(10, "the recording to finish") { try await run.value }
            results.append(Recorded(progress: progress, videoArrived: counts.0, audioArrived: counts.1))
        }
        return results
    }
}
