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
            guard let self, !data.isEmpty else { return }
            self.lock.withLock {
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
                try? await Task.sleep(nanoseconds: 50_000_000)
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
                throw PeerProcessError(message: "\(name) did not exit within \(timeout) s", output: allOutput)
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return process.terminationStatus
    }

    /// Stops the process (SIGTERM, then SIGKILL if it lingers).
    public func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        for _ in 0..<50 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
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
