import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// The demo page in headless Firefox (ESR, NSS's DTLS, usrsctp) and the `swiftrtc` file
/// commands, in both DTLS roles: the page offers to `swiftrtc receive` (we answer `active`, so
/// we are the DTLS client and send SCTP's INIT with our Finished), and `swiftrtc send` offers to
/// the page (Firefox is the DTLS client). Firefox gathers only the default route's address:
/// the namespace needs its second interface (`InteropEnvironment.requirePrivateNamespace`).
@Suite("The demo page in Firefox", .serialized, .heavyPeers)
struct RoomFirefoxTests {
    /// A throwaway profile for one test: host candidates as plain addresses (no mDNS names),
    /// no first-run pages, no update or telemetry traffic.
    static func profile(in directory: URL) throws -> URL {
        let profile = directory.appendingPathComponent("firefox-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let prefs = [
            "media.peerconnection.ice.obfuscate_host_addresses": "false",
            "browser.shell.checkDefaultBrowser": "false",
            "datareporting.policy.dataSubmissionEnabled": "false",
            "toolkit.telemetry.reportingpolicy.firstRun": "false",
            "app.update.enabled": "false",
            "browser.startup.homepage_override.mstone": "\"ignore\"",
            "network.captive-portal-service.enabled": "false",
            "network.connectivity-service.enabled": "false",
        ]
        let text = prefs.map { "user_pref(\"\($0.key)\", \($0.value));" }.sorted().joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: profile.appendingPathComponent("user.js"))
        return profile
    }

    static func firefox(_ url: String, profile: URL, home: URL) throws -> PeerProcess {
        let executable = try InteropEnvironment.executable("firefox-esr", installHint: "apt-get install firefox-esr")
        return try PeerProcess("firefox", executable: executable,
                               arguments: ["--headless", "--no-remote", "--profile", profile.path, url],
                               environment: ["HOME": home.path])
    }

    /// Firefox offers and sends a 1 MiB file; `swiftrtc receive` writes it. We are the DTLS
    /// client: the INIT goes with our Finished, and NSS drops it (it takes no application data
    /// before its handshake is over), so it goes again 2 ms after the handshake.
    @Test func theDemoPageInFirefoxSendsAFileToSwiftrtcReceive() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-firefox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let output = tmp.appendingPathComponent("from-firefox.bin")
        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let receiver = try PeerProcess("swiftrtc receive", executable: binary, arguments: [
                "receive", "--out", output.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "firefox-file", "--peer-id", "rx",
                "--log-level", "info"])
            defer { receiver.terminate() }
            try await receiver.waitForLine(timeout: 30) { $0.contains("joined room firefox-file") }
            let browser = try Self.firefox("http://127.0.0.1:\(port)/?autotest=1&room=firefox-file&peer=browser&file=1",
                                           profile: try Self.profile(in: tmp), home: tmp)
            defer { browser.terminate() }
            let status = try await receiver.waitForExit(timeout: 120)
            let context = "receive:\n\(receiver.allOutput.suffix(3000))\nreport:\n\(reports.dump)\nfirefox:\n\(browser.allOutput.suffix(1500))"
            #expect(status == 0, "\(context)")
            let expected = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            #expect((try? Data(contentsOf: output)) == expected, "\(context)")
            #expect(receiver.output.contains { $0.contains("receive: test.bin (1048576 bytes) from browser") }, "\(context)")
            #expect(receiver.output.contains { $0.contains("DTLS handshake complete") && $0.contains("role=client") }, "\(context)")
            #expect(receiver.output.contains { $0.contains("channel open") && $0.contains("sctp_init=with our DTLS Finished") }, "\(context)")
        }
    }

    /// `swiftrtc send` offers to the page in Firefox, which answers as the DTLS client; the
    /// page confirms the file's SHA-256.
    @Test func swiftrtcSendToTheDemoPageInFirefoxIsConfirmed() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-firefox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let input = tmp.appendingPathComponent("to-firefox.bin")
        try Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }).write(to: input)
        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let browser = try Self.firefox("http://127.0.0.1:\(port)/?autotest=1&room=firefox-send&peer=browser",
                                           profile: try Self.profile(in: tmp), home: tmp)
            defer { browser.terminate() }
            try await waitUntil(60, "the page joined") { reports["browser"] != nil }
            let sender = try PeerProcess("swiftrtc send", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "firefox-send", "--peer-id", "tx",
                "--log-level", "info"])
            defer { sender.terminate() }
            let status = try await sender.waitForExit(timeout: 120)
            let context = "send:\n\(sender.allOutput.suffix(3000))\nreport:\n\(reports.dump)\nfirefox:\n\(browser.allOutput.suffix(1500))"
            #expect(status == 0, "\(context)")
            #expect(sender.output.contains { $0.contains("browser confirmed SHA-256") }, "\(context)")
            #expect(sender.output.contains { $0.contains("DTLS handshake complete") && $0.contains("role=server") }, "\(context)")
            try await waitUntil(10, "the page's report of the file\n\(reports.dump)") { reports["browser"]?.filesReceived.first?.size == 2_000_000 }
        }
    }
}
