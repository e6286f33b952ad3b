import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real peer an interop test needs is not installed or not usable. Interop tests throw this
/// so a missing peer fails the run loudly instead of being skipped.
public struct InteropPeerMissing: Error, CustomStringConvertible {
    /// What is missing and how to install it.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}

/// Where the real peers (coturn, openssl, chromium, a Python venv with aiortc/aioice) live,
/// and checks that interop tests run inside a private, loopback-only network namespace.
public enum InteropEnvironment {
    /// The repository root (the folder holding Package.swift).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// Path of an executable found on PATH or in the usual system folders.
    public static func executable(_ name: String, installHint: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"]
        for dir in dirs {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw InteropPeerMissing("\(name) is not installed (\(installHint)); scripts/test.sh installs it")
    }

    /// The Python interpreter of the test-peer venv (aiortc, aioice): `$SWIFTRTC_PEER_PYTHON`
    /// or `<repo>/.venv/bin/python`.
    public static func peerPython() throws -> String {
        if let env = ProcessInfo.processInfo.environment["SWIFTRTC_PEER_PYTHON"], FileManager.default.isExecutableFile(atPath: env) {
            return env
        }
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        throw InteropPeerMissing("no Python venv with aiortc/aioice at \(venv); run scripts/test.sh (it creates it)")
    }

    /// `true` when this process's network namespace is private: its only interfaces are
    /// loopback and, optionally, the veth pair `d0`/`d1` that scripts/test.sh adds (both ends
    /// in this namespace, so it reaches nothing outside; it gives hosts a second address,
    /// 10.99.0.1, as real machines have).
    public static var isPrivateLoopbackNamespace: Bool { privateNamespaceAtFirstLook }

    /// Looked at once, when the first test asks: the process does not change namespace, and
    /// tests that give a peer a host of its own (`IsolatedHost`) add veth ends to this namespace
    /// while they run — looking again then would refuse every other interop test meanwhile
    /// (seen in CI: two suites failed "must run in a private network namespace" mid-run).
    private static let privateNamespaceAtFirstLook: Bool = lookAtNamespace()

    private static func lookAtNamespace() -> Bool {
        // /proc/self/net/dev lists the interfaces of this process's network namespace
        // (/sys/class/net would show the namespace sysfs was mounted in).
        guard let text = try? String(contentsOfFile: "/proc/self/net/dev", encoding: .utf8) else { return false }
        let names = text.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
        return names == ["lo"] || (names.sorted() == ["d0", "d1", "lo"] && vethPeersEachOther)
    }

    /// Whether `d0` and `d1` are the two ends of one veth pair, both in this namespace: `ip`
    /// names a veth's peer (`d0@d1`) only when the peer is in the same namespace (`d0@if7`
    /// otherwise).
    static var vethPeersEachOther: Bool {
        let ip = Process()
        ip.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        ip.arguments = ["-o", "link", "show"]
        let pipe = Pipe()
        ip.standardOutput = pipe
        ip.standardError = FileHandle.nullDevice
        guard (try? ip.run()) != nil else { return false }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        ip.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return text.contains(": d0@d1:") && text.contains(": d1@d0:")
    }

    /// Throws unless the process runs in a private loopback-only network namespace. Interop
    /// tests call this first so real peers can never reach anything but 127.0.0.1 / ::1.
    public static func requirePrivateNamespace() throws {
        guard isPrivateLoopbackNamespace else {
            throw InteropPeerMissing("interop tests must run in a private network namespace: use scripts/test.sh (unshare --net)")
        }
    }

    /// A port that is free for UDP and for TCP at 127.0.0.1 at once (coturn listens on both
    /// with one number: a port free for UDP only once left its TCP listener refusing
    /// connections — an ephemeral TCP port of another test held it).
    public static func freePortForUDPAndTCP() -> UInt16 {
        #if canImport(Glibc)
        for _ in 0..<50 {
            let port = freePort(udp: true)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if bound == 0 { return port }
        }
        #endif
        return freePort(udp: true)
    }

    /// Ports handed out by ``freePort(udp:)``: below the kernel's ephemeral range (32768 and
    /// up), so no connection's source port and no bind to port 0 can take one between the
    /// check and the test's own bind; each is handed out once per process.
    private static let handOutRange = 20_000..<32_700
    private static let portLock = NSLock()
    nonisolated(unsafe) private static var nextPort = handOutRange.lowerBound + Int(getpid() % 4_000) * 3

    /// A UDP or TCP port on 127.0.0.1 that was free a moment ago, not handed out before in
    /// this process, and outside the ephemeral range (a port taken from there by binding port 0
    /// could be reused as another test's source port before this test binds it).
    public static func freePort(udp: Bool = true) -> UInt16 {
        #if canImport(Glibc)
        for _ in 0..<handOutRange.count {
            let port: Int = portLock.withLock {
                let port = nextPort
                nextPort = nextPort + 1 < handOutRange.upperBound ? nextPort + 1 : handOutRange.lowerBound
                return port
            }
            let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if bound == 0 { return UInt16(port) }
        }
        fatalError("no free port in \(handOutRange)")
        #else
        return UInt16.random(in: 20000...60000)
        #endif
    }
}
