import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// The built `swiftrtc` executable's room commands, run as child processes against a live server.
@Suite("swiftrtc echo, send and receive", .serialized)
struct RoomCommandLineTests {
    static func roomArguments(port: Int, room: String, peer: String) -> [String] {
        ["--signal", "ws://127.0.0.1:\(port)/ws", "--room", room, "--peer-id", peer]
    }

    /// `swiftrtc receive --out F` then `swiftrtc send F` move 5 MiB of random bytes intact; both
    /// exit 0, and each prints its throughput.
    @Test func sendAndReceiveMoveAFileIntact() async throws {
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let original = try randomTestData(count: 5 << 20)
        let input = tmp.appendingPathComponent("input.bin")
        let output = tmp.appendingPathComponent("output.bin")
        try original.write(to: input)

        try await withSignalingServer { _, port in
            let receiver = try PeerProcess("swiftrtc receive", executable: binary,
                                           arguments: ["receive", "--out", output.path] + Self.roomArguments(port: port, room: "files", peer: "rx"))
            defer { receiver.terminate() }
            try await receiver.waitForLine(timeout: 30) { $0.contains("joined room files") }
            let sender = try PeerProcess("swiftrtc send", executable: binary,
                                         arguments: ["send", input.path] + Self.roomArguments(port: port, room: "files", peer: "tx"))
            defer { sender.terminate() }
            let senderStatus = try await sender.waitForExit(timeout: 180)
            let receiverStatus = try await receiver.waitForExit(timeout: 30)
            #expect(senderStatus == 0, "sender: \(sender.allOutput.suffix(2000))")
            #expect(receiverStatus == 0, "receiver: \(receiver.allOutput.suffix(2000))")
            #expect(try Data(contentsOf: output) == original)
            #expect(sender.output.contains { $0.contains("Mbit/s") && $0.contains("rx confirmed SHA-256") }, "\(sender.allOutput.suffix(2000))")
            #expect(receiver.output.contains { $0.contains("Mbit/s") && $0.contains("verified") }, "\(receiver.allOutput.suffix(2000))")
        }
    }

    /// A file that does not exist fails at once with a message and a non-zero status.
    @Test func sendingAMissingFileFailsWithAMessage() async throws {
        let binary = try swiftrtcExecutable()
        let sender = try PeerProcess("swiftrtc send", executable: binary,
                                     arguments: ["send", "/nonexistent/file.bin", "--signal", "ws://127.0.0.1:9/ws", "--room", "r"])
        let status = try await sender.waitForExit(timeout: 30)
        #expect(status != 0)
        #expect(sender.allOutput.contains("cannot read /nonexistent/file.bin"), "\(sender.allOutput)")
    }

    /// With no signaling server to reach, a room command gives up after its reconnect attempts
    /// with a message naming the server and a non-zero status.
    @Test func anUnreachableServerFailsWithAMessage() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let port = InteropEnvironment.freePort(udp: false)
        let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
            ["echo", "--max-reconnects", "0"] + Self.roomArguments(port: Int(port), room: "r", peer: "e"))
        let status = try await echo.waitForExit(timeout: 30)
        #expect(status != 0)
        #expect(echo.allOutput.contains("no connection to the signaling server at ws://127.0.0.1:\(port)/ws"), "\(echo.allOutput)")
    }

    /// `swiftrtc echo` sends text back as text and binary as binary, on every channel a peer
    /// opens (the default `chat` one and another opened later).
    @Test func echoReturnsTextAsTextAndBinaryAsBinary() async throws {
        let binary = try swiftrtcExecutable()
        try await withSignalingServer { _, port in
            let echo = try PeerProcess("swiftrtc echo", executable: binary,
                                       arguments: ["echo"] + Self.roomArguments(port: port, room: "echo", peer: "echo"))
            defer { echo.terminate() }
            try await echo.waitForLine(timeout: 30) { $0.contains("joined room echo as echo") }
            let me = RoomPeer(port: port, id: "me", room: "echo")
            #expect(try await me.join() == ["echo"])
            let chat = try await me.channel(with: "echo")
            try await chat.send("hello echo")
            #expect(try await withTimeout(10, "text echo") { try await chat.receive() } == .text("hello echo"))
            let bytes: [UInt8] = [0, 1, 2, 0xff, 0x80]
            try await chat.send(bytes)
            #expect(try await withTimeout(10, "binary echo") { try await chat.receive() } == .binary(bytes))
            let large = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try await chat.send(large)
            #expect(try await withTimeout(10, "large binary echo") { try await chat.receive() } == .binary(large))

            let second = try await withTimeout(20, "second channel") { try await me.room.openChannel("second", to: "echo") }
            try await second.send("on another channel")
            #expect(try await withTimeout(10, "second echo") { try await second.receive() } == .text("on another channel"))
            try await echo.waitForLine { $0.contains("channel \"second\" with me open") }

            await me.close()
            try await echo.waitForLine { $0.contains("me left") }
            echo.terminate()  // SIGTERM: echo closes its room and exits
            #expect(try await echo.waitForExit(timeout: 10) == 0, "\(echo.allOutput)")
        }
    }
}
