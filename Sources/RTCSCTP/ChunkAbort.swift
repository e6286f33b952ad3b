import NIOCore

/// ABORT chunk: closes the association at once; may carry error causes. RFC 9260 §3.3.7.
public struct AbortChunk: Equatable, Sendable {
    /// The T bit: the packet carries the receiver's own tag (reflected) instead of the peer's. RFC 9260 §3.3.7.
    public var reflectedTag: Bool
    /// Error causes explaining the abort.
    public var causes: [SCTPErrorCause]

    /// Creates an ABORT.
    public init(reflectedTag: Bool = false, causes: [SCTPErrorCause] = []) {
        self.reflectedTag = reflectedTag
        self.causes = causes
    }

    /// Decodes the chunk value. RFC 9260 §3.3.7.
    public init(flags: UInt8, value: ByteBuffer) throws(SCTPParseError) {
        reflectedTag = flags & 1 != 0
        causes = try SCTPErrorCause.parseList(value)
    }

    /// Writes the chunk. RFC 9260 §3.3.7.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeTLVChunk(type: SCTPChunkType.abort, flags: reflectedTag ? 1 : 0, to: &buffer) { b in
            var pad = 0
            for c in causes { pad = c.write(to: &b) }
            return pad
        }
    }
}

/// ERROR chunk: reports conditions that do not close the association. RFC 9260 §3.3.10.
public struct ErrorChunk: Equatable, Sendable {
    /// The reported error causes.
    public var causes: [SCTPErrorCause]

    /// Creates an ERROR.
    public init(causes: [SCTPErrorCause]) {
        self.causes = causes
    }

    /// Decodes the chunk value. RFC 9260 §3.3.10.
    public init(value: ByteBuffer) throws(SCTPParseError) {
        causes = try SCTPErrorCause.parseList(value)
    }

    /// Writes the chunk. RFC 9260 §3.3.10.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeTLVChunk(type: SCTPChunkType.error, flags: 0, to: &buffer) { b in
            var pad = 0
            for c in causes { pad = c.write(to: &b) }
            return pad
        }
    }
}
