import NIOCore

/// A bounds-checked cursor over one RTCP packet body; every read throws a typed error naming
/// the packet type and the datagram offset instead of trapping (RFC 3550 §6.4).
struct RTCPBodyReader {
    var buffer: ByteBuffer
    let packetType: UInt8
    /// Offset of the body's first byte in the datagram.
    let baseOffset: Int
    let start: Int

    init(_ buffer: ByteBuffer, packetType: UInt8, baseOffset: Int) {
        self.buffer = buffer
        self.packetType = packetType
        self.baseOffset = baseOffset
        self.start = buffer.readerIndex
    }

    var remaining: Int { buffer.readableBytes }
    var position: Int { baseOffset + (buffer.readerIndex - start) }

    func fail(_ reason: String) -> RTCPParseError {
        .malformedBody(packetType: packetType, offset: position, reason: reason)
    }

    mutating func u8(_ what: String) throws(RTCPParseError) -> UInt8 {
        guard let v = buffer.readInteger(as: UInt8.self) else { throw fail("truncated \(what)") }
        return v
    }

    mutating func u16(_ what: String) throws(RTCPParseError) -> UInt16 {
        guard let v = buffer.readInteger(as: UInt16.self) else { throw fail("truncated \(what)") }
        return v
    }

    mutating func u32(_ what: String) throws(RTCPParseError) -> UInt32 {
        guard let v = buffer.readInteger(as: UInt32.self) else { throw fail("truncated \(what)") }
        return v
    }

    mutating func u64(_ what: String) throws(RTCPParseError) -> UInt64 {
        guard let v = buffer.readInteger(as: UInt64.self) else { throw fail("truncated \(what)") }
        return v
    }

    mutating func bytes(_ count: Int, _ what: String) throws(RTCPParseError) -> [UInt8] {
        guard count >= 0, let v = buffer.readBytes(length: count) else {
            throw fail("truncated \(what): need \(count) bytes, have \(remaining)")
        }
        return v
    }

    mutating func rest() -> [UInt8] {
        buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    mutating func skip(_ count: Int, _ what: String) throws(RTCPParseError) {
        guard count >= 0, count <= remaining else { throw fail("truncated \(what)") }
        buffer.moveReaderIndex(forwardBy: count)
    }
}

extension ByteBuffer {
    /// Writes `bytes` then zeros up to the next multiple of 4 (RTCP bodies are 32-bit aligned, RFC 3550 §6.4).
    mutating func writeAligned(_ bytes: [UInt8]) {
        writeBytes(bytes)
        writeRepeatingByte(0, count: ((bytes.count + 3) & ~3) - bytes.count)
    }
}
