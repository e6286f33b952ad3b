import NIOCore

/// An SCTP packet: the common header and its chunks. RFC 9260 §3.
public struct SCTPPacket: Equatable, Sendable {
    /// Size of the common header. RFC 9260 §3.1.
    public static let commonHeaderSize = 12

    /// Source Port Number (5000 in WebRTC, RFC 8841).
    public var sourcePort: UInt16
    /// Destination Port Number.
    public var destinationPort: UInt16
    /// Verification Tag.
    public var verificationTag: UInt32
    /// The chunks, in order.
    public var chunks: [SCTPChunk]

    /// Creates a packet.
    public init(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32, chunks: [SCTPChunk]) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.verificationTag = verificationTag
        self.chunks = chunks
    }

    /// Parses a packet. Checks the CRC32c unless `verifyChecksum` is false, and that every chunk
    /// length fits the packet; a chunk whose value is malformed throws too (the caller drops
    /// the packet). RFC 9260 §3, §6.8.
    public static func parse(_ buffer: ByteBuffer, verifyChecksum: Bool = true) throws(SCTPParseError) -> SCTPPacket {
        let n = buffer.readableBytes
        guard n >= commonHeaderSize else { throw .packetTooShort(length: n) }
        let r = buffer.readerIndex
        if verifyChecksum {
            let received = buffer.getInteger(at: r + 8, endianness: .little, as: UInt32.self)!
            let computed = checksum(buffer)
            guard received == computed else { throw .badChecksum(received: received, computed: computed) }
        }
        var packet = SCTPPacket(sourcePort: buffer.getInteger(at: r)!, destinationPort: buffer.getInteger(at: r + 2)!,
                                verificationTag: buffer.getInteger(at: r + 4)!, chunks: [])
        var offset = r + commonHeaderSize
        let end = buffer.writerIndex
        while end - offset >= 4 {
            let type = buffer.getInteger(at: offset, as: UInt8.self)!
            let flags = buffer.getInteger(at: offset + 1, as: UInt8.self)!
            let length = Int(buffer.getInteger(at: offset + 2, as: UInt16.self)!)
            guard length >= 4, length <= end - offset else {
                throw .badChunkLength(type: type, offset: offset - r, length: length)
            }
            let value = buffer.getSlice(at: offset + 4, length: length - 4)!
            packet.chunks.append(try SCTPChunk.decode(type: type, flags: flags, value: value))
            offset += (length + 3) & ~3
        }
        return packet
    }

    /// The CRC32c of a serialized packet, with its checksum field taken as zero. RFC 9260 §6.8.
    public static func checksum(_ buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum(packet: $0) }
    }

    /// The checksum of the packet in `raw` (at least 12 bytes), its checksum field taken as zero.
    static func checksum(packet raw: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: raw[0..<8]))
        let zeros: UInt32 = 0
        crc = withUnsafeBytes(of: zeros) { CRC32C.update(crc, $0) }
        crc = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: raw[12...]))
        return ~crc
    }

    /// Fills in the checksum of the packet that starts at `start` (an index of `buffer`) and
    /// runs to its writer index. RFC 9260 §6.8.
    public static func finalizeChecksum(_ buffer: inout ByteBuffer, packetStart start: Int) {
        // In one access of the buffer's own storage: a slice of it held while the checksum is
        // written made the write copy the whole packet (copy-on-write), once per packet sent.
        let offset = start - buffer.readerIndex
        guard offset >= 0, buffer.readableBytes - offset >= 12 else {
            // Not a packet in the readable bytes (no caller does this): as before, through a slice.
            guard let view = buffer.getSlice(at: start, length: buffer.writerIndex - start), view.readableBytes >= 12 else { return }
            buffer.setInteger(checksum(view), at: start + 8, endianness: .little)
            return
        }
        buffer.withUnsafeMutableReadableBytes { raw in
            let packet = UnsafeMutableRawBufferPointer(rebasing: raw[offset...])
            let crc = checksum(packet: UnsafeRawBufferPointer(packet))
            packet.storeBytes(of: crc.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
    }

    /// Writes the common header with a zero checksum. RFC 9260 §3.1.
    static func writeHeader(source: UInt16, destination: UInt16, tag: UInt32, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 12) { out in
            out.storeBytes(of: source.bigEndian, toByteOffset: 0, as: UInt16.self)
            out.storeBytes(of: destination.bigEndian, toByteOffset: 2, as: UInt16.self)
            out.storeBytes(of: tag.bigEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)
            return 12
        }
    }

    /// Serializes the packet with its checksum. RFC 9260 §3.
    public func serialized() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        Self.writeHeader(source: sourcePort, destination: destinationPort, tag: verificationTag, to: &buffer)
        for c in chunks { c.write(to: &buffer) }
        Self.finalizeChecksum(&buffer, packetStart: 0)
        return buffer
    }
}
