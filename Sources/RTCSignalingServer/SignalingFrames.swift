import NIOCore
import NIOWebSocket

/// WebSocket framing on the server's hot path (the pipeline after the upgrade holds only
/// ``SignalingSocketHandler``, which reads frames with ``SignalingFrameReader`` and writes
/// them with these functions). Frames the server sends are unmasked, so a
/// frame is a 2-, 4- or 10-byte header and the payload, written as one buffer (NIO's
/// `WebSocketFrameEncoder` could not prepend into a buffer it did not own uniquely, so it
/// wrote a separate header buffer per message: an allocation and a second iovec per write).
/// Received payloads are unmasked eight bytes at a time.
enum SignalingFrames {
    /// Header bytes of a server frame (FIN set, unmasked) carrying `length` payload bytes.
    static func headerSize(payloadLength length: Int) -> Int {
        length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10
    }

    /// Appends a final, unmasked frame header for a payload of `length` bytes.
    static func writeHeader(_ opcode: WebSocketOpcode, payloadLength length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        if length <= 125 {
            buffer.writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// A complete frame carrying `payload`'s readable bytes.
    static func frame(_ opcode: WebSocketOpcode, payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = payload.readableBytes
        var out = allocator.buffer(capacity: headerSize(payloadLength: length) + length)
        writeHeader(opcode, payloadLength: length, into: &out)
        out.writeImmutableBuffer(payload)
        return out
    }

    /// A complete text frame carrying `text` as UTF-8.
    static func textFrame(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = text.utf8.count
        var out = allocator.buffer(capacity: headerSize(payloadLength: length) + length)
        writeHeader(.text, payloadLength: length, into: &out)
        out.writeString(text)
        return out
    }

    /// A copy of `data`'s readable bytes (a received payload, still masked) unmasked with
    /// `key`; NIO's `unmaskedData` does the same byte by byte.
    static func unmasked(_ data: ByteBuffer, key: WebSocketMaskingKey, allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = data.readableBytes
        var out = allocator.buffer(capacity: length)
        _ = data.withUnsafeReadableBytes { source in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { destination in
                unmask(source, into: destination, key: key)
                return length
            }
        }
        return out
    }

    /// `destination[i] = source[i] ^ key[i % 4]` for every byte of `source` (masking and
    /// unmasking are the same operation), eight bytes per step.
    static func unmask(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, key: WebSocketMaskingKey) {
        precondition(destination.count >= source.count)
        // The key repeated twice in memory order; both halves are equal, so byte order does not matter.
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { bytes in
            for index in 0..<8 { bytes[index] = key[index & 3] }
        }
        let count = source.count
        var index = 0
        while index + 8 <= count {
            let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: word ^ pattern, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            destination[index] = source[index] ^ key[index & 3]
            index += 1
        }
    }
}

/// Reads a client's WebSocket frames from the bytes of its connection (RFC 6455 §5): what NIO's
/// frame decoder, protocol-error handler and aggregator did as three pipeline handlers, here in
/// ``SignalingSocketHandler``'s own read. Incomplete frames wait for more bytes (bounded by the
/// size limit); fragments are joined; every rule a server must enforce on a client's frames is
/// an error with the close code to send.
struct SignalingFrameReader {
    /// A complete message or control frame.
    enum Event: Equatable {
        /// A whole text or binary message (fragments joined), unmasked.
        case message(ByteBuffer)
        case ping(ByteBuffer)
        case pong
        /// A close frame's payload (status code and reason).
        case close(ByteBuffer)
    }

    /// A client broke the protocol: the connection is closed with `code`.
    struct ReadError: Error, Equatable {
        /// 1002 (protocol error) or 1009 (message too big).
        var code: WebSocketErrorCode
        var reason: String
    }

    /// The largest frame, and the largest message after joining fragments.
    let maxMessageSize: Int
    /// The most fragments one message may have.
    let maxFragments: Int
    /// Received bytes not yet read as frames.
    private var pending: ByteBuffer?
    /// The payload so far of a fragmented message.
    private var fragments: ByteBuffer?
    private var fragmentCount = 0

    init(maxMessageSize: Int, maxFragments: Int = 1024) {
        self.maxMessageSize = maxMessageSize
        self.maxFragments = maxFragments
    }

    /// Adds bytes read from the connection.
    mutating func feed(_ bytes: ByteBuffer) {
        if pending == nil || pending!.readableBytes == 0 {
            pending = bytes
        } else {
            var bytes = bytes
            pending!.writeBuffer(&bytes)
        }
    }

    /// The next complete event, `nil` until more bytes are fed.
    mutating func next(allocator: ByteBufferAllocator) throws(ReadError) -> Event? {
        while true {
            guard var buffer = pending, let frame = try Self.frame(in: &buffer, maxSize: maxMessageSize) else { return nil }
            pending = buffer.readableBytes > 0 ? buffer : nil
            if frame.opcode.isControlOpcode {
                let payload = SignalingFrames.unmasked(frame.payload, key: frame.key, allocator: allocator)
                switch frame.opcode {
                case .ping: return .ping(payload)
                case .pong: return .pong
                case .connectionClose: return .close(payload)
                default: throw ReadError(code: .protocolError, reason: "unknown control opcode")
                }
            }
            switch frame.opcode {
            case .text, .binary:
                guard fragments == nil else { throw ReadError(code: .protocolError, reason: "a new message inside a fragmented one") }
                let payload = SignalingFrames.unmasked(frame.payload, key: frame.key, allocator: allocator)
                if frame.fin { return .message(payload) }
                fragments = payload
                fragmentCount = 1
            case .continuation:
                guard var joined = fragments else { throw ReadError(code: .protocolError, reason: "a continuation without a message") }
                fragments = nil
                fragmentCount += 1
                guard fragmentCount <= maxFragments else { throw ReadError(code: .messageTooLarge, reason: "too many fragments") }
                guard joined.readableBytes + frame.payload.readableBytes <= maxMessageSize else {
                    throw ReadError(code: .messageTooLarge, reason: "message larger than \(maxMessageSize) bytes")
                }
                var payload = SignalingFrames.unmasked(frame.payload, key: frame.key, allocator: allocator)
                joined.writeBuffer(&payload)
                if frame.fin { return .message(joined) }
                fragments = joined
            default:
                throw ReadError(code: .protocolError, reason: "unknown data opcode")
            }
        }
    }

    private struct Frame {
        var fin: Bool
        var opcode: WebSocketOpcode
        var key: WebSocketMaskingKey
        /// Still masked.
        var payload: ByteBuffer
    }

    /// Reads one complete frame from the start of `buffer`, or nothing (and leaves `buffer`
    /// as it was) when its bytes have not all arrived.
    private static func frame(in buffer: inout ByteBuffer, maxSize: Int) throws(ReadError) -> Frame? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self), let second = view.readInteger(as: UInt8.self) else { return nil }
        guard first & 0x70 == 0 else { throw ReadError(code: .protocolError, reason: "reserved bits set (no extension was negotiated)") }
        guard let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) else {
            throw ReadError(code: .protocolError, reason: "invalid opcode")
        }
        let fin = first & 0x80 != 0
        guard second & 0x80 != 0 else { throw ReadError(code: .protocolError, reason: "a client frame must be masked") }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = view.readInteger(as: UInt16.self) else { return nil }
            length = Int(extended)
        } else if length == 127 {
            guard let extended = view.readInteger(as: UInt64.self) else { return nil }
            guard extended <= UInt64(maxSize) else {
                throw ReadError(code: .messageTooLarge, reason: "frame larger than \(maxSize) bytes")
            }
            length = Int(extended)
        }
        if opcode.isControlOpcode {
            guard fin, length <= 125 else { throw ReadError(code: .protocolError, reason: "a control frame must be whole and at most 125 bytes") }
        }
        guard length <= maxSize else { throw ReadError(code: .messageTooLarge, reason: "frame larger than \(maxSize) bytes") }
        guard let keyBytes = view.readBytes(length: 4), let payload = view.readSlice(length: length) else { return nil }
        buffer = view
        return Frame(fin: fin, opcode: opcode, key: WebSocketMaskingKey(keyBytes)!, payload: payload)
    }

}
