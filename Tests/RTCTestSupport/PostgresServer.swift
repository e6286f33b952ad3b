import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Creates the cluster, starts it and creates the database `swiftrtc` (``init()``), off the
    /// cooperative pool (``runOffThePool(_:)``: `initdb` and `pg_ctl start` take seconds).
    public static func started() async throws -> PostgresServer {
        try await runOffThePool { try PostgresServer() }
    }

    /// Creates the cluster (`initdb`), starts it and creates the database `swiftrtc`; blocks
    /// its thread meanwhile (tests call ``started()``).
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
        try startBlocking()
        try run("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "swiftrtc", "swiftrtc"])
    }

    /// Starts (or restarts) the server and waits until it accepts connections (off the pool).
    public func start() async throws {
        try await runOffThePool { try self.startBlocking() }
    }

    private func startBlocking() throws {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off "
            + "-c full_page_writes=off -c max_connections=200 -c log_min_messages=log"
        try run("pg_ctl", ["start", "-w", "-t", "30", "-D", dataDirectory, "-l", logFile, "-o", options])
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: connections drop, like a crash).
    public func stop() async throws {
        _ = try await runOffThePool { try self.run("pg_ctl", ["stop", "-w", "-m", "immediate", "-D", self.dataDirectory]) }
    }

    /// Freezes the server: SIGSTOP to the postmaster and every process it started. Connections
    /// stay open and nothing answers, as with a database host that hangs or a connection left
    /// half-open. ``thaw()`` lets it go on; `psql` calls hang meanwhile.
    public func freeze() throws { try signalServer(SIGSTOP) }

    /// Lets a frozen server go on (SIGCONT).
    public func thaw() throws { try signalServer(SIGCONT) }

    private func signalServer(_ signal: Int32) throws {
        let pidFile = (try? String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8)) ?? ""
        guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }), postmaster > 0 else {
            throw PeerProcessError(message: "signal \(signal): no postmaster.pid in \(dataDirectory)", output: pidFile)
        }
        // Its children from /proc (the parent pid is the second field after the name's ")").
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == postmaster ? pid : nil
        }
        // The children first when stopping (none acts on the postmaster's stop), last when continuing.
        let order = signal == SIGSTOP ? children + [postmaster] : [postmaster] + children
        guard kill(postmaster, 0) == 0 else {
            throw PeerProcessError(message: "signal \(signal): the postmaster (\(postmaster)) is not running", output: "")
        }
        for pid in order { _ = kill(pid, signal) }
    }

    /// Runs one SQL statement with `psql` and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String) async throws -> String {
        try await runOffThePool { try self.psqlBlocking(sql) }
    }

    private func psqlBlocking(_ sql: String) throws -> String {
        try run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "swiftrtc", "-d", "swiftrtc", "-X", "-A", "-t", "-q",
                         "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's log so far (for failure messages).
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Stops the server and removes its directory.
    public func shutdown() {
        try? thaw()  // a frozen server would not stop
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

    /// Runs a tool to its end and returns its output. Not with Foundation's `Process`: that
    /// gives the child one end of a socket pair and waits for it to close, and the server
    /// `pg_ctl start` leaves running would inherit it (the call would never return). Here the
    /// child is spawned with every descriptor above 2 closed (by a small shell prologue) and
    /// reaped with `waitpid`; its output goes to a file.
    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let prologue = #"cd /; for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; exec "$@""#
        let argv = ["/bin/bash", "-c", prologue, "swiftrtc-pg", executable] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw PeerProcessError(message: "\(what): cannot start \(executable) (errno \(spawned))", output: "")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw PeerProcessError(message: "\(what) failed (wait status \(status))", output: output)
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
