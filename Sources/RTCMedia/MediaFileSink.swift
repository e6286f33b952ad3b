import Foundation
import NIOCore

/// A file could not be created, written or closed.
public struct MediaFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// What was being done: "create", "write", "patch" or "close".
    public var operation: String
    /// The system's description of the failure.
    public var reason: String

    /// Creates the error.
    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    /// "could not OPERATION PATH: REASON".
    public var description: String { "could not \(operation) \(path): \(reason)" }
}

/// The thin I/O edge of the container writers: creates (or truncates) a file, appends the
/// bytes a writer produced, and applies the writer's ``MediaFilePatch``es when it finishes.
///
/// ```swift
/// let sink = try MediaFileSink(path: "out.ivf")
/// var out = ByteBuffer()
/// try writer.write(frame: data, timestamp: pts, into: &out)
/// try sink.write(&out)                      // writes and clears `out`
/// try sink.apply(try writer.finish(into: &out), after: &out)
/// try sink.close()
/// ```
///
/// Not thread-safe: use one sink from one task at a time.
public final class MediaFileSink {
    /// The file's path.
    public let path: String
    /// Bytes appended so far (patches do not change it).
    public private(set) var bytesWritten = 0
    private let handle: FileHandle
    private var isClosed = false

    /// Creates `path` (replacing a file that is there) and opens it for writing.
    public init(path: String) throws(MediaFileError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw MediaFileError(path: path, operation: "create", reason: String(cString: strerror(errno)))
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } catch {
            throw MediaFileError(path: path, operation: "create", reason: "\(error)")
        }
    }

    deinit {
        if !isClosed { try? handle.close() }
    }

    /// Appends the readable bytes of `buffer` to the file and clears `buffer` for reuse.
    public func write(_ buffer: inout ByteBuffer) throws(MediaFileError) {
        guard buffer.readableBytes > 0 else { return }
        do {
            try handle.seekToEnd()
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: Data($0)) }
        } catch {
            throw MediaFileError(path: path, operation: "write", reason: "\(error)")
        }
        bytesWritten += buffer.readableBytes
        buffer.clear()
    }

    /// Appends what is left in `buffer` (the end a writer's `finish` produced), then writes
    /// each patch at its offset.
    public func apply(_ patches: [MediaFilePatch], after buffer: inout ByteBuffer) throws(MediaFileError) {
        try write(&buffer)
        for patch in patches {
            guard patch.offset >= 0, patch.offset + patch.bytes.count <= bytesWritten else {
                throw MediaFileError(path: path, operation: "patch", reason: "offset \(patch.offset) beyond the \(bytesWritten) bytes written")
            }
            do {
                try handle.seek(toOffset: UInt64(patch.offset))
                try handle.write(contentsOf: patch.bytes)
            } catch {
                throw MediaFileError(path: path, operation: "patch", reason: "\(error)")
            }
        }
    }

    /// Finishes `writer` (see ``MediaContainerWriter/finish(into:)``), writes its last bytes
    /// and patches, and closes the file. Throws the writer's ``MediaWriterError`` or a
    /// ``MediaFileError``.
    public func finish(_ writer: inout some MediaContainerWriter) throws {
        var buffer = ByteBuffer()
        let patches = try writer.finish(into: &buffer)
        try apply(patches, after: &buffer)
        try close()
    }

    /// Closes the file. Calling it again does nothing.
    public func close() throws(MediaFileError) {
        guard !isClosed else { return }
        isClosed = true
        do {
            try handle.close()
        } catch {
            throw MediaFileError(path: path, operation: "close", reason: "\(error)")
        }
    }
}
