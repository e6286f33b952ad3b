import NIOCore

/// Why a TURN byte stream (TCP or TLS to the server) cannot be split into messages.
public enum TURNStreamFramingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A message starts with a byte that is neither STUN (top bits `00`) nor ChannelData
    /// (`01`, RFC 8656 §12): the stream is out of step and must be closed.
    case unexpectedLeadingByte(UInt8)
    /// More than `maximumBuffered` bytes were held without completing a message.
    case bufferLimitExceeded(Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unexpectedLeadingByte(let b): return "TURN stream: byte 0x\(String(b, radix: 16)) starts neither STUN nor ChannelData"
        case .bufferLimitExceeded(let n): return "TURN stream: \(n) bytes buffered without a complete message"
        }
    }
}

/// Splits the byte stream of a TURN connection over TCP or TLS (RFC 8656 §3.1, §12.5;
/// RFC 6062-style framing) into messages: a STUN message is its 20-byte header and the
/// length the header declares (always a multiple of 4); ChannelData is its 4-byte header and
/// data, padded to a multiple of 4 bytes. Feed what the connection read with `append`, then
/// take whole messages with `next()`, each handed to `TURNClient.handle` like a datagram
/// (ChannelData without its padding). Sans-IO: it never touches a socket.
public struct TURNStreamFramer: Sendable {
    /// How many bytes may be held without completing a message (a STUN message is at most
    /// 20 + 65 532 bytes, ChannelData 4 + 65 535 + 3).
    public let maximumBuffered: Int
    private var buffer = ByteBuffer()

    /// Creates an empty framer.
    public init(maximumBuffered: Int = 4 + 0xFFFF + 3 + 20) {
        self.maximumBuffered = maximumBuffered
    }

    /// Bytes held that do not form a whole message yet.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if buffer.readableBytes == 0 { buffer.clear() } else { buffer.discardReadBytes() }
        buffer.writeBuffer(&bytes)
    }

    /// The next whole message, or `nil` until more bytes arrive. Throws when the stream is
    /// out of step (then close the connection: nothing after can be trusted).
    public mutating func next() throws(TURNStreamFramingError) -> ByteBuffer? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        let header: Int
        let length: Int
        let padded: Int
        switch first >> 6 {
        case 0b00:
            header = 20
            guard let l = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return try waiting() }
            length = Int(l)
            padded = length  // STUN lengths are multiples of 4 already (RFC 8489 §5)
        case 0b01:
            header = 4
            guard let l = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return try waiting() }
            length = Int(l)
            padded = (length + 3) & ~3  // RFC 8656 §12.5: padded to 4 over TCP and TLS
        default:
            throw .unexpectedLeadingByte(first)
        }
        guard buffer.readableBytes >= header + padded else { return try waiting() }
        let message = buffer.getSlice(at: buffer.readerIndex, length: header + length)!
        buffer.moveReaderIndex(forwardBy: header + padded)
        return message
    }

    private func waiting() throws(TURNStreamFramingError) -> ByteBuffer? {
        if buffer.readableBytes > maximumBuffered { throw .bufferLimitExceeded(buffer.readableBytes) }
        return nil
    }
}
