import Crypto
import Foundation
import RTCTestSupport
import Testing

/// Swift and headless Chromium, both relay-only, through coturn with the time-limited
/// credentials the signaling server hands out (`/turn-credentials`): `swiftrtc send
/// --relay-only` moves 50 MiB to the demo page opened with `?relay=1`, TURN over UDP, over TCP
/// and over TLS (`turns:`: coturn's self-signed certificate is trusted by `swiftrtc send
/// --turns-ca-file` and by Chromium through its public key hash). The page confirms the
/// SHA-256, and both ends' selected pairs are relayed.
@Suite("Relay-only Swift ↔ Chromium through coturn", .serialized, .heavyPeers)
struct RoomRelayChromiumTests {
    @Test(arguments: ["udp", "tcp", "tls"])
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
            var trust: [String] = []  // turns: the browser and the sender trust coturn's certificate
            var senderTrust: [String] = []
            if let tls = coturn.configuration.tls {
                trust = ["--ignore-certificate-errors-spki-list=\(try Self.publicKeyHash(ofCertificate: tls.certificatePath))"]
                senderTrust = ["--turns-ca-file", tls.certificatePath]
            }
            let browser = try PeerProcess("chromium", executable: chromium, arguments:
                SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent("profile")) + trust
                + ["http://127.0.0.1:\(port)/?autotest=1&relay=1&room=relay-browser&peer=browser"])
            defer { browser.terminate() }
            try await waitUntil(30, "the page joined") { reports["browser"] != nil }
            let sender = try PeerProcess("swiftrtc send", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "relay-browser", "--peer-id", "tx",
                "--relay-only",
            ] + senderTrust)
            defer { sender.terminate() }
            // Slow under a loaded CI host is fine; silent for a minute (progress is a line a second) is not.
            let status = try await sender.waitForExit(stalledAfter: 60, atMost: 900)
            let context = "send:\n\(sender.allOutput.suffix(3000))\nreport:\n\(reports.dump)"
            #expect(status == 0, "\(context)")
            #expect(sender.output.contains { $0.contains("browser confirmed SHA-256") }, "\(context)")
            try await waitUntil(10, "the page's report of the file\n\(reports.dump)") {
                reports["browser"]?.filesReceived.first?.size == original.count
            }
            #expect(reports["browser"]?.filesReceived.first?.sha256 == digest)
            #expect(reports["browser"]?.selectedCandidateTypes?["tx"] == "relay/relay", "\(reports.dump)")
            #expect(reports["browser"]?.selectedRelayProtocols?["tx"] == transport, "\(reports.dump)")
            for user in ["tx", "browser"] {
                #expect(coturn.process.output.contains { $0.contains("ALLOCATE") && $0.contains("success") && $0.contains(user) },
                        "no allocation for \(user): \(coturn.process.allOutput.suffix(3000))")
            }
        }
    }

    /// Chromium's `--ignore-certificate-errors-spki-list` value for a PEM certificate: the
    /// base64 SHA-256 of its SubjectPublicKeyInfo (openssl).
    static func publicKeyHash(ofCertificate path: String) throws -> String {
        let shell = "openssl x509 -in '\(path)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", shell]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let hash = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, hash.count == 44 else {
            throw PublicKeyHashFailed(output: hash)
        }
        return hash
    }
}

/// openssl could not hash a certificate's public key (what it printed).
struct PublicKeyHashFailed: Error {
    var output: String
}
