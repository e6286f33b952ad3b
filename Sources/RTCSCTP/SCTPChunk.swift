import NIOCore

/// Chunk type codes. RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1.
public enum SCTPChunkType {
    /// DATA. RFC 9260 §3.3.1.
    public static let data: UInt8 = 0
    /// INIT. RFC 9260 §3.3.2.
    public static let initiate: UInt8 = 1
    /// INIT ACK. RFC 9260 §3.3.3.
    public static let initiateAck: UInt8 = 2
    /// SACK. RFC 9260 §3.3.4.
    public static let sack: UInt8 = 3
    /// HEARTBEAT. RFC 9260 §3.3.5.
    public static let heartbeat: UInt8 = 4
    /// HEARTBEAT ACK. RFC 9260 §3.3.6.
    public static let heartbeatAck: UInt8 = 5
    /// ABORT. RFC 9260 §3.3.7.
    public static let abort: UInt8 = 6
    /// SHUTDOWN. RFC 9260 §3.3.8.
    public static let shutdown: UInt8 = 7
    /// SHUTDOWN ACK. RFC 9260 §3.3.9.
    public static let shutdownAck: UInt8 = 8
    /// ERROR. RFC 9260 §3.3.10.
    public static let error: UInt8 = 9
    /// COOKIE ECHO. RFC 9260 §3.3.11.
    public static let cookieEcho: UInt8 = 10
    /// COOKIE ACK. RFC 9260 §3.3.12.
    public static let cookieAck: UInt8 = 11
    /// SHUTDOWN COMPLETE. RFC 9260 §3.3.13.
    public static let shutdownComplete: UInt8 = 14
    /// RE-CONFIG. RFC 6525 §3.1.
    public static let reconfig: UInt8 = 130
    /// FORWARD TSN. RFC 3758 §3.2.
    public static let forwardTSN: UInt8 = 192
}

/// One chunk of an SCTP packet. RFC 9260 §3.2.
public enum SCTPChunk: Equatable, Sendable {
    /// DATA. RFC 9260 §3.3.1.
    case data(DataChunk)
    /// INIT. RFC 9260 §3.3.2.
    case initiate(InitChunk)
    /// INIT ACK. RFC 9260 §3.3.3.
    case initiateAck(InitChunk)
    /// SACK. RFC 9260 §3.3.4.
    case sack(SelectiveAckChunk)
    /// HEARTBEAT. RFC 9260 §3.3.5.
    case heartbeat(HeartbeatChunk)
    /// HEARTBEAT ACK. RFC 9260 §3.3.6.
    case heartbeatAck(HeartbeatChunk)
    /// ABORT. RFC 9260 §3.3.7.
    case abort(AbortChunk)
    /// SHUTDOWN. RFC 9260 §3.3.8.
    case shutdown(ShutdownChunk)
    /// SHUTDOWN ACK. RFC 9260 §3.3.9.
    case shutdownAck
    /// ERROR. RFC 9260 §3.3.10.
    case error(ErrorChunk)
    /// COOKIE ECHO. RFC 9260 §3.3.11.
    case cookieEcho(CookieEchoChunk)
    /// COOKIE ACK. RFC 9260 §3.3.12.
    case cookieAck
    /// SHUTDOWN COMPLETE; `reflectedTag` is the T bit. RFC 9260 §3.3.13.
    case shutdownComplete(reflectedTag: Bool)
    /// FORWARD TSN. RFC 3758 §3.2.
    case forwardTSN(ForwardTSNChunk)
    /// RE-CONFIG. RFC 6525 §3.1.
    case reconfig(ReconfigChunk)
    /// A chunk type this implementation does not know. RFC 9260 §3.2 (upper two bits of the type).
    case unknown(UnknownChunk)

    /// The chunk type code.
    public var type: UInt8 {
        switch self {
        case .data: SCTPChunkType.data
        case .initiate: SCTPChunkType.initiate
        case .initiateAck: SCTPChunkType.initiateAck
        case .sack: SCTPChunkType.sack
        case .heartbeat: SCTPChunkType.heartbeat
        case .heartbeatAck: SCTPChunkType.heartbeatAck
        case .abort: SCTPChunkType.abort
        case .shutdown: SCTPChunkType.shutdown
        case .shutdownAck: SCTPChunkType.shutdownAck
        case .error: SCTPChunkType.error
        case .cookieEcho: SCTPChunkType.cookieEcho
        case .cookieAck: SCTPChunkType.cookieAck
        case .shutdownComplete: SCTPChunkType.shutdownComplete
        case .forwardTSN: SCTPChunkType.forwardTSN
        case .reconfig: SCTPChunkType.reconfig
        case .unknown(let u): u.type
        }
    }

    /// Decodes one chunk from its type, flags and value (the bytes after the 4-byte chunk
    /// header, without padding). RFC 9260 §3.2.
    public static func decode(type: UInt8, flags: UInt8, value: ByteBuffer) throws(SCTPParseError) -> SCTPChunk {
        switch type {
        case SCTPChunkType.data: return .data(try DataChunk(flags: flags, value: value))
        case SCTPChunkType.initiate: return .initiate(try InitChunk(type: type, value: value))
        case SCTPChunkType.initiateAck: return .initiateAck(try InitChunk(type: type, value: value))
        case SCTPChunkType.sack: return .sack(try SelectiveAckChunk(value: value))
        case SCTPChunkType.heartbeat: return .heartbeat(try HeartbeatChunk(type: type, value: value))
        case SCTPChunkType.heartbeatAck: return .heartbeatAck(try HeartbeatChunk(type: type, value: value))
        case SCTPChunkType.abort: return .abort(try AbortChunk(flags: flags, value: value))
        case SCTPChunkType.shutdown: return .shutdown(try ShutdownChunk(value: value))
        case SCTPChunkType.shutdownAck: return .shutdownAck
        case SCTPChunkType.error: return .error(try ErrorChunk(value: value))
        case SCTPChunkType.cookieEcho: return .cookieEcho(CookieEchoChunk(value: value))
        case SCTPChunkType.cookieAck: return .cookieAck
        case SCTPChunkType.shutdownComplete: return .shutdownComplete(reflectedTag: flags & 1 != 0)
        case SCTPChunkType.forwardTSN: return .forwardTSN(try ForwardTSNChunk(value: value))
        case SCTPChunkType.reconfig: return .reconfig(try ReconfigChunk(value: value))
        default: return .unknown(UnknownChunk(type: type, flags: flags, value: value))
        }
    }

    /// Writes the chunk (header, value, padding to four bytes). RFC 9260 §3.2.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .data(let c): c.write(to: &buffer)
        case .initiate(let c): c.write(type: SCTPChunkType.initiate, to: &buffer)
        case .initiateAck(let c): c.write(type: SCTPChunkType.initiateAck, to: &buffer)
        case .sack(let c): c.write(to: &buffer)
        case .heartbeat(let c): c.write(type: SCTPChunkType.heartbeat, to: &buffer)
        case .heartbeatAck(let c): c.write(type: SCTPChunkType.heartbeatAck, to: &buffer)
        case .abort(let c): c.write(to: &buffer)
        case .shutdown(let c): c.write(to: &buffer)
        case .shutdownAck: Self.writeEmpty(type: SCTPChunkType.shutdownAck, flags: 0, to: &buffer)
        case .error(let c): c.write(to: &buffer)
        case .cookieEcho(let c): c.write(to: &buffer)
        case .cookieAck: Self.writeEmpty(type: SCTPChunkType.cookieAck, flags: 0, to: &buffer)
        case .shutdownComplete(let t): Self.writeEmpty(type: SCTPChunkType.shutdownComplete, flags: t ? 1 : 0, to: &buffer)
        case .forwardTSN(let c): c.write(to: &buffer)
        case .reconfig(let c): c.write(to: &buffer)
        case .unknown(let c): c.write(to: &buffer)
        }
    }

    /// The number of bytes `write(to:)` produces, padding included.
    public var encodedLength: Int {
        var b = ByteBuffer()
        write(to: &b)
        return b.readableBytes
    }

    static func writeEmpty(type: UInt8, flags: UInt8, to buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt16(4))
    }

    /// Writes a chunk whose value ends in TLV parameters or error causes: `body` returns the
    /// padding of the last one, which the chunk length does not count. RFC 9260 §3.2.
    static func writeTLVChunk(type: UInt8, flags: UInt8, to buffer: inout ByteBuffer, body: (inout ByteBuffer) -> Int) {
        let start = buffer.writerIndex
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt16(0))
        let lastPadding = body(&buffer)
        buffer.setInteger(UInt16(truncatingIfNeeded: buffer.writerIndex - start - lastPadding), at: start + 2)
        buffer.writeSCTPPadding(from: start)
    }

    /// Writes a chunk header, lets `body` write the value, then fills in the length and pads.
    @inlinable
    static func writeChunk(type: UInt8, flags: UInt8, to buffer: inout ByteBuffer, body: (inout ByteBuffer) -> Void) {
        let start = buffer.writerIndex
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt16(0))
        body(&buffer)
        buffer.setInteger(UInt16(truncatingIfNeeded: buffer.writerIndex - start), at: start + 2)
        buffer.writeSCTPPadding(from: start)
    }
}

/// A chunk of a type this implementation does not understand, kept verbatim. RFC 9260 §3.2:
/// the two high bits of its type say whether to stop processing the packet (00, 01) or skip
/// the chunk (10, 11), and whether to report it in an ERROR chunk (01, 11).
public struct UnknownChunk: Equatable, Sendable {
    /// The chunk type.
    public var type: UInt8
    /// The chunk flags.
    public var flags: UInt8
    /// The chunk value (without header and padding).
    public var value: ByteBuffer

    /// Creates an unknown chunk.
    public init(type: UInt8, flags: UInt8, value: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.value = value
    }

    /// `true` when the receiver must stop processing the rest of the packet (high bit 0). RFC 9260 §3.2.
    public var stopsProcessing: Bool { type & 0x80 == 0 }
    /// `true` when the receiver must report the chunk in an ERROR chunk (second bit 1). RFC 9260 §3.2.
    public var mustReport: Bool { type & 0x40 != 0 }

    /// Writes the chunk. RFC 9260 §3.2.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeChunk(type: type, flags: flags, to: &buffer) { b in
            var v = value
            b.writeBuffer(&v)
        }
    }
}
