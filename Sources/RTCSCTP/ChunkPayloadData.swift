import NIOCore

/// DATA chunk: one fragment of a user message. RFC 9260 §3.3.1.
public struct DataChunk: Equatable, Sendable {
    /// Flag bit: (I)mmediate — the receiver should SACK without delay. RFC 9260 §3.3.1.
    public static let immediateFlag: UInt8 = 0x08
    /// Flag bit: (U)nordered. RFC 9260 §3.3.1.
    public static let unorderedFlag: UInt8 = 0x04
    /// Flag bit: (B)eginning fragment. RFC 9260 §3.3.1.
    public static let beginningFlag: UInt8 = 0x02
    /// Flag bit: (E)nding fragment. RFC 9260 §3.3.1.
    public static let endingFlag: UInt8 = 0x01
    /// Size of the DATA chunk header (chunk header + fixed fields). RFC 9260 §3.3.1.
    public static let headerSize = 16

    /// The chunk flags (I, U, B, E).
    public var flags: UInt8
    /// Transmission Sequence Number.
    public var tsn: UInt32
    /// Stream Identifier S.
    public var streamIdentifier: UInt16
    /// Stream Sequence Number n (ignored for unordered chunks).
    public var streamSequenceNumber: UInt16
    /// Payload Protocol Identifier.
    public var payloadProtocolIdentifier: UInt32
    /// The user data (a slice; no copy).
    public var userData: ByteBuffer

    /// Creates a DATA chunk.
    public init(flags: UInt8, tsn: UInt32, streamIdentifier: UInt16, streamSequenceNumber: UInt16,
                payloadProtocolIdentifier: UInt32, userData: ByteBuffer) {
        self.flags = flags
        self.tsn = tsn
        self.streamIdentifier = streamIdentifier
        self.streamSequenceNumber = streamSequenceNumber
        self.payloadProtocolIdentifier = payloadProtocolIdentifier
        self.userData = userData
    }

    /// `true` for unordered delivery (U bit).
    public var isUnordered: Bool { flags & Self.unorderedFlag != 0 }
    /// `true` for the first fragment of a message (B bit).
    public var isBeginning: Bool { flags & Self.beginningFlag != 0 }
    /// `true` for the last fragment of a message (E bit).
    public var isEnding: Bool { flags & Self.endingFlag != 0 }

    /// Decodes the chunk value (after the 4-byte chunk header). RFC 9260 §3.3.1.
    public init(flags: UInt8, value: ByteBuffer) throws(SCTPParseError) {
        guard value.readableBytes >= 12 else {
            throw .chunkTooShort(type: SCTPChunkType.data, length: value.readableBytes + 4, minimum: 16)
        }
        let r = value.readerIndex
        self.flags = flags
        tsn = value.getInteger(at: r)!
        streamIdentifier = value.getInteger(at: r + 4)!
        streamSequenceNumber = value.getInteger(at: r + 6)!
        payloadProtocolIdentifier = value.getInteger(at: r + 8)!
        userData = value.getSlice(at: r + 12, length: value.readableBytes - 12)!
    }

    /// Writes the chunk, padded. RFC 9260 §3.3.1.
    public func write(to buffer: inout ByteBuffer) {
        Self.write(flags: flags, tsn: tsn, stream: streamIdentifier, ssn: streamSequenceNumber,
                   ppid: payloadProtocolIdentifier, userData: userData, to: &buffer)
    }

    /// Writes a DATA chunk from its fields without building a `DataChunk` (the send hot path).
    @inlinable
    static func write(flags: UInt8, tsn: UInt32, stream: UInt16, ssn: UInt16, ppid: UInt32,
                      userData: ByteBuffer, to buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        // The 16-byte header in one raw write (`writeMultipleIntegers` still made a checked,
        // exclusivity-checked buffer access per integer).
        let length = UInt16(truncatingIfNeeded: headerSize + userData.readableBytes)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: headerSize) { out in
            out[0] = SCTPChunkType.data
            out[1] = flags
            out.storeBytes(of: length.bigEndian, toByteOffset: 2, as: UInt16.self)
            out.storeBytes(of: tsn.bigEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: stream.bigEndian, toByteOffset: 8, as: UInt16.self)
            out.storeBytes(of: ssn.bigEndian, toByteOffset: 10, as: UInt16.self)
            out.storeBytes(of: ppid.bigEndian, toByteOffset: 12, as: UInt32.self)
            return headerSize
        }
        buffer.writeImmutableBuffer(userData)
        buffer.writeSCTPPadding(from: start)
    }
}
