import Crypto
import Foundation

/// The small file-transfer protocol of `swiftrtc send` / `swiftrtc receive` (docs/file-transfer.md):
/// on a data channel labelled `file`, the sender sends a text header, then the bytes as binary
/// messages; the receiver answers with a text receipt carrying the SHA-256 of what it wrote.
enum FileTransfer {
    /// The label of the channel a transfer runs on (the demo page uses the same one).
    static let channelLabel = "file"
    /// Bytes per binary message by default.
    static let defaultChunkSize = 64 * 1024

    /// The first message: what is coming.
    struct Header: Codable, Equatable {
        /// The file's name (informative; the receiver writes where `--out` says).
        var name: String
        /// The number of bytes that follow.
        var size: Int
        /// A MIME type (the demo page uses it for the download link).
        var type: String?
        /// Lower-case hex SHA-256 of the whole file; optional (the demo page does not send it).
        var sha256: String?
    }

    /// The receiver's reply once it has `size` bytes (or gave up).
    struct Receipt: Codable, Equatable {
        /// `"ok"` or `"error"`.
        var status: String
        /// Bytes received.
        var size: Int?
        /// Lower-case hex SHA-256 of what was received.
        var sha256: String?
        /// Why the receiver failed, for `"error"`.
        var message: String?
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw CommandFailure("not a valid \(type) message: \(text.prefix(200))")
        }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file, read in 1 MiB pieces.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
        return hex(hasher.finalize())
    }
}

/// A one-line progress bar on standard error: `[#####-----]  50%  2.5/5.0 MiB  120.3 Mbit/s`,
/// redrawn at most five times a second.
struct ProgressBar {
    let total: Int
    let start = monotonicSeconds()
    private var lastDraw = 0.0

    init(total: Int) { self.total = total }

    /// A terminal gets one redrawn bar; a pipe or file gets a line per second instead.
    private let redraws = isatty(STDERR_FILENO) == 1

    mutating func update(_ done: Int, force: Bool = false) {
        let now = monotonicSeconds()
        guard force || now - lastDraw >= (redraws ? 0.2 : 1) else { return }
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let mib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        let figures = "\(String(format: "%3d", Int(fraction * 100)))%  \(mib(done))/\(mib(total)) MiB  \(megabitsPerSecond(done, now - start))"
        guard redraws else {
            Console.error("progress: \(figures)\n")
            return
        }
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        Console.error("\r[\(bar)] \(figures)  ")
    }

    mutating func finish(_ done: Int) {
        update(done, force: true)
        if redraws { Console.error("\n") }
    }
}
