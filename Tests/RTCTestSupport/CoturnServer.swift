import Foundation

/// How a test's coturn is set up: authentication, realm, ports and extra switches.
public struct CoturnConfiguration: Sendable {
    /// How clients authenticate. coturn will not mix the two in one instance (INTEROP.md).
    public enum Authentication: Sendable {
        /// `lt-cred-mech` with one static user (RFC 8489 §9.2).
        case longTerm(username: String, password: String)
        /// Time-limited REST credentials derived from this shared secret
        /// (`use-auth-secret` + `static-auth-secret`).
        case restSecret(String)
    }

    /// How clients authenticate; by default the long-term user alice/wonderland.
    public var authentication: Authentication
    /// The realm it uses.
    public var realm: String
    /// The UDP/TCP port it listens on at 127.0.0.1; `nil` picks a free one.
    public var listeningPort: UInt16?
    /// The ports relayed allocations are taken from.
    public var relayPorts: ClosedRange<UInt16>
    /// `--verbose`: logs every request (tests that read coturn's log need it).
    public var verbose: Bool
    /// Further `turnserver` options, e.g. `--stale-nonce=2`.
    public var extraArguments: [String]
    /// A TLS listener (`turns:`) with this certificate; `nil`: `--no-tls`.
    public var tls: CoturnTLS?

    /// A configuration; every part has a default.
    public init(authentication: Authentication = .longTerm(username: "alice", password: "wonderland"),
                realm: String = "swiftrtc.test", listeningPort: UInt16? = nil,
                relayPorts: ClosedRange<UInt16> = 40000...49999, verbose: Bool = false,
                extraArguments: [String] = [], tls: CoturnTLS? = nil) {
        self.authentication = authentication
        self.realm = realm
        self.listeningPort = listeningPort
        self.relayPorts = relayPorts
        self.verbose = verbose
        self.extraArguments = extraArguments
        self.tls = tls
    }

    /// The `turnserver` command line, with its database and pid file in `directory`.
    func arguments(port: UInt16, directory: URL) -> [String] {
        var arguments = [
            "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=\(port)",
            "--min-port=\(relayPorts.lowerBound)", "--max-port=\(relayPorts.upperBound)", "--realm=\(realm)",
            "--no-cli", "--no-dtls", "--allow-loopback-peers", "--no-multicast-peers",
            "--userdb=\(directory.path)/turndb", "--pidfile=\(directory.path)/turnserver.pid",
            "--log-file=stdout", "--simple-log",
        ]
        switch authentication {
        case .longTerm(let username, let password):
            arguments += ["--lt-cred-mech", "--user=\(username):\(password)"]
        case .restSecret(let secret):
            arguments += ["--use-auth-secret", "--static-auth-secret=\(secret)"]
        }
        if let tls {
            arguments += ["--cert=\(tls.certificatePath)", "--pkey=\(tls.privateKeyPath)", "--tls-listening-port=\(tls.port)"]
        } else {
            arguments.append("--no-tls")
        }
                if verbose { arguments.append("--verbose") }
        return arguments + extraArguments
    }
}

/// coturn's TLS listener: a PEM certificate and key (see ``make(in:)``) and the port.
public struct CoturnTLS: Sendable {
    /// The certificate file (PEM).
    public var certificatePath: String
    /// The private key file (PEM, unencrypted).
    public var privateKeyPath: String
    /// The TLS port at 127.0.0.1.
    public var port: UInt16
    /// The certificate's PEM text, for a client to trust it.
    public var certificatePEM: String

    /// A fresh self-signed P-256 certificate for `IP:127.0.0.1` (openssl), in `directory`,
    /// on a free port.
    public static func make(in directory: URL) throws -> CoturnTLS {
        let exe = try InteropEnvironment.executable("openssl", installHint: "apt-get install openssl")
        let cert = directory.appendingPathComponent("turn-cert.pem").path
        let key = directory.appendingPathComponent("turn-key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=swiftrtc-turn-test",
                             "-addext", "subjectAltName=IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CertificateNotMade(status: process.terminationStatus) }
        return CoturnTLS(certificatePath: cert, privateKeyPath: key, port: InteropEnvironment.freePort(udp: false),
                         certificatePEM: try String(contentsOfFile: cert, encoding: .utf8))
    }
}

/// openssl could not make the test certificate.
public struct CertificateNotMade: Error {
    /// openssl's exit status.
    public var status: Int32
}

/// A real coturn (`turnserver`) on 127.0.0.1, started for one test: the one way every test
/// target launches coturn (STUN, ICE server-reflexive, TURN client, signaling TURN credentials).
/// Callers must be in a private network namespace (`InteropEnvironment.requirePrivateNamespace()`).
public final class CoturnServer: @unchecked Sendable {
    /// How it was started.
    public let configuration: CoturnConfiguration
    /// The UDP/TCP port it listens on at 127.0.0.1.
    public let port: UInt16
    /// The running process (its output helps diagnose failures; `--verbose` logs requests).
    public let process: PeerProcess
    private let directory: URL

    /// Starts coturn. It is ready a moment later: probe it (clients retransmit) or call
    /// `waitUntilListening()` before relying on it.
    public init(_ configuration: CoturnConfiguration = CoturnConfiguration()) throws {
        let exe = try InteropEnvironment.executable("turnserver", installHint: "apt-get install coturn")
        self.configuration = configuration
        port = configuration.listeningPort ?? InteropEnvironment.freePortForUDPAndTCP()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-coturn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = try PeerProcess("coturn", executable: exe, arguments: configuration.arguments(port: port, directory: directory))
    }

    /// The realm it uses.
    public var realm: String { configuration.realm }

    /// The long-term user (`nil` with REST-secret authentication).
    public var longTermUser: (username: String, password: String)? {
        if case .longTerm(let username, let password) = configuration.authentication { (username, password) } else { nil }
    }

    /// Waits until coturn logs that its UDP listener is open.
    public func waitUntilListening(timeout: Double = 15) async throws {
        try await process.waitForLine(timeout: timeout) { $0.contains("listener opened on") || $0.contains("IPv4. UDP listener opened") }
    }

    /// Stops coturn and removes its temporary files.
    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
