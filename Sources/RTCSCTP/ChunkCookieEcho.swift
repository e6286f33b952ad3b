import NIOCore

/// COOKIE ECHO chunk: returns the State Cookie from the INIT ACK. RFC 9260 §3.3.11.
/// (COOKIE ACK, §3.3.12, has no value and is the plain `SCTPChunk.cookieAck` case.)
public struct CookieEchoChunk: Equatable, Sendable {
    /// The cookie, exactly as received in the INIT ACK.
    public var cookie: ByteBuffer

    /// Creates a COOKIE ECHO.
    public init(cookie: ByteBuffer) {
        self.cookie = cookie
    }

    /// Decodes the chunk value (all of it is the cookie). RFC 9260 §3.3.11.
    public init(value: ByteBuffer) {
        cookie = value
    }

    /// Writes the chunk. RFC 9260 §3.3.11.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeChunk(type: SCTPChunkType.cookieEcho, flags: 0, to: &buffer) { b in
            b.writeImmutableBuffer(cookie)
        }
    }
}
