import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// `swiftrtc receive` accepts a file sent from the demo page in headless Chromium (same
/// header shape on the `file` channel, no SHA-256 in it).
@Suite("swiftrtc receive with the demo page in Chromium", .serialized, .heavyPeers)
struct RoomReceiveChromiumTests {
    @Test func theDemoPageSendsAFileToSwiftrtcReceive() async throws {
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("receive") { port, reports, directory in
            let output = directory.appendingPathComponent("from-browser.bin")
            let receiver = try PeerProcess("swiftrtc receive", executable: binary, arguments: [
                "receive", "--out", output.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "browser-file", "--peer-id", "rx"])
            defer { receiver.terminate() }
            try await receiver.waitForLine(timeout: 30) { $0.contains("joined room browser-file") }
            // The page joins second, offers with its chat and file channels, and (file=1) sends
            // a 1 MiB file whose byte i is (i * 31 + 7) & 0xff.
            let browser = try DemoPageBrowser.chromium.open("http://127.0.0.1:\(port)/?autotest=1&room=browser-file&peer=browser&file=1", directory)
            defer { browser.terminate() }
            let status = try await receiver.waitForExit(timeout: 90)
            let context = "receive:\n\(receiver.allOutput.suffix(2000))\nreport:\n\(reports.dump)"
            #expect(status == 0, "\(context)")
            let expected = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            #expect(try Data(contentsOf: output) == expected, "\(context)")
            #expect(receiver.output.contains { $0.contains("receive: test.bin (1048576 bytes) from browser") }, "\(context)")
            #expect(receiver.output.contains { $0.contains("wrote 1048576 bytes") && $0.contains("Mbit/s") }, "\(context)")
            let sent = try #require(reports["browser"]?.filesSent.first, "\(context)")
            #expect(receiver.output.contains { $0.contains("SHA-256 \(sent.sha256)") }, "\(context)")
        }
    }

    /// The page answers `swiftrtc send` with the receipt of docs/file-transfer.md, so the
    /// sender exits 0 with the page's SHA-256 confirmed.
    @Test func swiftrtcSendToTheDemoPageIsConfirmed() async throws {
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("send") { port, reports, directory in
            let input = directory.appendingPathComponent("to-browser.bin")
            try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }).write(to: input)
            let browser = try DemoPageBrowser.chromium.open("http://127.0.0.1:\(port)/?autotest=1&room=browser-send&peer=browser", directory)
            defer { browser.terminate() }
            try await waitUntil(30, "the page joined") { reports["browser"] != nil }
            let sender = try PeerProcess("swiftrtc send", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "browser-send", "--peer-id", "tx"])
            defer { sender.terminate() }
            let status = try await sender.waitForExit(timeout: 90)
            let context = "send:\n\(sender.allOutput.suffix(2000))\nreport:\n\(reports.dump)"
            #expect(status == 0, "\(context)")
            #expect(sender.output.contains { $0.contains("browser confirmed SHA-256") }, "\(context)")
            try await waitUntil(5, "the page's report of the file\n\(reports.dump)") { reports["browser"]?.filesReceived.first?.size == 300_000 }
        }
    }
}
