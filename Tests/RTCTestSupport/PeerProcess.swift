import Foundation
import NIOConcurrencyHelpers

/// A real peer running as a child process (coturn, openssl, python, chromium), with its
/// output collected line by line so a test can wait for what it prints.
///
/// The process is killed when `terminate()` is called or the object is released.
public final class PeerProcess: @unchecked Sendable {
    private let process = Process()
    private let stdinPipe = Pipe()
    private let outPipe = Pipe()
    private let lock = NIOLock()
    private var buffer = Data()
    private var lines: [String] = []
    /// Set when the output pipe reached end of file (every writer closed it).
    private var reachedEnd = false
    /// When the process last printed anything (for ``waitForExit(stalledAfter:atMost:)``).
    private var lastOutput = Date()
    /// A short name used in error messages.
    public let name: String

    /// Starts `executable` with `arguments`. Standard error is merged into the output.
    public init(_ name: String, executable: String, arguments: [String], environment: [String: String]? = nil,
                currentDirectory: URL? = nil) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = stdinPipe
        process.standardOutput = outPipe
        process.standardError = outPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            guard !data.isEmpty else {
                self.lock.withLock { self.reachedEnd = true }
                handle.readabilityHandler = nil
                return
            }
            self.lock.withLock {
                self.lastOutput = Date()
                self.buffer.append(data)
                while let nl = self.buffer.firstIndex(of: 0x0a) {
                    let line = String(decoding: self.buffer[self.buffer.startIndex..<nl], as: UTF8.self)
                    self.lines.append(line)
                    self.buffer.removeSubrange(self.buffer.startIndex...nl)
                }
            }
        }
        try process.run()
    }

    /// Every complete line printed so far.
    public var output: [String] { lock.withLock { lines } }

    /// Everything printed so far, including an unfinished last line.
    public var allOutput: String {
        lock.withLock { (lines + [String(decoding: buffer, as: UTF8.self)]).joined(separator: "\n") }
    }

    /// `true` while the process runs.
    public var isRunning: Bool { process.isRunning }

    /// Writes text to the process's standard input.
    public func write(_ text: String) {
        stdinPipe.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes the process's standard input.
    public func closeInput() {
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// Waits until a printed line satisfies `predicate` and returns it; throws after `timeout`
    /// seconds or if the process exits first, with everything it printed.
    @discardableResult
    public func waitForLine(timeout: Double = 20, where predicate: (String) -> Bool) async throws -> String {
        let start = Date()
        var seen = 0
        while true {
            let snapshot = output
            for line in snapshot[seen...] where predicate(line) { return line }
            seen = snapshot.count
            if !process.isRunning {
                // The process is gone, but what it printed last may still be in the pipe (a long
                // line under load takes a while): read until end of file, for at most 5 s.
                let drainStart = Date()
                while !lock.withLock({ reachedEnd }), Date().timeIntervalSince(drainStart) < 5 {
                    try? await Task.sleep(nanoseconds: 20_000_000)
                }
                if let hit = output.first(where: predicate) { return hit }
                throw PeerProcessError(message: "\(name) exited (status \(process.terminationStatus)) before printing the expected line", output: allOutput)
            }
            if Date().timeIntervalSince(start) > timeout {
                throw PeerProcessError(message: "\(name) did not print the expected line within \(timeout) s", output: allOutput)
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Waits for the process to exit (up to `timeout` seconds) and returns its status.
    @discardableResult
    public func waitForExit(timeout: Double = 30) async throws -> Int32 {
        let start = Date()
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                throw PeerProcessError(message: "\(name) did not exit within \(timeout) s\(lastLineNote)", output: allOutput)
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return try await statusAfterOutputEnds()
    }

    /// Waits for a process that reports progress (a line at least every few seconds) to exit:
    /// fails when it printed nothing for `stalledAfter` seconds (stuck) or ran longer than
    /// `atMost`. A loaded machine makes such a process slower, not silent; this tells the two
    /// apart where one fixed deadline cannot.
    @discardableResult
    public func waitForExit(stalledAfter: Double, atMost: Double) async throws -> Int32 {
        let start = Date()
        while process.isRunning {
            let silence = Date().timeIntervalSince(lock.withLock { lastOutput })
            if silence > stalledAfter {
                throw PeerProcessError(message: "\(name) printed nothing for \(Int(silence)) s\(lastLineNote)", output: allOutput)
            }
            if Date().timeIntervalSince(start) > atMost {
                throw PeerProcessError(message: "\(name) did not exit within \(atMost) s\(lastLineNote)", output: allOutput)
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return try await statusAfterOutputEnds()
    }

    /// " (its last line: …)" for an error message, or nothing when it printed no line.
    private var lastLineNote: String {
        let last = allOutput.split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }
        return last.map { " (its last line: \($0.prefix(160)))" } ?? ""
    }

    private func statusAfterOutputEnds() async throws -> Int32 {
        // What it printed just before exiting may still be in the pipe: read to its end (a
        // child that inherited the pipe can keep it open, so wait at most 2 s for that).
        for _ in 0..<100 where !lock.withLock({ reachedEnd }) {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return process.terminationStatus
    }

    /// The process id (0 before it started).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Kills the process at once with SIGKILL, as a crash would: it sends nothing more.
    public func killAbruptly() {
        let pid = process.processIdentifier
        guard pid > 0, process.isRunning else { return }
        _ = Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGINT (Ctrl-C), letting the process end by itself.
    public func interrupt() {
        let pid = process.processIdentifier
        guard pid > 0, process.isRunning else { return }
        _ = Foundation.kill(pid, SIGINT)
    }

    /// Stops the process (SIGTERM, then SIGKILL if it lingers).
    public func terminate() {
        let pid = process.processIdentifier
        guard pid > 0 else { return }  // never started
        // Children the peer started (Chromium's browser, zygotes, renderers…) would outlive a
        // peer killed by a signal: collect them first, and stop them too.
        let children = Self.descendants(of: pid)
        if process.isRunning {
            process.terminate()
            for _ in 0..<50 where process.isRunning { usleep(10_000) }
            if process.isRunning { kill(pid, SIGKILL) }
        }
        guard !children.isEmpty else { return }
        for child in children { kill(child, SIGTERM) }
        for _ in 0..<20 where children.contains(where: Self.isAlive) { usleep(10_000) }
        for child in children where Self.isAlive(child) { kill(child, SIGKILL) }
    }

    /// Every process below `root` in the parent tree (from /proc; empty where there is none).
    public static func descendants(of root: pid_t) -> [pid_t] {
        var parentOf: [pid_t: pid_t] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = readProcFile("/proc/\(entry)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm)": state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parentOf[pid] = ppid }
        }
        var result: [pid_t] = []
        var frontier: Set<pid_t> = [root]
        while !frontier.isEmpty {
            let next = parentOf.filter { frontier.contains($0.value) }.map(\.key)
            result.append(contentsOf: next)
            frontier = Set(next)
        }
        return result
    }

    /// Reads a /proc file (they report size 0, so read until end of file).
    public static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = readProcFile("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")  // a zombie is already dead
    }

    deinit {
        terminate()
        outPipe.fileHandleForReading.readabilityHandler = nil
    }
}

/// A peer process failed to do what a test waited for; carries its output for diagnosis.
public struct PeerProcessError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// What the process printed.
    public var output: String
    /// Message and output together.
    public var description: String { "\(message)\n--- output ---\n\(output)" }
}
