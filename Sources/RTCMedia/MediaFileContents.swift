#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Reads a whole file into a `ByteBuffer` with POSIX `open`/`fstat`/`read` (no Foundation):
/// the one read a ``MediaFileSource`` does.
public enum MediaFileContents {
    /// Files larger than this (2 GiB) are refused rather than read into memory.
    public static let maximumSize = 1 << 31

    /// The bytes of the file at `path`. Throws ``MediaSourceError`` with
    /// ``MediaSourceError/Problem/unreadable(_:)`` naming the system's reason.
    public static func read(path: String) throws(MediaSourceError) -> ByteBuffer {
        func failure(_ reason: String) -> MediaSourceError { MediaSourceError(path: path, problem: .unreadable(reason)) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw failure("not a regular file") }
        guard status.st_size <= maximumSize else { throw failure("larger than \(maximumSize) bytes") }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Int(status.st_size))
        while true {
            var result = 0
            var readError: Int32 = 0
            buffer.reserveCapacity(minimumWritableBytes: 64 * 1024)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                result = systemRead(descriptor, space.baseAddress, space.count)
                readError = errno
                return max(result, 0)
            }
            if result == 0 { break }
            if result < 0 {
                if readError == EINTR { continue }
                throw failure(String(cString: strerror(readError)))
            }
            guard buffer.readableBytes <= maximumSize else { throw failure("larger than \(maximumSize) bytes") }
        }
        return buffer
    }
}

/// `read(2)` under a name that does not clash with ``MediaFileContents/read(path:)``.
private func systemRead(_ descriptor: Int32, _ address: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, address, count)
    #else
    Darwin.read(descriptor, address, count)
    #endif
}
