import Crypto
import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// A member that changes its address in the middle of a transfer, as a laptop does when it
/// moves to another network: `swiftrtc receive` and `swiftrtc send` run on hosts of their own
/// (network namespaces joined through the test's namespace, which routes between them), and the
/// receiver's address is replaced (a new one added, the old one removed) while 50 MiB flow.
/// The sender's room client notices the connection going `disconnected` and restarts ICE; the
/// receiver reads its interfaces again and signals its new address; DTLS, SCTP and the channel
/// carry on, and the file arrives with the right SHA-256.
///
/// The receiver reaches the signaling server over a link of its own that the peers cannot
/// use for media (the test's namespace refuses to route the sender's packets to it), so the
/// move breaks the media path only — a signaling connection that broke too would rejoin the
/// room, and a rejoin starts connections afresh.
@Suite("ICE restart when a member's address moves", .serialized, .heavyPeers)
struct RoomAddressMoveTests {
    @Test func aTransferSurvivesTheReceiverMovingToANewAddress() async throws {
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-move-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let original = try randomTestData(count: 50 << 20)
        let input = tmp.appendingPathComponent("input.bin")
        let output = tmp.appendingPathComponent("output.bin")
        try original.write(to: input)
        let digest = SHA256.hash(data: original).map { String(format: "%02x", $0) }.joined()

        try await withSignalingServer({ $0.host = "0.0.0.0" }) { _, port in
            let receiver = try IsolatedHost("mover", executable: binary, arguments: [
                "receive", "--out", output.path, "--signal", "ws://10.77.9.254:\(port)/ws", "--room", "move", "--peer-id", "rx",
                "--log-level", "info",
            ])
            let sender = try IsolatedHost("stayer", executable: binary, arguments: [
                "send", input.path, "--signal", "ws://10.77.1.254:\(port)/ws", "--room", "move", "--peer-id", "tx", "--log-level", "info",
            ])
            defer {
                receiver.process.terminate()
                sender.process.terminate()
                try? IsolatedHost.ip("rule", "del", "iif", "mv-ta", "to", "10.77.9.0/24", "prohibit")
                for link in ["mv-ta", "mv-tb", "mv-ts"] { try? IsolatedHost.ip("link", "del", link) }
            }
            try IsolatedHost.enableForwarding()
            try sender.link(outside: "mv-ta", outsideAddress: "10.77.1.254/24", inside: "a1", insideAddress: "10.77.1.1/24",
                            gateway: "10.77.1.254")
            try receiver.link(outside: "mv-tb", outsideAddress: "10.77.2.254/24", inside: "b1", insideAddress: "10.77.2.1/24",
                              gateway: "10.77.2.254")
            try IsolatedHost.ip("addr", "add", "10.77.3.254/24", "dev", "mv-tb")
            try receiver.link(outside: "mv-ts", outsideAddress: "10.77.9.254/24", inside: "s1", insideAddress: "10.77.9.1/24")
            try IsolatedHost.ip("rule", "add", "iif", "mv-ta", "to", "10.77.9.0/24", "prohibit")

            receiver.start()
            try await receiver.process.waitForLine(timeout: 30) { $0.contains("joined room move") }
            sender.start()
            // Move once the data flows: 10.77.3.1 added, 10.77.2.1 (the address in use) removed.
            let before = try await receiver.process.waitForLine(timeout: 60) { Self.mebibytes(inProgress: $0) >= 2 }
            try receiver.ip("addr", "add", "10.77.3.1/24", "dev", "b1")
            try receiver.ip("addr", "del", "10.77.2.1/24", "dev", "b1")
            try receiver.ip("route", "replace", "default", "via", "10.77.3.254")

            let senderStatus = try await sender.process.waitForExit(timeout: 180)
            let receiverStatus = try await receiver.process.waitForExit(timeout: 30)
            #expect(senderStatus == 0, "sender: \(sender.process.allOutput.suffix(3000))")
            #expect(receiverStatus == 0, "receiver: \(receiver.process.allOutput.suffix(3000))")
            #expect(Self.mebibytes(inProgress: before) < 45, "moved in the middle of the transfer: \(before)")
            #expect(sender.process.output.contains { $0.contains("restarting ICE") }, "\(sender.process.allOutput.suffix(3000))")
            #expect(receiver.process.output.contains { $0.contains("network interfaces changed") && $0.contains("10.77.3.1") },
                    "\(receiver.process.allOutput.suffix(3000))")
            #expect(receiver.process.output.contains { $0.contains(digest) && $0.contains("verified") })
            let received = try Data(contentsOf: output)
            #expect(received.count == original.count)
            #expect(SHA256.hash(data: received).map { String(format: "%02x", $0) }.joined() == digest)
        }
    }

    /// The MiB received so far in a `progress:   4%  2.1/50.0 MiB  …` line (0 for other lines).
    static func mebibytes(inProgress line: String) -> Double {
        guard line.hasPrefix("progress:"), let figures = line.split(separator: " ").first(where: { $0.contains("/") }) else { return 0 }
        return Double(figures.split(separator: "/")[0]) ?? 0
    }
}
