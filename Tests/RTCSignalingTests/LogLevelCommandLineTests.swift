import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// `--log-level` on every `swiftrtc` command: a known level is accepted and routes the
/// library's records to standard error; anything else is refused before the command runs.
@Suite("swiftrtc --log-level", .serialized)
struct LogLevelCommandLineTests {
    static let commands: [[String]] = [
        ["serve", "--port", "0"],
        ["echo", "--signal", "ws://127.0.0.1:9/ws", "--room", "r", "--max-reconnects", "0"],
        ["send", "/nonexistent/file.bin", "--signal", "ws://127.0.0.1:9/ws", "--room", "r"],
        ["receive", "--signal", "ws://127.0.0.1:9/ws", "--room", "r", "--max-reconnects", "0"],
    ]

    /// `--log-level loud` is refused by every command with a message naming the accepted levels.
    @Test(arguments: commands) func anUnknownLevelIsRefused(_ command: [String]) async throws {
        let binary = try swiftrtcExecutable()
        let process = try PeerProcess("swiftrtc \(command[0])", executable: binary, arguments: command + ["--log-level", "loud"])
        defer { process.terminate() }
        let status = try await process.waitForExit(timeout: 30)
        #expect(status != 0)
        #expect(process.allOutput.contains("The value 'loud' is invalid for '--log-level <log-level>'"), "\(process.allOutput)")
        #expect(process.allOutput.contains("critical"), "the accepted levels are listed: \(process.allOutput)")
    }

    /// `swiftrtc echo --log-level debug` runs, and the signaling client's records reach
    /// standard error with their label and metadata (here: the failed connections, the
    /// reconnects with their back-off and the give-up).
    @Test func echoAtDebugLogsTheSignalingClient() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let port = InteropEnvironment.freePort(udp: false)
        let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
            ["echo", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "logs", "--peer-id", "e", "--max-reconnects", "2", "--log-level", "debug"])
        defer { echo.terminate() }
        let status = try await echo.waitForExit(timeout: 30)
        #expect(status != 0)
        let output = echo.allOutput
        #expect(output.contains("swiftrtc.signaling") || output.contains("signaling connection failed"), "\(output)")
        #expect(output.contains("giving up on the signaling server"), "\(output)")
        // Two reconnects with their back-off (250 ms, then 500 ms), then the give-up.
        #expect(output.contains("reconnecting to the signaling server") && output.contains("attempt=1") && output.contains("attempt=2"), "\(output)")
        #expect(output.contains("in=0.25 seconds") && output.contains("in=0.5 seconds"), "\(output)")
        #expect(output.contains("attempts=2"), "\(output)")
        #expect(output.contains("peer=e") && output.contains("room=logs"), "\(output)")
        #expect(output.contains("no connection to the signaling server"), "\(output)")
    }

    /// At the default level (warning) the room commands stay quiet about routine events: the
    /// same run without `--log-level` logs no debug or info records.
    @Test func theDefaultLevelKeepsRoomCommandsQuiet() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let port = InteropEnvironment.freePort(udp: false)
        let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
            ["echo", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "logs", "--max-reconnects", "0"])
        defer { echo.terminate() }
        _ = try await echo.waitForExit(timeout: 30)
        #expect(!echo.allOutput.contains(" debug "), "\(echo.allOutput)")
        #expect(!echo.allOutput.contains(" info "), "\(echo.allOutput)")
        #expect(echo.allOutput.contains("no connection to the signaling server"), "\(echo.allOutput)")
    }

    /// `swiftrtc serve --log-level debug` starts and logs that it listens (an info record).
    @Test func serveAcceptsDebug() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let serve = try PeerProcess("swiftrtc serve", executable: binary, arguments: ["serve", "--port", "0", "--log-level", "debug"])
        defer { serve.terminate() }
        try await serve.waitForLine(timeout: 30) { $0.contains("signaling server listening") }
    }

    /// `swiftrtc echo --log-level info` with a peer that connects and leaves: the connection's
    /// records reach standard error under their subsystem labels with a `pc` id, and the room's
    /// member events under `swiftrtc.room` with the room id.
    @Test func echoAtInfoLogsTheConnectionBySubsystem() async throws {
        let binary = try swiftrtcExecutable()
        try await withSignalingServer { _, port in
            let echo = try PeerProcess("swiftrtc echo", executable: binary, arguments:
                ["echo", "--signal", "ws://127.0.0.1:\(port)/ws", "--room", "logs", "--peer-id", "echo", "--log-level", "info"])
            defer { echo.terminate() }
            try await echo.waitForLine(timeout: 30) { $0.contains("joined room logs as echo") }
            let me = RoomPeer(port: port, id: "me", room: "logs")
            #expect(try await me.join() == ["echo"])
            let chat = try await me.channel(with: "echo")
            try await chat.send("hi")
            #expect(try await withTimeout(10, "echo") { try await chat.receive() } == .text("hi"))
            await me.close()
            try await echo.waitForLine { $0.contains("me left") }
            let output = echo.allOutput
            for label in ["swiftrtc.peerconnection", "swiftrtc.ice", "swiftrtc.dtls", "swiftrtc.datachannel", "swiftrtc.room"] {
                #expect(output.contains(" \(label):"), "\(label) missing: \(output.suffix(3000))")
            }
            #expect(output.contains("connection state connected") && output.contains("pc="), "\(output.suffix(3000))")
            #expect(output.contains("member joined") && output.contains("room=logs"), "\(output.suffix(3000))")
            #expect(output.contains("channel closed"), "\(output.suffix(3000))")
            #expect(!output.contains(" debug "), "nothing below info: \(output.suffix(3000))")
        }
    }
}
