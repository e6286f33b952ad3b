import ArgumentParser
import Foundation
import Logging
import RTCSignaling
import SwiftRTC

/// The options every room command takes: `--signal ws://HOST:PORT/ws --room NAME [--peer-id ID]`.
struct RoomOptions: ParsableArguments {
    @Option(help: "The signaling server's WebSocket URL, e.g. ws://127.0.0.1:8080/ws.")
    var signal: String

    @Option(help: "The room to join.")
    var room: String

    @Option(help: "Our peer id in the room (default: a random one).")
    var peerID: String?

    @Option(help: "Reconnect attempts to the signaling server before giving up.")
    var maxReconnects: Int = 5

    @Option(help: ArgumentHelp("Log level of the records written to standard error.",
                               discussion: "The default, warning, keeps the command's progress output clean; info shows connection, ICE, DTLS and channel events, debug also candidates and descriptions."))
    var logLevel: Logger.Level = .warning

    @Option(name: .customLong("ice-server"),
            help: ArgumentHelp("A STUN or TURN server (repeatable): \(ICEServer.commandLineURLForms).",
                               discussion: "HOST is an IP address or localhost; the port defaults to 3478 (5349 for turns:). When the signaling server hands out TURN credentials (/turn-credentials, derived from a ws:// --signal URL) they are fetched and used too."))
    var iceServerURLs: [String] = []

    @Option(help: "PEM certificate(s) that turns: servers' certificates must chain to, instead of the system's trust store (e.g. a private CA or a self-signed server certificate).")
    var turnsCAFile: String?

    @Flag(help: ArgumentHelp("Join an SFU room: one connection, to the signaling server's SFU, which forwards every member's tracks.",
                             discussion: "The room must be an SFU room (or new); the server must run its SFU (swiftrtc serve does unless --no-sfu)."))
    var sfu = false

    @Flag(help: "Use relayed (TURN) candidates only, hiding this host's addresses; needs a TURN server from --ice-server or the signaling server.")
    var relayOnly = false

    /// The parsed `--ice-server` entries.
    func iceServers() throws -> [ICEServer] {
        try iceServerURLs.map { url in
            do { return try ICEServer(commandLineURL: url) } catch { throw ValidationError("--ice-server: \(error)") }
        }
    }

    func validate() throws {
        let servers = try iceServers()
        guard signal.hasPrefix("ws://") || signal.hasPrefix("wss://") else {
            throw ValidationError("--signal must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:8080/ws")
        }
        guard !room.isEmpty, room.utf8.count <= 64 else { throw ValidationError("--room must be 1–64 bytes") }
        if let peerID, peerID.isEmpty || peerID.utf8.count > 64 { throw ValidationError("--peer-id must be 1–64 bytes") }
        if let turnsCAFile, (try? String(contentsOfFile: turnsCAFile, encoding: .utf8))?.contains("-----BEGIN CERTIFICATE-----") != true {
            throw ValidationError("--turns-ca-file: \(turnsCAFile) is not a readable PEM certificate file")
        }
        let hasTURN = servers.contains { $0.urls.contains { !$0.hasPrefix("stun:") } }
        if relayOnly, !hasTURN, TURNCredentialsSource.credentialsURL(forSignalingURL: signal) == nil {
            throw ValidationError("--relay-only needs a TURN server: give --ice-server turn:USER:PASS@HOST:PORT (a wss:// server's TURN credentials cannot be fetched)")
        }
    }

    /// A room client for these options; `channelLabel` is the channel created on each offered
    /// connection, `configure` sets the rest (tracks to send, whether to receive media).
    func makeRoom(command: String, channelLabel: String? = "chat",
                  _ configure: (inout RoomClient.Configuration) -> Void = { _ in }) -> RoomClient {
        let id = peerID ?? "\(command)-\(String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16))"
        let signaling = SignalingClient(url: signal, peerID: id, roomID: room,
                                        reconnectPolicy: SignalingReconnectPolicy(maxAttempts: maxReconnects),
                                        logger: CommandLogging.logger("swiftrtc.signaling", level: logLevel),
                                        mode: sfu ? .sfu : .mesh)
        var configuration = RoomClient.Configuration()
        configuration.channelLabel = channelLabel
        let servers = (try? iceServers()) ?? []  // validate() has refused bad ones
        configuration.iceServers = servers
        configuration.iceTransportPolicy = relayOnly ? .relay : .all
        if let turnsCAFile, let pem = try? String(contentsOfFile: turnsCAFile, encoding: .utf8) {
            configuration.turnTLSTrustRoots = .pem(pem)
        }
        if let url = TURNCredentialsSource.credentialsURL(forSignalingURL: signal) {
            // Fetched when the server hands them out; required when relay-only has no other TURN server.
            let hasTURN = servers.contains { $0.urls.contains { !$0.hasPrefix("stun:") } }
            configuration.turnCredentials = TURNCredentialsSource(url: url, user: id.replacingOccurrences(of: ":", with: "-"),
                                                                  optional: !relayOnly || hasTURN)
        }
        configure(&configuration)
        let webRTC = WebRTCClient(engine: .native)  // its connections log through the bootstrapped LoggingSystem
        return RoomClient(webRTC: webRTC, signaling: signaling, configuration: configuration,
                          logger: CommandLogging.logger("swiftrtc.room", level: logLevel))
    }
}

/// A command failed: the message is printed (`Error: …`) and the exit status is 1.
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, for the user.
    var description: String
    init(_ description: String) { self.description = description }
}

enum Console {
    /// Writes one line to standard output at once (unbuffered, so a parent process reading a
    /// pipe sees each line as it happens).
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes to standard error without a newline.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Calls `action` (once) on SIGINT or SIGTERM instead of dying; keep the result alive.
    static func onTerminationSignal(_ action: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        let fired = Once()
        return [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { if fired.first() { action() } }
            source.resume()
            return source
        }
    }
}

/// `true` the first time only.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func first() -> Bool { lock.withLock { defer { done = true }; return !done } }
}

/// Runs `body`, throwing `CommandFailure(message)` if it takes longer than `seconds` (0 = no limit).
func withDeadline<T: Sendable>(_ seconds: Double, _ message: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard seconds > 0 else { return try await body() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw CommandFailure(message)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Megabits per second for `bytes` moved in `seconds`.
func megabitsPerSecond(_ bytes: Int, _ seconds: Double) -> String {
    String(format: "%.1f Mbit/s", seconds > 0 ? Double(bytes) * 8 / seconds / 1e6 : 0)
}

/// A monotonic clock reading in seconds.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
