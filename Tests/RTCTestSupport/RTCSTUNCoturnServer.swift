import Foundation

/// A real coturn (`turnserver`) on 127.0.0.1, started for one test with long-term
/// credentials (INTEROP.md). Used by the STUN, ICE (server-reflexive) and TURN interop tests.
/// Callers must be in a private network namespace (`InteropEnvironment.requirePrivateNamespace()`).
public final class CoturnServer: @unchecked Sendable {
    /// The UDP/TCP port it listens on at 127.0.0.1.
    public let port: UInt16
    /// The realm it uses.
    public let realm: String
    /// The long-term user name.
    public let username: String
    /// The long-term password.
    public let password: String
    /// The running process (its output helps diagnose failures).
    public let process: PeerProcess
    private let directory: URL

    /// Starts coturn on a free port. It is ready a moment later: probe it (e.g. with Binding
    /// requests) before relying on it.
    public init(realm: String = "swiftrtc.test", username: String = "alice", password: String = "wonderland") throws {
        let exe = try InteropEnvironment.executable("turnserver", installHint: "apt-get install coturn")
        self.port = InteropEnvironment.freePort()
        self.realm = realm
        self.username = username
        self.password = password
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coturn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = try PeerProcess("coturn", executable: exe, arguments: [
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=\(port)",
            "--min-port=40000", "--max-port=49999",
            "--realm=\(realm)", "--lt-cred-mech", "--user=\(username):\(password)",
            "--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-multicast-peers",
            "--userdb=\(directory.path)/turndb", "--pidfile=\(directory.path)/turnserver.pid",
            "--log-file=stdout", "--simple-log",
        ])
    }

    /// Stops coturn and removes its temporary files.
    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
