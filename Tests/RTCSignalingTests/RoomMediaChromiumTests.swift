import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// `swiftrtc play` and `swiftrtc record` in a room with the demo page in headless Chromium:
/// the page decodes and plays what `play` sends, and `record` writes the page's fake camera
/// and microphone to a WebM file that ffmpeg decodes.
@Suite("swiftrtc play and record with the demo page in Chromium", .serialized, .heavyPeers)
struct RoomMediaChromiumTests {
    /// The page joins first; `play` joins later and offers its file's tracks sendonly.
    @Test func theDemoPageDecodesWhatPlaySends() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-play-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = tmp.appendingPathComponent("clip.webm").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                             "-t", "3", "-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-deadline", "realtime", "-c:a", "libopus", clip])
        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let browser = try PeerProcess("chromium", executable: chromium, arguments:
                SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile"))
                + ["http://127.0.0.1:\(port)/?autotest=1&room=play-page&peer=browser"])
            defer { browser.terminate() }
            try await waitUntil(30, "the page joined") { reports["browser"] != nil }
            let player = try PeerProcess("swiftrtc play", executable: binary, arguments: [
                "play", clip, "--loop", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "play-page", "--peer-id", "player"])
            defer { player.terminate() }
            let context = { "play:\n\(player.allOutput.suffix(2000))\nreport:\n\(reports.dump)" }
            try await waitUntil(40, "the page decoding 150 frames of play's video\n\(context())") {
                (reports["browser"]?.framesDecoded["player"] ?? 0) >= 150
            }
            try await waitUntil(10, "the page playing play's audio\n\(context())") {
                (reports["browser"]?.audioSamples?["player"] ?? 0) >= 48_000 * 2
            }
            #expect(reports["browser"]?.errors.isEmpty == true, "\(context())")
            player.interrupt()
            #expect(try await player.waitForExit(timeout: 20) == 0, "\(context())")
        }
    }

    /// `record` joins first; the page offers, then starts its camera and renegotiates:
    /// `record` writes `browser.webm`, complete after SIGINT.
    @Test func recordWritesTheDemoPagesCamera() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-record-page-\(UUID().uuidString)")
        let out = tmp.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let recorder = try PeerProcess("swiftrtc record", executable: binary, arguments: [
                "record", "--out", out.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "record-page", "--peer-id", "recorder"])
            defer { recorder.terminate() }
            try await recorder.waitForLine(timeout: 30) { $0.contains("joined room record-page") }
            let browser = try PeerProcess("chromium", executable: chromium, arguments:
                SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile"))
                + ["http://127.0.0.1:\(port)/?autotest=1&room=record-page&peer=browser"])
            defer { browser.terminate() }
            let path = out.appendingPathComponent("browser.webm").path
            _ = try await recorder.waitForLine(timeout: 40) { $0.contains(path) }
            try await Task.sleep(for: .seconds(5))
            recorder.interrupt()
            let context = "record:\n\(recorder.allOutput.suffix(3000))\nreport:\n\(reports.dump)"
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "\(context)")
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)\n\(context)")
            let video = try await FFmpegTool.probe(path, stream: "v:0")
            let audio = try await FFmpegTool.probe(path, stream: "a:0")
            #expect(video.frames >= 75, "about 5 s of the fake camera (20 fps by default): \(video.frames) frames\n\(context)")
            #expect(audio.codecName == "opus" && audio.packets >= 200, "audio packets \(audio.packets)\n\(context)")
        }
    }
}
