import NIOCore

/// The RTP fixed header, CSRC list and header extension (RFC 3550 §5.1, §5.3.1).
public struct RTPHeader: Hashable, Sendable {
    /// The marker bit M (RFC 3550 §5.1).
    public var marker: Bool
    /// The 7-bit payload type PT (RFC 3550 §5.1).
    public var payloadType: UInt8
    /// The 16-bit sequence number (RFC 3550 §5.1).
    public var sequenceNumber: UInt16
    /// The 32-bit media timestamp (RFC 3550 §5.1).
    public var timestamp: UInt32
    /// The synchronization source (RFC 3550 §5.1).
    public var ssrc: UInt32
    /// Contributing sources, at most 15 (RFC 3550 §5.1).
    public var csrcs: [UInt32]
    /// The header extension when the X bit is set (RFC 3550 §5.3.1, RFC 8285).
    public var headerExtension: RTPHeaderExtension?

    /// Creates a header (RFC 3550 §5.1). Only the first 15 CSRCs are serialized.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
    }

    /// Bytes the header takes on the wire: 12 + 4·CC + extension (RFC 3550 §5.1).
    public var serializedSize: Int {
        12 + 4 * min(csrcs.count, 15) + (headerExtension?.serializedSize ?? 0)
    }
}

/// An RTP packet: header, payload and padding (RFC 3550 §5.1).
///
/// Parsing does not copy: `payload` and extension values are views into the parsed buffer.
/// `serialize(into:)` writes into a caller-provided buffer without other allocation.
public struct RTPPacket: Hashable, Sendable {
    /// The header (RFC 3550 §5.1).
    public var header: RTPHeader
    /// The payload, without padding (RFC 3550 §5.1).
    public var payload: ByteBuffer
    /// Padding octets after the payload, including the final count octet; 0 means the P bit is clear (RFC 3550 §5.1).
    public var paddingLength: UInt8

    /// Creates a packet; a non-zero `paddingLength` sets the P bit and appends that many octets (RFC 3550 §5.1).
    public init(header: RTPHeader, payload: ByteBuffer, paddingLength: UInt8 = 0) {
        self.header = header
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// Parses one RTP packet occupying the readable bytes of `buffer` (RFC 3550 §5.1, RFC 8285 §4).
    public init(parsing buffer: ByteBuffer) throws(RTPParseError) {
        let base = buffer.readerIndex
        let length = buffer.readableBytes
        guard length >= 12,
              let b0 = buffer.getInteger(at: base, as: UInt8.self),
              let b1 = buffer.getInteger(at: base + 1, as: UInt8.self),
              let seq = buffer.getInteger(at: base + 2, as: UInt16.self),
              let ts = buffer.getInteger(at: base + 4, as: UInt32.self),
              let ssrc = buffer.getInteger(at: base + 8, as: UInt32.self)
        else { throw .truncatedFixedHeader(length: length) }
        let version = b0 >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let hasPadding = b0 & 0x20 != 0
        let hasExtension = b0 & 0x10 != 0
        let csrcCount = Int(b0 & 0x0F)
        var offset = 12
        guard length >= offset + 4 * csrcCount else {
            throw .truncatedCSRCList(csrcCount: csrcCount, available: length - offset)
        }
        var csrcs: [UInt32] = []
        if csrcCount > 0 {
            csrcs.reserveCapacity(csrcCount)
            for i in 0..<csrcCount {
                csrcs.append(buffer.getInteger(at: base + offset + 4 * i, as: UInt32.self) ?? 0)
            }
            offset += 4 * csrcCount
        }
        var headerExtension: RTPHeaderExtension? = nil
        if hasExtension {
            guard length >= offset + 4,
                  let profile = buffer.getInteger(at: base + offset, as: UInt16.self),
                  let words = buffer.getInteger(at: base + offset + 2, as: UInt16.self)
            else { throw .truncatedExtensionHeader(offset: offset) }
            let dataLength = Int(words) * 4
            guard length >= offset + 4 + dataLength,
                  let data = buffer.getSlice(at: base + offset + 4, length: dataLength)
            else { throw .truncatedExtension(offset: offset, declared: dataLength, available: length - offset - 4) }
            let ext = RTPHeaderExtension(profile: profile, data: data)
            try ext.validate(baseOffset: offset + 4)
            headerExtension = ext
            offset += 4 + dataLength
        }
        var payloadLength = length - offset
        var padding: UInt8 = 0
        if hasPadding {
            let count = buffer.getInteger(at: base + length - 1, as: UInt8.self) ?? 0
            guard count > 0, Int(count) <= payloadLength else {
                throw .invalidPaddingLength(declared: Int(count), available: payloadLength)
            }
            padding = count
            payloadLength -= Int(count)
        }
        self.header = RTPHeader(marker: b1 & 0x80 != 0, payloadType: b1 & 0x7F, sequenceNumber: seq, timestamp: ts,
                                ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension)
        self.payload = buffer.getSlice(at: base + offset, length: payloadLength) ?? ByteBuffer()
        self.paddingLength = padding
    }

    /// Parses one RTP packet from bytes (RFC 3550 §5.1).
    public init(parsing bytes: [UInt8]) throws(RTPParseError) {
        try self.init(parsing: ByteBuffer(bytes: bytes))
    }

    /// Bytes the packet takes on the wire (RFC 3550 §5.1).
    public var serializedSize: Int {
        header.serializedSize + payload.readableBytes + Int(paddingLength)
    }

    /// Appends the packet to `buffer` (RFC 3550 §5.1). Padding octets are zero except the last,
    /// which holds the count.
    public func serialize(into buffer: inout ByteBuffer) {
        let csrcCount = min(header.csrcs.count, 15)
        var b0: UInt8 = 0x80 | UInt8(csrcCount)
        if paddingLength > 0 { b0 |= 0x20 }
        if header.headerExtension != nil { b0 |= 0x10 }
        buffer.reserveCapacity(minimumWritableBytes: serializedSize)
        // The fixed header, the CSRCs and the extension's own header in one write: one
        // integer at a time, each was a bounds-checked, exclusivity-checked buffer access.
        let extensionLength = header.headerExtension.map { ($0.data.readableBytes + 3) & ~3 }
        let fixed = 12 + 4 * csrcCount + (extensionLength == nil ? 0 : 4)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: fixed) { out in
            func put32(_ value: UInt32, at offset: Int) { out.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self) }
            out[0] = b0
            out[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7F)
            out.storeBytes(of: header.sequenceNumber.bigEndian, toByteOffset: 2, as: UInt16.self)
            put32(header.timestamp, at: 4)
            put32(header.ssrc, at: 8)
            for i in 0..<csrcCount { put32(header.csrcs[i], at: 12 + 4 * i) }
            if let ext = header.headerExtension, let extensionLength {
                let at = 12 + 4 * csrcCount
                out.storeBytes(of: ext.profile.bigEndian, toByteOffset: at, as: UInt16.self)
                out.storeBytes(of: UInt16(truncatingIfNeeded: extensionLength / 4).bigEndian, toByteOffset: at + 2, as: UInt16.self)
            }
            return fixed
        }
        if let ext = header.headerExtension, let extensionLength {
            buffer.writeImmutableBuffer(ext.data)
            if extensionLength > ext.data.readableBytes { buffer.writeRepeatingByte(0, count: extensionLength - ext.data.readableBytes) }
        }
        buffer.writeImmutableBuffer(payload)
        if paddingLength > 0 {
            buffer.writeRepeatingByte(0, count: Int(paddingLength) - 1)
            buffer.writeInteger(paddingLength)
        }
    }

    /// The packet's wire bytes in a new buffer (RFC 3550 §5.1).
    public func serialized() -> ByteBuffer {
        var buffer = ByteBuffer()
        serialize(into: &buffer)
        return buffer
    }
}
