import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// The demo page in headless Firefox (ESR, NSS's DTLS, usrsctp) and the `swiftrtc` file
/// commands, in both DTLS roles: the page offers to `swiftrtc receive` (we answer `active`, so
/// we are the DTLS client and send SCTP's INIT with our Finished), and `swiftrtc send` offers to
/// the page (Firefox is the DTLS client). Firefox gathers only the default route's address:
/// the namespace needs its second interface (`InteropEnvironment.requirePrivateNamespace`).
/// Media too (`DemoPageMediaScenarios`, shared with Chromium's tests): the page decodes what
/// `swiftrtc play` sends, and `swiftrtc record` writes Firefox's fake camera and microphone.
@Suite("The demo page in Firefox", .serialized, .heavyPeers)
struct RoomFirefoxTests {
    /// A throwaway profile for one test: host candidates as plain addresses (no mDNS names),
    /// loopback allowed (without it Firefox never reaches a TURN server at 127.0.0.1: no
    /// allocation, no relay candidate), no first-run pages, no update or telemetry traffic.
    static func profile(in directory: URL) throws -> URL {
        let profile = directory.appendingPathComponent("firefox-profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let prefs = [
            "media.peerconnection.ice.obfuscate_host_addresses": "false",
            "media.peerconnection.ice.loopback": "true",
            "browser.shell.checkDefaultBrowser": "false",
            "datareporting.policy.dataSubmissionEnabled": "false",
            "toolkit.telemetry.reportingpolicy.firstRun": "false",
            "app.update.enabled": "false",
            "browser.startup.homepage_override.mstone": "\"ignore\"",
            "network.captive-portal-service.enabled": "false",
            "network.connectivity-service.enabled": "false",
            // The fake camera and microphone, no permission prompt, media plays without a gesture.
            "media.navigator.streams.fake": "true",
            "media.navigator.permission.disabled": "true",
            "media.autoplay.default": "0",
            "media.autoplay.blocking_policy": "0",
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
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("firefox-receive") { port, reports, directory in
            let output = directory.appendingPathComponent("from-firefox.bin")
            let receiver = try PeerProcess("swiftrtc receive", executable: binary, arguments: [
                "receive", "--out", output.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "firefox-file", "--peer-id", "rx",
                "--log-level", "info"])
            defer { receiver.terminate() }
            try await receiver.waitForLine(timeout: 30) { $0.contains("joined room firefox-file") }
            let browser = try DemoPageBrowser.firefox.open("http://127.0.0.1:\(port)/?autotest=1&room=firefox-file&peer=browser&file=1", directory)
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
        let binary = try swiftrtcExecutable()
        try await withDemoPageRoom("firefox-send") { port, reports, directory in
            let input = directory.appendingPathComponent("to-firefox.bin")
            try Data((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }).write(to: input)
            let browser = try DemoPageBrowser.firefox.open("http://127.0.0.1:\(port)/?autotest=1&room=firefox-send&peer=browser", directory)
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

    /// The page joins first; `play` joins later and offers a VP8 + Opus file's tracks
    /// sendonly; Firefox decodes the video and plays the audio.
    @Test func theDemoPageInFirefoxDecodesWhatPlaySends() async throws {
        try await DemoPageMediaScenarios.pageDecodesWhatPlaySends(.firefox, room: "firefox-play")
    }

    /// `record` joins first; the page in Firefox offers, starts its fake camera and microphone
    /// and renegotiates: `record` writes `browser.webm`, which ffmpeg decodes.
    @Test func recordWritesFirefoxsCamera() async throws {
        try await DemoPageMediaScenarios.recordWritesThePagesCamera(.firefox, room: "firefox-record", recordingTimeout: 60, minimumFrames: 50)
    }

    /// Both ends relay-only through coturn (TURN over UDP, time-limited credentials from the
    /// signaling server): `swiftrtc send --relay-only` moves 5 MiB to the page in Firefox
    /// (`?relay=1`), which confirms the SHA-256; both selected pairs are relayed.
    @Test func fiveMebibytesCrossARelayOnlyConnectionToFirefox() async throws {
        let binary = try swiftrtcExecutable()
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-firefox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let original = try randomTestData(count: 5 << 20)
        let input = tmp.appendingPathComponent("relayed.bin")
        try original.write(to: input)
        try await RoomRelayTests.withRelay(transport: "udp", configure: { $0.testReportHandler = { reports.store($0) } }) { port, coturn in
            let browser = try DemoPageBrowser.firefox.open("http://127.0.0.1:\(port)/?autotest=1&relay=1&room=firefox-relay&peer=browser", tmp)
            defer { browser.terminate() }
            try await waitUntil(60, "the page joined") { reports["browser"] != nil }
            let sender = try PeerProcess("swiftrtc send", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "firefox-relay", "--peer-id", "tx", "--relay-only"])
            defer { sender.terminate() }
            let describe = { "send:\n\(sender.allOutput.suffix(3000))\nreport:\n\(reports.dump)\nfirefox:\n\(browser.allOutput.suffix(1500))\ncoturn:\n\(coturn.process.allOutput.suffix(3000))" }
            let status: Int32
            do {
                status = try await sender.waitForExit(stalledAfter: 60, atMost: 600)
            } catch {
                Issue.record("\(error)\n\(describe())")
                throw error
            }
            let context = describe()
            #expect(status == 0, "\(context)")
            #expect(sender.output.contains { $0.contains("browser confirmed SHA-256") }, "\(context)")
            try await waitUntil(10, "the page's report of the file\n\(reports.dump)") {
                reports["browser"]?.filesReceived.first?.size == original.count
            }
            #expect(reports["browser"]?.selectedCandidateTypes?["tx"] == "relay/relay", "\(reports.dump)")
            for user in ["tx", "browser"] {
                #expect(coturn.process.output.contains { $0.contains("ALLOCATE") && $0.contains("success") && $0.contains(user) },
                        "no allocation for \(user): \(coturn.process.allOutput.suffix(3000))")
            }
        }
    }
}
