import Foundation

/// A process on a host of its own: a network namespace made for it (`unshare --net`), joined to
/// the test's namespace by veth pairs the test configures, so that a test can give a peer its
/// own addresses, route between hosts, and change a host's addresses while it runs (a laptop
/// moving to another network). The process waits until ``start()`` before it runs its
/// executable, so its network is ready when it first looks at its interfaces.
///
/// Needs the test's own private namespace (`InteropEnvironment.requirePrivateNamespace()`):
/// links and routes are made there, never on the machine's real network.
public final class IsolatedHost: @unchecked Sendable {
    /// The name used in messages and interface names.
    public let name: String
    /// The running process (a shell waiting for ``start()``, then the executable).
    public let process: PeerProcess
    private let readyFile: URL

    /// Starts `executable` with `arguments` in a new network namespace (loopback up), held
    /// until ``start()``.
    public init(_ name: String, executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        try InteropEnvironment.requirePrivateNamespace()
        self.name = name
        readyFile = FileManager.default.temporaryDirectory.appendingPathComponent("host-\(name)-\(UUID().uuidString)")
        let unshare = try InteropEnvironment.executable("unshare", installHint: "apt-get install util-linux")
        let ip = try Self.ipPath()
        let script = "\(ip) link set lo up; while [ ! -e \"$0\" ]; do sleep 0.02; done; rm -f \"$0\"; exec \"$@\""
        process = try PeerProcess(name, executable: unshare, arguments: ["--net", "--", "/bin/sh", "-c", script, readyFile.path, executable] + arguments,
                                  environment: environment)
    }

    /// Lets the executable run.
    public func start() {
        _ = FileManager.default.createFile(atPath: readyFile.path, contents: nil)
    }

    /// Runs `ip` with `arguments` inside this host's namespace; throws with its output on failure.
    public func ip(_ arguments: String...) throws {
        let nsenter = try InteropEnvironment.executable("nsenter", installHint: "apt-get install util-linux")
        try Self.run(nsenter, ["-t", "\(process.processIdentifier)", "-n", try Self.ipPath()] + arguments)
    }

    /// Runs `ip` with `arguments` in the test's namespace.
    public static func ip(_ arguments: String...) throws {
        try run(try ipPath(), arguments)
    }

    /// Joins this host to the test's namespace with a veth pair: `outside` (in the test's
    /// namespace, with `outsideAddress`, a CIDR) and `inside` (moved into this host, with
    /// `insideAddress`), and, when `gateway` is given, this host's default route through it.
    public func link(outside: String, outsideAddress: String, inside: String, insideAddress: String, gateway: String? = nil) throws {
        try Self.ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        try Self.ip("link", "set", inside, "netns", "\(process.processIdentifier)")
        try Self.ip("addr", "add", outsideAddress, "dev", outside)
        try Self.ip("link", "set", outside, "up")
        try ip("addr", "add", insideAddress, "dev", inside)
        try ip("link", "set", inside, "up")
        if let gateway { try ip("route", "replace", "default", "via", gateway) }
    }

    /// Turns on IPv4 forwarding in the test's namespace, which then routes between hosts.
    public static func enableForwarding() throws {
        try "1\n".write(toFile: "/proc/sys/net/ipv4/ip_forward", atomically: false, encoding: .utf8)
    }

    private static func ipPath() throws -> String {
        for path in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw InteropPeerMissing("ip (iproute2) is not installed: apt-get install iproute2")
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerProcessError(message: "\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))",
                                   output: String(decoding: output, as: UTF8.self))
        }
    }
}

/// `count` random bytes from the kernel (`/dev/urandom`): fast enough for the 50 MiB that
/// transfer tests send, where building them one `UInt64` at a time in a debug build costs
/// seconds of CPU that other suites running beside it would miss.
public func randomTestData(count: Int) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: "/dev/urandom") else {
        throw PeerProcessError(message: "cannot open /dev/urandom", output: "")
    }
    defer { try? handle.close() }
    var data = Data()
    while data.count < count, let chunk = try handle.read(upToCount: min(count - data.count, 1 << 20)), !chunk.isEmpty {
        data.append(chunk)
    }
    return data
}
