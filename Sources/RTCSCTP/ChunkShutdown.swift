import NIOCore

/// SHUTDOWN chunk: starts a graceful close and acknowledges data up to a TSN. RFC 9260 §3.3.8.
/// (SHUTDOWN ACK, §3.3.9, and SHUTDOWN COMPLETE, §3.3.13, have no value and are plain
/// `SCTPChunk` cases.)
public struct ShutdownChunk: Equatable, Sendable {
    /// Cumulative TSN Ack.
    public var cumulativeTSNAck: UInt32

    /// Creates a SHUTDOWN.
    public init(cumulativeTSNAck: UInt32) {
        self.cumulativeTSNAck = cumulativeTSNAck
    }

    /// Decodes the chunk value. RFC 9260 §3.3.8.
    public init(value: ByteBuffer) throws(SCTPParseError) {
        guard let v = value.getInteger(at: value.readerIndex, as: UInt32.self) else {
            throw .chunkTooShort(type: SCTPChunkType.shutdown, length: value.readableBytes + 4, minimum: 8)
        }
        cumulativeTSNAck = v
    }

    /// Writes the chunk. RFC 9260 §3.3.8.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeChunk(type: SCTPChunkType.shutdown, flags: 0, to: &buffer) { b in
            b.writeInteger(cumulativeTSNAck)
        }
    }
}
