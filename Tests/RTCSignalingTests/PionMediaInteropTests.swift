import Foundation
import RTCTestSupport
import Testing

/// Pion (Go, WebRTC v3 from Debian's packages; scripts/interop/pion) exchanging VP8 video with
/// the `swiftrtc` media commands through a room, in both roles: Pion offers and sends a file
/// that `swiftrtc record` writes, and `swiftrtc play` offers a file that Pion records with its
/// own IVF writer. ffmpeg decodes both recordings without an error, with the frames expected.
@Suite("Pion media interop", .serialized, .heavyPeers)
struct PionMediaInteropTests {
    static func clip(in directory: URL, name: String, seconds: Int) async throws -> String {
        let path = directory.appendingPathComponent(name).path
        var arguments = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30"]
        if name.hasSuffix(".webm") { arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-c:a", "libopus"] }
        arguments += ["-t", "\(seconds)", "-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-deadline", "realtime", path]
        try await FFmpegTool.make(arguments)
        return path
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-pion-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Pion joins second, offers and sends 5 s of VP8 (150 frames); `swiftrtc record` answers
    /// and writes them to `pion.webm`.
    @Test func pionOffersVideoThatSwiftRecords() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let pion = try PionRoomInteropTests.pionRoom()
        let binary = try swiftrtcExecutable()
        let tmp = try Self.directory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = try await Self.clip(in: tmp, name: "clip.ivf", seconds: 5)
        let out = tmp.appendingPathComponent("recordings")
        try await withSignalingServer { _, port in
            let recorder = try PeerProcess("swiftrtc record", executable: binary, arguments:
                ["record", "--out", out.path] + RoomCommandLineTests.roomArguments(port: port, room: "pion-media", peer: "recorder"))
            defer { recorder.terminate() }
            try await recorder.waitForLine(timeout: 30) { $0.contains("joined room pion-media") }
            let sender = try PeerProcess("pion", executable: pion, arguments: [
                "-signal", "ws://127.0.0.1:\(port)/ws", "-room", "pion-media", "-peer", "pion", "-count", "0",
                "-send-ivf", clip, "-timeout", "40",
            ] + PionRoomInteropTests.pionArguments)
            defer { sender.terminate() }
            #expect(try await sender.waitForExit(timeout: 45) == 0, "pion: \(sender.allOutput.suffix(2000))")
            #expect(sender.output.contains("SENT 150"), "\(sender.allOutput.suffix(2000))")
            let path = out.appendingPathComponent("pion.webm").path
            _ = try await recorder.waitForLine(timeout: 20) { $0.contains("\(path) finished") }
            recorder.interrupt()
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "record: \(recorder.allOutput.suffix(2000))")
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)")
            let video = try await FFmpegTool.probe(path, stream: "v:0")
            #expect(video.codecName == "vp8" && video.frames >= 140 && video.frames <= 150, "video frames \(video.frames) of 150")
        }
    }

    /// Pion joins first and records; `swiftrtc play` offers 10 s of VP8 and Opus; Pion's IVF
    /// writer keeps 6 s of the video (about 180 frames).
    @Test func swiftOffersVideoThatPionRecords() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let pion = try PionRoomInteropTests.pionRoom()
        let binary = try swiftrtcExecutable()
        let tmp = try Self.directory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = try await Self.clip(in: tmp, name: "clip.webm", seconds: 10)
        let recording = tmp.appendingPathComponent("pion.ivf").path
        try await withSignalingServer { _, port in
            let recorder = try PeerProcess("pion", executable: pion, arguments: [
                "-signal", "ws://127.0.0.1:\(port)/ws", "-room", "pion-play", "-peer", "pion", "-count", "0",
                "-record-ivf", recording, "-record-seconds", "6", "-timeout", "40",
            ] + PionRoomInteropTests.pionArguments)
            defer { recorder.terminate() }
            _ = try await recorder.waitForLine(timeout: 10) { $0.hasPrefix("JOINED") }
            let player = try PeerProcess("swiftrtc play", executable: binary, arguments:
                ["play", clip] + RoomCommandLineTests.roomArguments(port: port, room: "pion-play", peer: "player"))
            defer { player.terminate() }
            #expect(try await recorder.waitForExit(timeout: 45) == 0, "pion: \(recorder.allOutput.suffix(2000))")
            #expect(recorder.output.contains { $0.hasPrefix("TRACK video/VP8") }, "\(recorder.allOutput.suffix(2000))")
            #expect(recorder.output.contains { $0.hasPrefix("TRACK audio/opus") }, "\(recorder.allOutput.suffix(2000))")
            let decoded = try await FFmpegTool.decode(recording)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)")
            let video = try await FFmpegTool.probe(recording, stream: "v:0")
            #expect(video.codecName == "vp8" && video.frames >= 160 && video.frames <= 185, "video frames \(video.frames) in 6 s")
            player.interrupt()
            _ = try await player.waitForExit(timeout: 20)
        }
    }
}
