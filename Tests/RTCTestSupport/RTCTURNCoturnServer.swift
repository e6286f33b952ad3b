import Foundation

/// A real coturn on 127.0.0.1 for the TURN client's interop tests, with a choice of
/// authentication the shared `CoturnServer` does not offer: long-term users or a REST
/// shared secret (`use-auth-secret` + `static-auth-secret`; coturn will not mix the two in
/// one instance, INTEROP.md), plus extra options such as `--stale-nonce=N`.
/// Callers must be in a private network namespace (`InteropEnvironment.requirePrivateNamespace()`).
public final class TURNCoturnServer: @unchecked Sendable {
    /// How clients authenticate.
    public enum Authentication: Sendable {
        /// `lt-cred-mech` with one static user (RFC 8489 §9.2).
        case longTerm(username: String, password: String)
        /// Time-limited REST credentials derived from this shared secret.
        case restSecret(String)
    }

    /// The UDP port it listens on at 127.0.0.1.
    public let port: UInt16
    /// The realm it uses.
    public let realm: String
    /// The running process (its output helps diagnose failures).
    public let process: PeerProcess
    private let directory: URL

    /// Starts coturn on a free port; it is ready a moment later (clients retransmit).
    public init(realm: String = "swiftrtc.test", authentication: Authentication, extraArguments: [String] = []) throws {
        let exe = try InteropEnvironment.executable("turnserver", installHint: "apt-get install coturn")
        self.port = InteropEnvironment.freePort()
        self.realm = realm
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coturn-turn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=\(port)",
            "--min-port=40000", "--max-port=49999", "--realm=\(realm)",
            "--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-multicast-peers",
            "--userdb=\(directory.path)/turndb", "--pidfile=\(directory.path)/turnserver.pid",
            "--log-file=stdout", "--simple-log",
        ]
        switch authentication {
        case .longTerm(let username, let password):
            arguments += ["--lt-cred-mech", "--user=\(username):\(password)"]
        case .restSecret(let secret):
            arguments += ["--use-auth-secret", "--static-auth-secret=\(secret)"]
        }
        process = try PeerProcess("coturn", executable: exe, arguments: arguments + extraArguments)
    }

    /// Stops coturn and removes its temporary files.
    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
