import Foundation

/// A throwaway PostgreSQL cluster for one test: `initdb` into a temporary directory, then
/// `pg_ctl start` listening on 127.0.0.1 only (a free port; its Unix socket in that
/// directory), trust authentication for the user `swiftrtc`, fsync off. The one way tests
/// start PostgreSQL (the cluster mode of the signaling server).
///
/// The binaries come from Debian's packages (`/usr/lib/postgresql/<version>/bin`, installed by
/// `scripts/install-peers.sh`); missing binaries are an error, never a skip. PostgreSQL
/// refuses to run as root: as root, the data directory is handed to the `postgres` user and
/// `initdb`/`pg_ctl` run as that user (through `runuser`). Callers must be in a private
/// network namespace (`InteropEnvironment.requirePrivateNamespace()`).
public final class PostgresServer: @unchecked Sendable {
    /// The TCP port at 127.0.0.1.
    public let port: UInt16
    /// The database URL clients use: `postgres://swiftrtc@127.0.0.1:PORT/swiftrtc`.
    public var url: String { "postgres://swiftrtc@127.0.0.1:\(port)/swiftrtc" }
    /// The directory holding the data, socket and log.
    public let directory: URL
    private let binaries: URL
    private let runAs: String?
    private var dataDirectory: String { directory.appendingPathComponent("data").path }
    private var logFile: String { directory.appendingPathComponent("postgres.log").path }

    /// Creates the cluster (`initdb`), starts it and creates the database `swiftrtc`.
    public init() throws {
        binaries = try Self.findBinaries()
        runAs = getuid() == 0 ? "postgres" : nil
        port = InteropEnvironment.freePort(udp: false)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-postgres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let runAs {
            try Self.run("/bin/chown", [runAs, directory.path], what: "chown the PostgreSQL directory")
        }
        try run("initdb", ["-D", dataDirectory, "-U", "swiftrtc", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"])
        try start()
        try run("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "swiftrtc", "swiftrtc"])
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    public func start() throws {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off "
            + "-c full_page_writes=off -c max_connections=200 -c log_min_messages=log"
        try run("pg_ctl", ["start", "-w", "-t", "30", "-D", dataDirectory, "-l", logFile, "-o", options])
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: connections drop, like a crash).
    public func stop() throws {
        try run("pg_ctl", ["stop", "-w", "-m", "immediate", "-D", dataDirectory])
    }

    /// Runs one SQL statement with `psql` and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        try run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "swiftrtc", "-d", "swiftrtc", "-X", "-A", "-t", "-q",
                         "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's log so far (for failure messages).
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Stops the server and removes its directory.
    public func shutdown() {
        _ = try? run("pg_ctl", ["stop", "-w", "-m", "immediate", "-D", dataDirectory])
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { shutdown() }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let exe = binaries.appendingPathComponent(tool).path
        if let runAs {
            return try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", exe] + arguments, what: tool)
        }
        return try Self.run(exe, arguments, what: tool)
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // PostgreSQL's tools want a working directory the postgres user can read.
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerProcessError(message: "\(what) failed with status \(process.terminationStatus)", output: output)
        }
        return output
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, `pg_ctl` and `postgres`.
    static func findBinaries() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = root.appendingPathComponent("\(version)/bin")
            if ["initdb", "pg_ctl", "postgres", "psql", "createdb"].allSatisfy({
                FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent($0).path)
            }) {
                return bin
            }
        }
        throw InteropPeerMissing("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
            + "(scripts/install-peers.sh installs them: apt-get install postgresql)")
    }
}
