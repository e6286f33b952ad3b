import Crypto
import Foundation
import RTCTestSupport
import Testing

/// Swift and headless Chromium, both relay-only, through coturn with the time-limited
/// credentials the signaling server hands out (`/turn-credentials`): `swiftrtc send
/// --relay-only` moves 50 MiB to the demo page opened with `?relay=1`, TURN over UDP and over
/// TCP. The page confirms the SHA-256, and both ends' selected pairs are relayed.
@Suite("Relay-only Swift ↔ Chromium through coturn", .serialized, .heavyPeers)
struct RoomRelayChromiumTests {
    @Test(arguments: ["udp", "tcp"])
    func fiftyMebibytesCrossARelayOnlyConnection(transport: String) async throws {
        let binary = try swiftrtcExecutable()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-relay-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let original = try randomTestData(count: 50 << 20)
        let input = tmp.appendingPathComponent("relayed.bin")
        try original.write(to: input)
        let digest = SHA256.hash(data: original).map { String(format: "%02x", $0) }.joined()

        try await RoomRelayTests.withRelay(transport: transport, configure: { $0.testReportHandler = { reports.store($0) } }) { port, coturn in
            let browser = try PeerProcess("chromium", executable: chromium, arguments:
                SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile"))
                + ["http://127.0.0.1:\(port)/?autotest=1&relay=1&room=relay-browser&peer=browser"])
            defer { browser.terminate() }
            try await waitUntil(30, "the page joined") { reports["browser"] != nil }
            let sender = try PeerProcess("swiftrtc send", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "relay-browser", "--peer-id", "tx",
                "--relay-only",
            ])
            defer { sender.terminate() }
            let status = try await sender.waitForExit(timeout: 240)
            let context = "send:\n\(sender.allOutput.suffix(3000))\nreport:\n\(reports.dump)"
            #expect(status == 0, "\(context)")
            #expect(sender.output.contains { $0.contains("browser confirmed SHA-256") }, "\(context)")
            try await waitUntil(10, "the page's report of the file\n\(reports.dump)") {
                reports["browser"]?.filesReceived.first?.size == original.count
            }
            #expect(reports["browser"]?.filesReceived.first?.sha256 == digest)
            #expect(reports["browser"]?.selectedCandidateTypes?["tx"] == "relay/relay", "\(reports.dump)")
            for user in ["tx", "browser"] {
                #expect(coturn.process.output.contains { $0.contains("ALLOCATE") && $0.contains("success") && $0.contains(user) },
                        "no allocation for \(user): \(coturn.process.allOutput.suffix(3000))")
            }
        }
    }
}
