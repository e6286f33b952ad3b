import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// What a demo page in autotest mode posts to `/test-report`.
struct DemoPageReport: Decodable, Sendable {
    struct Chat: Decodable, Sendable { var from: String; var text: String }
    struct File: Decodable, Sendable { var name: String; var size: Int; var sha256: String }
    var peer: String?
    var chatReceived: [Chat]
    var filesReceived: [File]
    var filesSent: [File]
    var framesDecoded: [String: Int]
    /// SFU mode: per member, the width of the last video frame decoded from it.
    var frameWidths: [String: Int]?
    var videoFrames: [String: Int]
    var audioSamples: [String: Int]?
    /// SFU mode: per member, the loudest audio level (0…1, from the RFC 6464 extension of the
    /// packets the server forwarded) its audio receiver's synchronization source reported.
    var peakAudioLevels: [String: Double]?
    /// The selected pair's local/remote candidate types per member (`relay/relay`), from getStats.
    var selectedCandidateTypes: [String: String]?
    /// Per member, how the page reaches its TURN server when the selected local candidate is
    /// relayed (`udp`, `tcp`, `tls`: the stats' `relayProtocol`).
    var selectedRelayProtocols: [String: String]?
    /// The addresses of the page's own candidates (`….local` names when Chromium hides them).
    var localCandidateAddresses: [String]?
    var errors: [String]
    var members: [String]
    /// SFU mode: per member, the server's transceivers still receiving its tracks.
    var liveTracks: [String: Int]?
    /// SFU mode: every `speaker_changed` the page got (nil: nobody).
    var speakers: [String?]?
    /// Cluster mode: the URLs of the `redirect`s the page followed.
    var redirects: [String]?
}

/// The latest report of each page.
final class DemoPageReports: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: [String: DemoPageReport] = [:]
    private var raw: [String: String] = [:]

    func store(_ body: String) {
        guard let report = try? JSONDecoder().decode(DemoPageReport.self, from: Data(body.utf8)), let peer = report.peer else { return }
        lock.withLock { latest[peer] = report; raw[peer] = body }
    }

    subscript(peer: String) -> DemoPageReport? { lock.withLock { latest[peer] } }
    var dump: String { lock.withLock { raw.map { "\($0.key): \($0.value.prefix(2000))" }.joined(separator: "\n") } }
}

@Suite("Demo page in two headless Chromium pages", .serialized, .heavyPeers)
struct SignalingDemoPageChromiumTests {
    static func flags(profile: URL) -> [String] {
        ["--headless=new", "--no-sandbox", "--user-data-dir=\(profile.path)", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--allow-loopback-in-peer-connection",
         "--disable-features=WebRtcHideLocalIpsWithMdns", "--use-fake-device-for-media-stream",
         "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]
    }

    /// Alice and Bob open the page served by the signaling server; Bob joins second and offers.
    /// Each page chats, Alice sends a 1 MiB file, both start video with the fake camera.
    @Test func chatFileAndVideoCrossBetweenTwoPages() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }

        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
        }) { _, port in
            let base = "http://127.0.0.1:\(port)/?autotest=1&room=chromium-test"
            let alice = try PeerProcess("chromium alice", executable: chromium,
                                        arguments: Self.flags(profile: tmp.appendingPathComponent("alice")) + [base + "&peer=alice&file=1"])
            defer { alice.terminate() }
            // Bob joins once Alice is in the room, so Bob is the joiner who offers.
            try await waitUntil(60, "alice's first report", every: .milliseconds(100)) { reports["alice"] != nil }
            let bob = try PeerProcess("chromium bob", executable: chromium,
                                      arguments: Self.flags(profile: tmp.appendingPathComponent("bob")) + [base + "&peer=bob"])
            defer { bob.terminate() }

            let done = (try? await waitUntil(90, "the page's steps", every: .milliseconds(100)) {
                guard let a = reports["alice"], let b = reports["bob"] else { return false }
                return a.chatReceived.contains { $0.text == "hello from bob" }
                    && b.chatReceived.contains { $0.text == "hello from alice" }
                    && b.filesReceived.contains { $0.size == 1 << 20 }
                    && (a.framesDecoded["bob"] ?? 0) > 0 && (b.framesDecoded["alice"] ?? 0) > 0
                    && (a.videoFrames["bob"] ?? 0) > 0 && (b.videoFrames["alice"] ?? 0) > 0
            }) != nil
            let context = "reports:\n\(reports.dump)\n--- alice ---\n\(alice.allOutput.suffix(1500))\n--- bob ---\n\(bob.allOutput.suffix(1500))"
            let a = try #require(reports["alice"], "no report from alice\n\(context)")
            let b = try #require(reports["bob"], "no report from bob\n\(context)")
            #expect(done, "pages did not finish in time\n\(context)")
            #expect(a.members == ["bob"])
            #expect(b.members == ["alice"])
            #expect(a.chatReceived.contains { $0.from == "bob" && $0.text == "hello from bob" }, "\(context)")
            #expect(b.chatReceived.contains { $0.from == "alice" && $0.text == "hello from alice" }, "\(context)")
            let sent = try #require(a.filesSent.first, "alice sent no file\n\(context)")
            let received = try #require(b.filesReceived.first, "bob received no file\n\(context)")
            #expect(sent.size == 1_048_576)
            #expect(received.size == 1_048_576)
            #expect(received.sha256 == sent.sha256)
            #expect(received.sha256.count == 64)
            #expect((a.framesDecoded["bob"] ?? 0) > 0, "alice decoded no video from bob\n\(context)")
            #expect((b.framesDecoded["alice"] ?? 0) > 0, "bob decoded no video from alice\n\(context)")
            #expect((a.videoFrames["bob"] ?? 0) > 0, "alice's video element painted no frames\n\(context)")
            #expect((b.videoFrames["alice"] ?? 0) > 0, "bob's video element painted no frames\n\(context)")
            #expect(a.errors.isEmpty && b.errors.isEmpty, "page errors: \(a.errors) \(b.errors)")
        }
    }
}
