import Foundation
import RTCTestSupport
import Testing

/// A headless browser that opens the demo page, with a throwaway profile in the test's
/// directory: Chromium (`SignalingDemoPageChromiumTests.flags`) or Firefox
/// (`RoomFirefoxTests.profile`). A missing browser is an error, never a skip.
struct DemoPageBrowser: Sendable {
    /// The browser's name in messages.
    let name: String
    /// How long the page may take to join its room (Firefox starts slower).
    let joinTimeout: Double
    /// Starts the browser on `url`, its profile under `directory`.
    let open: @Sendable (_ url: String, _ directory: URL) throws -> PeerProcess

    static let chromium = DemoPageBrowser(name: "chromium", joinTimeout: 30) { url, directory in
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        return try PeerProcess("chromium", executable: chromium, arguments:
            SignalingDemoPageChromiumTests.flags(profile: directory.appendingPathComponent("profile")) + [url])
    }

    static let firefox = DemoPageBrowser(name: "firefox", joinTimeout: 60) { url, directory in
        try RoomFirefoxTests.firefox(url, profile: try RoomFirefoxTests.profile(in: directory), home: directory)
    }
}

/// A scratch directory (removed afterwards), the pages' reports, and a signaling server that
/// stores them, around `body`: what every demo-page test with the `swiftrtc` commands starts with.
func withDemoPageRoom<T: Sendable>(
    _ name: String, _ body: @Sendable (_ port: Int, _ reports: DemoPageReports, _ directory: URL) async throws -> T
) async throws -> T {
    try InteropEnvironment.requirePrivateNamespace()
    let reports = DemoPageReports()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await withSignalingServer({ config in
        config.testReportHandler = { reports.store($0) }
    }) { _, port in try await body(port, reports, directory) }
}

/// `swiftrtc play` and `swiftrtc record` with the demo page, in any browser.
enum DemoPageMediaScenarios {
    /// The page joins first; `play` joins later and offers a VP8 + Opus file's tracks
    /// sendonly; the page decodes 150 frames of the video and plays 2 s of the audio.
    static func pageDecodesWhatPlaySends(_ browser: DemoPageBrowser, room: String) async throws {
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("play-page") { port, reports, directory in
            let clip = directory.appendingPathComponent("clip.webm").path
            try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                                       "-t", "3", "-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-deadline", "realtime", "-c:a", "libopus", clip])
            let page = try browser.open("http://127.0.0.1:\(port)/?autotest=1&room=\(room)&peer=browser", directory)
            defer { page.terminate() }
            try await waitUntil(browser.joinTimeout, "the page joined") { reports["browser"] != nil }
            let player = try PeerProcess("swiftrtc play", executable: binary, arguments: [
                "play", clip, "--loop", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", room, "--peer-id", "player"])
            defer { player.terminate() }
            let context = { "play:\n\(player.allOutput.suffix(2000))\nreport:\n\(reports.dump)\n\(browser.name):\n\(page.allOutput.suffix(1500))" }
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

    /// `record` joins first; the page offers, starts its fake camera and microphone and
    /// renegotiates: `record` writes `browser.webm` (its path printed within
    /// `recordingTimeout`), complete after SIGINT 5 s later, which ffmpeg decodes: at least
    /// `minimumFrames` video frames and 200 Opus packets.
    static func recordWritesThePagesCamera(_ browser: DemoPageBrowser, room: String, recordingTimeout: Double,
                                           minimumFrames: Int) async throws {
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("record-page") { port, reports, directory in
            let out = directory.appendingPathComponent("recordings")
            let recorder = try PeerProcess("swiftrtc record", executable: binary, arguments: [
                "record", "--out", out.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", room, "--peer-id", "recorder"])
            defer { recorder.terminate() }
            try await recorder.waitForLine(timeout: 30) { $0.contains("joined room \(room)") }
            let page = try browser.open("http://127.0.0.1:\(port)/?autotest=1&room=\(room)&peer=browser", directory)
            defer { page.terminate() }
            let path = out.appendingPathComponent("browser.webm").path
            _ = try await recorder.waitForLine(timeout: recordingTimeout) { $0.contains(path) }
            try await Task.sleep(for: .seconds(5))
            recorder.interrupt()
            let context = "record:\n\(recorder.allOutput.suffix(3000))\nreport:\n\(reports.dump)\n\(browser.name):\n\(page.allOutput.suffix(1500))"
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "\(context)")
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)\n\(context)")
            let video = try await FFmpegTool.probe(path, stream: "v:0")
            let audio = try await FFmpegTool.probe(path, stream: "a:0")
            #expect(video.frames >= minimumFrames, "about 5 s of \(browser.name)'s fake camera: \(video.frames) frames\n\(context)")
            #expect(audio.codecName == "opus" && audio.packets >= 200, "audio packets \(audio.packets)\n\(context)")
        }
    }
}
