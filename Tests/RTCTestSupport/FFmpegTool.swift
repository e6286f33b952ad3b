import Foundation

/// Runs Debian's ffmpeg and ffprobe on files a test wrote. A missing ffmpeg fails the test
/// (InteropPeerMissing), in CI and locally: scripts/install-peers.sh installs it.
public enum FFmpegTool {
    /// What a run printed and how it ended.
    public struct Result: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything written to standard output.
        public var standardOutput: String
        /// Everything written to standard error.
        public var standardError: String
    }

    /// What ffprobe counts in the first stream of a file.
    public struct StreamCounts: Sendable {
        /// ffprobe's codec name (`vp8`, `opus`, …).
        public var codecName: String
        /// Packets read.
        public var packets: Int
        /// Frames decoded.
        public var frames: Int
        /// Video width.
        public var width: Int?
        /// Video height.
        public var height: Int?
    }

    /// Runs `tool` (ffmpeg or ffprobe) with `arguments` and waits for it, off the cooperative
    /// pool (``runOffThePool(_:)``: encoding a test file can take seconds of a loaded machine).
    /// Runs take turns through ``FFmpegGate`` (one at a time per two cores) at a lower CPU
    /// priority: two dozen media tests starting together once ran 25 encoders at once on 2
    /// cores, and every real-time test of the process starved for half a minute (consent
    /// expired between two in-process peers).
    public static func run(_ tool: String, _ arguments: [String]) async throws -> Result {
        try await FFmpegGate.shared.run {
            try await runOffThePool { try runBlocking(tool, arguments) }
        }
    }

    private static func runBlocking(_ tool: String, _ arguments: [String]) throws -> Result {
        let executable = try InteropEnvironment.executable(tool, installHint: "apt-get install ffmpeg")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ffmpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out")
        let errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/nice") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
            process.arguments = ["-n", "10", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Runs ffmpeg with `arguments` (after `-nostdin -v error -y`) and throws unless it succeeds:
    /// how tests make media files (`-f lavfi -i testsrc…`). The last argument is the output
    /// file. ffmpeg's synthetic sources are deterministic, so a file made with the same
    /// arguments before in this process is copied instead of encoded again (``FFmpegFileCache``).
    public static func make(_ arguments: [String]) async throws {
        guard let output = arguments.last, !output.hasPrefix("-"), arguments.count > 1 else {
            try await makeUncached(arguments)
            return
        }
        let recipe = Array(arguments.dropLast())
        let cached = try await FFmpegFileCache.shared.file(for: recipe, extension: URL(fileURLWithPath: output).pathExtension) { path in
            try await makeUncached(recipe + [path])
        }
        let destination = URL(fileURLWithPath: output)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: cached, to: destination)
    }

    private static func makeUncached(_ arguments: [String]) async throws {
        let result = try await run("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
        guard result.status == 0 else { throw PeerProcessError(message: "ffmpeg \(arguments.joined(separator: " ")) failed", output: result.standardError) }
    }

    /// `ffmpeg -v error -i FILE -enc_time_base -1 -f null -`: decodes every frame and prints
    /// only errors. The frames keep the file's time base (`-enc_time_base -1`): by default
    /// ffmpeg re-times decoded video in 1/frame-rate units, and two frames of a live camera
    /// that came closer than that (a variable frame rate, distinct in the file) then "repeat"
    /// a time stamp and draw a false "non monotonically increasing dts" complaint.
    public static func decode(_ path: String) async throws -> Result {
        try await run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-enc_time_base", "-1", "-f", "null", "-"])
    }

    /// ffprobe's packet and decoded-frame counts of the first stream.
    public static func probe(_ path: String) async throws -> StreamCounts {
        let result = try await run("ffprobe", ["-v", "error", "-count_frames", "-count_packets", "-select_streams", "0",
                                         "-show_entries", "stream=codec_name,nb_read_frames,nb_read_packets,width,height",
                                         "-of", "json", path])
        guard result.status == 0,
              let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
              let stream = (json["streams"] as? [[String: Any]])?.first
        else { throw PeerProcessError(message: "ffprobe \(path) failed (\(result.status))", output: result.standardError) }
        func int(_ key: String) -> Int? {
            (stream[key] as? String).flatMap(Int.init) ?? stream[key] as? Int
        }
        return StreamCounts(codecName: stream["codec_name"] as? String ?? "", packets: int("nb_read_packets") ?? -1,
                            frames: int("nb_read_frames") ?? -1, width: int("width"), height: int("height"))
    }
}

extension FFmpegTool {
    /// What ffprobe counts in one stream (`v:0`, `a:0`), plus its key packets.
    public struct ProbedStream: Sendable {
        /// ffprobe's codec name (`vp8`, `opus`, …).
        public var codecName: String
        /// Packets read.
        public var packets: Int
        /// Frames decoded.
        public var frames: Int
        /// Video width.
        public var width: Int?
        /// Video height.
        public var height: Int?
        /// Packets flagged as key.
        public var keyPackets: Int
    }

    /// ffprobe's packet, decoded-frame and key-packet counts of the stream `selector` selects.
    public static func probe(_ path: String, stream selector: String) async throws -> ProbedStream {
        let result = try await run("ffprobe", ["-v", "error", "-count_frames", "-count_packets", "-select_streams", selector,
                                         "-show_entries", "stream=codec_name,nb_read_frames,nb_read_packets,width,height",
                                         "-of", "json", path])
        guard result.status == 0,
              let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
              let stream = (json["streams"] as? [[String: Any]])?.first
        else { throw PeerProcessError(message: "ffprobe \(selector) of \(path) failed (\(result.status))", output: result.standardError) }
        func int(_ key: String) -> Int? { (stream[key] as? String).flatMap(Int.init) ?? stream[key] as? Int }
        let flags = try await run("ffprobe", ["-v", "error", "-select_streams", selector, "-show_entries", "packet=flags", "-of", "csv=p=0", path])
        let keys = flags.standardOutput.split(separator: "\n").filter { $0.hasPrefix("K") }.count
        return ProbedStream(codecName: stream["codec_name"] as? String ?? "", packets: int("nb_read_packets") ?? -1,
                            frames: int("nb_read_frames") ?? -1, width: int("width"), height: int("height"), keyPackets: keys)
    }

    /// The container's duration in seconds as ffprobe reports it (`format=duration`).
    public static func formatDuration(_ path: String) async throws -> Double {
        let result = try await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        guard result.status == 0, let seconds = Double(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PeerProcessError(message: "ffprobe duration of \(path): \(result.standardOutput)", output: result.standardError)
        }
        return seconds
    }

    /// The presentation times (seconds) of the packets of the stream `selector` selects, in
    /// file order.
    public static func packetTimes(_ path: String, stream selector: String) async throws -> [Double] {
        let result = try await run("ffprobe", ["-v", "error", "-select_streams", selector, "-show_entries", "packet=pts_time",
                                         "-of", "csv=p=0", path])
        guard result.status == 0 else {
            throw PeerProcessError(message: "ffprobe packet times of \(path) failed (\(result.status))", output: result.standardError)
        }
        return result.standardOutput.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// Lets ffmpeg and ffprobe runs take turns: at most one per two cores at a time (at least one).
public enum FFmpegGate {
    /// The gate every ``FFmpegTool`` run goes through.
    public static let shared = PermitGate(permits: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
}

/// Files ffmpeg made in this process, by the arguments that made them: a second test asking
/// for the same file gets a copy (and one that asks while it is being made waits for it).
public actor FFmpegFileCache {
    /// The cache ``FFmpegTool/make(_:)`` uses.
    public static let shared = FFmpegFileCache()

    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-ffmpeg-cache-\(getpid())")
    private var files: [String: Task<URL, any Error>] = [:]
    private var made = 0

    /// The file `recipe` (ffmpeg's arguments without the output) makes, made by `make(path)`
    /// on first use.
    public func file(for recipe: [String], extension ext: String,
                     make: @escaping @Sendable (String) async throws -> Void) async throws -> URL {
        let key = recipe.joined(separator: "\u{1F}") + "\u{1F}" + ext
        if let task = files[key] { return try await task.value }
        made += 1
        let path = directory.appendingPathComponent("\(made).\(ext.isEmpty ? "bin" : ext)")
        let directory = directory
        let task = Task<URL, any Error> {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try await make(path.path)
            return path
        }
        files[key] = task
        do {
            return try await task.value
        } catch {
            files[key] = nil  // a failed make is not remembered
            throw error
        }
    }
}
