import NIOCore

/// Why bytes are not a valid ChannelData message (RFC 8656 §12.4, §12.5).
public enum TURNChannelDataError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer than the 4 header bytes.
    case truncatedHeader(length: Int)
    /// The channel number is outside 0x4000–0x4FFF (RFC 8656 §12).
    case channelNumberOutOfRange(UInt16)
    /// The header's length exceeds the bytes present (RFC 8656 §12.5: silently discard).
    case lengthExceedsDatagram(declared: Int, available: Int)
    /// More than 3 bytes follow the data: more than the padding to a multiple of 4 (RFC 8656 §12.5).
    case trailingBytes(count: Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .truncatedHeader(let n): return "ChannelData: \(n) bytes, shorter than the 4-byte header"
        case .channelNumberOutOfRange(let c): return "ChannelData: channel 0x\(String(c, radix: 16)) outside 0x4000-0x4fff"
        case .lengthExceedsDatagram(let d, let a): return "ChannelData: header says \(d) data bytes, \(a) present"
        case .trailingBytes(let n): return "ChannelData: \(n) bytes after the data (at most 3 bytes of padding)"
        }
    }
}

/// A ChannelData message (RFC 8656 §12.4): a 2-byte channel number, a 2-byte length and the
/// application data, padded to a multiple of 4 only over stream transports.
public struct TURNChannelData: Hashable, Sendable {
    /// The lowest channel number a client may bind (RFC 8656 §12).
    public static let minimumChannel: UInt16 = 0x4000
    /// The highest channel number a client may bind (RFC 8656 §12).
    public static let maximumChannel: UInt16 = 0x4FFF

    /// The channel number, 0x4000–0x4FFF.
    public var channel: UInt16
    /// The application data (a slice of the received buffer when parsed, no copy).
    public var data: ByteBuffer

    /// Creates a message.
    public init(channel: UInt16, data: ByteBuffer) {
        self.channel = channel
        self.data = data
    }

    /// Quick demultiplexing test (RFC 8656 §12, RFC 7983): the first byte is 64–79.
    public static func looksLikeChannelData(_ buffer: ByteBuffer) -> Bool {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return false }
        return first >= 0x40 && first <= 0x4F
    }

    /// Parses the readable bytes of `buffer` (RFC 8656 §12.5). Over UDP padding is optional:
    /// up to 3 bytes after the data are accepted and ignored; a datagram shorter than the
    /// declared length is an error.
    public init(parsing buffer: ByteBuffer) throws(TURNChannelDataError) {
        let available = buffer.readableBytes
        guard available >= 4,
              let channel = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else {
            throw .truncatedHeader(length: available)
        }
        guard channel >= Self.minimumChannel, channel <= Self.maximumChannel else { throw .channelNumberOutOfRange(channel) }
        let declared = Int(length)
        guard declared <= available - 4 else { throw .lengthExceedsDatagram(declared: declared, available: available - 4) }
        let trailing = available - 4 - declared
        guard trailing <= 3 else { throw .trailingBytes(count: trailing) }
        self.channel = channel
        self.data = buffer.getSlice(at: buffer.readerIndex + 4, length: declared)!
    }

    /// Writes the message at the writer index of `buffer` (RFC 8656 §12.4). `pad` adds zero
    /// bytes to a multiple of 4 (required over TCP/TLS, optional over UDP). Data longer than
    /// 65 535 bytes is truncated; `TURNClient.send` refuses such payloads first.
    public func encode(into buffer: inout ByteBuffer, pad: Bool = false) {
        let length = min(data.readableBytes, 0xFFFF)
        buffer.writeInteger(channel)
        buffer.writeInteger(UInt16(length))
        var slice = data.getSlice(at: data.readerIndex, length: length)!
        buffer.writeBuffer(&slice)
        if pad {
            let p = (4 - length % 4) % 4
            if p > 0 { buffer.writeRepeatingByte(0, count: p) }
        }
    }

    /// The encoded message as a new buffer (see `encode(into:pad:)`).
    public func encoded(pad: Bool = false, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 4 + data.readableBytes + 3)
        encode(into: &buffer, pad: pad)
        return buffer
    }
}
