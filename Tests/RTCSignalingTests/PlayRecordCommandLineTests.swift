import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// `swiftrtc play` and `swiftrtc record` as child processes in one room, whichever joins
/// first: the recording of what `play` sent decodes, with the file's frame counts, and
/// `record` finishes its file cleanly on SIGINT.
@Suite("swiftrtc play and record", .serialized, .heavyPeers)
struct PlayRecordCommandLineTests {
    @Test(arguments: [true, false])
    func recordWritesWhatPlaySends(playFirst: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-play-\(UUID().uuidString)")
        let out = tmp.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = tmp.appendingPathComponent("clip.webm").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                             "-t", "4", "-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-deadline", "realtime", "-c:a", "libopus", clip])
        try await withSignalingServer { _, port in
            func start(_ name: String) throws -> PeerProcess {
                let room = RoomCommandLineTests.roomArguments(port: port, room: "media", peer: name)
                let arguments = name == "player" ? ["play", clip] + room : ["record", "--out", out.path] + room
                return try PeerProcess("swiftrtc \(name)", executable: binary, arguments: arguments)
            }
            let first = try start(playFirst ? "player" : "recorder")
            defer { first.terminate() }
            try await first.waitForLine(timeout: 30) { $0.contains("joined room media") }
            let second = try start(playFirst ? "recorder" : "player")
            defer { second.terminate() }
            let (player, recorder) = playFirst ? (first, second) : (second, first)
            // The file plays once (4 s) from when the connection is up; then play leaves.
            #expect(try await player.waitForExit(timeout: 40) == 0, "play: \(player.allOutput.suffix(2000))")
            #expect(player.output.contains { $0.contains("play: done (video 120 frames, audio 20") }, "\(player.allOutput.suffix(2000))")
            let path = out.appendingPathComponent("player.webm").path
            _ = try await recorder.waitForLine(timeout: 20) { $0.contains("\(path) finished") }
            recorder.interrupt()
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "record: \(recorder.allOutput.suffix(2000))")
            #expect(recorder.allOutput.contains("kbit/s"), "progress on stderr: \(recorder.allOutput.suffix(2000))")
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)")
            let video = try await FFmpegTool.probe(path, stream: "v:0")
            let audio = try await FFmpegTool.probe(path, stream: "a:0")
            #expect(video.codecName == "vp8" && video.frames >= 117 && video.frames <= 120, "video frames \(video.frames)")
            #expect(audio.codecName == "opus" && audio.packets >= 195 && audio.packets <= 201, "audio packets \(audio.packets)")
        }
    }

    /// SIGINT in the middle of a recording still leaves a complete file (sizes, duration and
    /// cues written): `play --loop` never ends by itself.
    @Test func anInterruptedRecordingIsComplete() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-sigint-\(UUID().uuidString)")
        let out = tmp.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = tmp.appendingPathComponent("clip.ivf").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "1", "-c:v", "libvpx", "-g", "15",
                             "-deadline", "realtime", clip])
        try await withSignalingServer { _, port in
            let recorder = try PeerProcess("swiftrtc record", executable: binary, arguments:
                ["record", "--out", out.path] + RoomCommandLineTests.roomArguments(port: port, room: "loop", peer: "recorder"))
            defer { recorder.terminate() }
            try await recorder.waitForLine(timeout: 30) { $0.contains("joined room loop") }
            let player = try PeerProcess("swiftrtc play", executable: binary, arguments:
                ["play", clip, "--loop"] + RoomCommandLineTests.roomArguments(port: port, room: "loop", peer: "looper"))
            defer { player.terminate() }
            _ = try await recorder.waitForLine(timeout: 30) { $0.contains("looper.webm") }
            try await Task.sleep(for: .seconds(3))
            recorder.interrupt()
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "record: \(recorder.allOutput.suffix(2000))")
            player.interrupt()
            #expect(try await player.waitForExit(timeout: 20) == 0, "play: \(player.allOutput.suffix(2000))")
            let path = out.appendingPathComponent("looper.webm").path
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)")
            let frames = try await FFmpegTool.probe(path, stream: "v:0").frames
            #expect(frames >= 60, "about 3 s of a looping 30 fps file: \(frames) frames")
            let seconds = try await FFmpegTool.formatDuration(path)
            #expect(abs(seconds - Double(frames) / 30) < 0.3, "duration \(seconds) s for \(frames) frames")
        }
    }

    /// A file that is not media stops `play` at once with a message naming it.
    @Test func playingANonMediaFileFailsWithAMessage() async throws {
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("notes-\(UUID().uuidString).txt")
        try Data("hello".utf8).write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let player = try PeerProcess("swiftrtc play", executable: binary,
                                     arguments: ["play", tmp.path, "--signal", "ws://127.0.0.1:9/ws", "--room", "r"])
        #expect(try await player.waitForExit(timeout: 30) != 0)
        #expect(player.allOutput.contains(tmp.path) && player.allOutput.contains("not a media file"), "\(player.allOutput)")
    }
}
