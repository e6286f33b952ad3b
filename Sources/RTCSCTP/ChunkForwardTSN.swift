import NIOCore

/// FORWARD TSN chunk: tells the receiver to move its cumulative TSN past abandoned data. RFC 3758 §3.2.
public struct ForwardTSNChunk: Equatable, Sendable {
    /// A stream whose ordered delivery may skip up to and including `sequenceNumber`.
    public struct StreamEntry: Equatable, Sendable {
        /// Stream identifier.
        public var stream: UInt16
        /// The largest stream sequence number skipped.
        public var sequenceNumber: UInt16
        /// Creates an entry.
        public init(stream: UInt16, sequenceNumber: UInt16) {
            self.stream = stream
            self.sequenceNumber = sequenceNumber
        }
    }

    /// New Cumulative TSN.
    public var newCumulativeTSN: UInt32
    /// Streams and the sequence numbers skipped on them.
    public var streams: [StreamEntry]

    /// Creates a FORWARD TSN.
    public init(newCumulativeTSN: UInt32, streams: [StreamEntry] = []) {
        self.newCumulativeTSN = newCumulativeTSN
        self.streams = streams
    }

    /// Decodes the chunk value. RFC 3758 §3.2.
    public init(value: ByteBuffer) throws(SCTPParseError) {
        guard value.readableBytes >= 4, (value.readableBytes - 4) % 4 == 0 else {
            throw .invalidField(chunk: SCTPChunkType.forwardTSN, field: "length \(value.readableBytes + 4) is not 8 + 4n")
        }
        let r = value.readerIndex
        newCumulativeTSN = value.getInteger(at: r)!
        var s: [StreamEntry] = []
        var o = r + 4
        while o + 4 <= value.writerIndex {
            s.append(StreamEntry(stream: value.getInteger(at: o)!, sequenceNumber: value.getInteger(at: o + 2)!))
            o += 4
        }
        streams = s
    }

    /// Writes the chunk. RFC 3758 §3.2.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeChunk(type: SCTPChunkType.forwardTSN, flags: 0, to: &buffer) { b in
            b.writeInteger(newCumulativeTSN)
            for e in streams {
                b.writeInteger(e.stream)
                b.writeInteger(e.sequenceNumber)
            }
        }
    }
}
