import NIOCore
import NIOWebSocket

/// WebSocket framing on the server's hot path. Frames the server sends are unmasked, so a
/// frame is a 2-, 4- or 10-byte header and the payload: ``SignalingSocketHandler`` writes each
/// as one buffer, bypassing NIO's `WebSocketFrameEncoder` (which cannot prepend into a buffer
/// it does not own uniquely, so it wrote a separate header buffer per message: an allocation
/// and a second iovec per write). Received payloads are unmasked eight bytes at a time.
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

    /// A received frame's payload, unmasked. A masked payload is copied (its bytes share the
    /// decoder's buffer), as NIO's `unmaskedData` does, but with a word-wide loop.
    static func payload(of frame: WebSocketFrame, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let key = frame.maskKey else { return frame.data }
        let length = frame.data.readableBytes
        var out = allocator.buffer(capacity: length)
        _ = frame.data.withUnsafeReadableBytes { source in
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
