import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// `swiftrtc echo` and the demo page in headless Chromium chat in one room.
@Suite("swiftrtc echo with the demo page in Chromium", .serialized, .heavyPeers)
struct RoomEchoChromiumTests {
    /// The page (autotest mode) sends "hello from browser" when its chat channel opens and
    /// must get it back from `echo-bot`. Run with the browser joining second (it offers, with
    /// its `chat` and `file` channels, then renegotiates to add video) and first (echo offers
    /// with its `chat` channel).
    @Test(.serialized, arguments: [true, false])
    func theBrowserGetsItsChatEchoed(echoJoinsFirst: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-echo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }

        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let url = "http://127.0.0.1:\(port)/?autotest=1&room=echo-chromium&peer=browser"
            let echoArguments = ["echo", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "echo-chromium", "--peer-id", "echo-bot"]
            var echo: PeerProcess?
            var browser: PeerProcess?
            defer {
                browser?.terminate()
                echo?.terminate()
            }
            if echoJoinsFirst {
                echo = try PeerProcess("swiftrtc echo", executable: binary, arguments: echoArguments)
                try await echo!.waitForLine(timeout: 30) { $0.contains("joined room echo-chromium") }
                browser = try PeerProcess("chromium", executable: chromium,
                                          arguments: SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile")) + [url])
            } else {
                browser = try PeerProcess("chromium", executable: chromium,
                                          arguments: SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile")) + [url])
                try await waitUntil(60, "the browser's first report", every: .milliseconds(100)) { reports["browser"] != nil }
                echo = try PeerProcess("swiftrtc echo", executable: binary, arguments: echoArguments)
            }
            let echoed = (try? await waitUntil(60, "the echo on the page", every: .milliseconds(100)) {
                reports["browser"]?.chatReceived.contains { $0.from == "echo-bot" && $0.text == "hello from browser" } ?? false
            }) != nil
            // The page adds its fake camera right after chatting: a re-offer that echo answers
            // (rejecting video). Give that a moment, then no step may have failed on the page.
            try await Task.sleep(for: .seconds(3))
            let context = "report:\n\(reports.dump)\n--- echo ---\n\(echo?.allOutput.suffix(3000) ?? "")\n--- chromium ---\n\(browser?.allOutput.suffix(1500) ?? "")"
            #expect(echoed, "the page got no echo\n\(context)")
            let report = try #require(reports["browser"], "\(context)")
            #expect(report.members == ["echo-bot"])
            #expect(report.chatReceived.allSatisfy { $0.from == "echo-bot" && $0.text == "hello from browser" }, "\(context)")
            #expect(report.errors.isEmpty, "page errors: \(report.errors)\n\(context)")
            #expect(echo?.output.contains { $0.contains("channel \"chat\" with browser open") } == true, "\(context)")
        }
    }
}
