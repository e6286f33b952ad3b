import NIOCore

/// Transport-layer feedback messages, PT 205 (RFC 4585 §6.2).
public enum RTCPTransportFeedback: Hashable, Sendable {
    /// Generic NACK, FMT 1 (RFC 4585 §6.2.1).
    case genericNACK(RTCPGenericNACK)
    /// Transport-wide congestion control feedback, FMT 15 (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    case transportWideCC(RTCPTransportWideCC)
    /// Any other transport-layer feedback, kept raw.
    case other(RTCPFeedbackMessage)

    /// RTCP packet type 205 (RFC 4585 §6.1).
    public static let packetType: UInt8 = 205

    var format: UInt8 {
        switch self {
        case .genericNACK: return RTCPGenericNACK.format
        case .transportWideCC: return RTCPTransportWideCC.format
        case .other(let m): return m.format
        }
    }
}

/// An RTCP packet whose type this module does not decode, kept raw (RFC 3550 §6.4).
public struct RTCPUnknownPacket: Hashable, Sendable {
    /// The 5-bit count / format field.
    public var count: UInt8
    /// The packet type.
    public var packetType: UInt8
    /// The body after the 4-byte header and without padding; when not a multiple of 4 bytes the
    /// packet is completed with P-bit padding.
    public var body: [UInt8]

    /// Creates a raw packet (RFC 3550 §6.4).
    public init(count: UInt8, packetType: UInt8, body: [UInt8]) {
        self.count = count & 0x1F
        self.packetType = packetType
        self.body = body
    }
}

/// One RTCP packet of a compound datagram (RFC 3550 §6.4–6.7, RFC 4585 §6, RFC 3611).
public enum RTCPPacket: Hashable, Sendable {
    /// SR, PT 200 (RFC 3550 §6.4.1).
    case senderReport(RTCPSenderReport)
    /// RR, PT 201 (RFC 3550 §6.4.2).
    case receiverReport(RTCPReceiverReport)
    /// SDES, PT 202 (RFC 3550 §6.5).
    case sourceDescription(RTCPSourceDescription)
    /// BYE, PT 203 (RFC 3550 §6.6).
    case goodbye(RTCPGoodbye)
    /// APP, PT 204 (RFC 3550 §6.7).
    case applicationDefined(RTCPApplicationDefined)
    /// RTPFB, PT 205 (RFC 4585 §6.2).
    case transportFeedback(RTCPTransportFeedback)
    /// PSFB, PT 206 (RFC 4585 §6.3).
    case payloadSpecificFeedback(RTCPPayloadSpecificFeedback)
    /// XR, PT 207 (RFC 3611 §2).
    case extendedReport(RTCPExtendedReport)
    /// Any other packet type, kept raw.
    case unknown(RTCPUnknownPacket)

    /// The packet type field (RFC 3550 §12.1).
    public var packetType: UInt8 {
        switch self {
        case .senderReport: return RTCPSenderReport.packetType
        case .receiverReport: return RTCPReceiverReport.packetType
        case .sourceDescription: return RTCPSourceDescription.packetType
        case .goodbye: return RTCPGoodbye.packetType
        case .applicationDefined: return RTCPApplicationDefined.packetType
        case .transportFeedback: return RTCPTransportFeedback.packetType
        case .payloadSpecificFeedback: return RTCPPayloadSpecificFeedback.packetType
        case .extendedReport: return RTCPExtendedReport.packetType
        case .unknown(let u): return u.packetType
        }
    }

    /// The 5-bit count / FMT field (RFC 3550 §6.4.1, RFC 4585 §6.1).
    var countField: UInt8 {
        switch self {
        case .senderReport(let p): return p.count
        case .receiverReport(let p): return p.count
        case .sourceDescription(let p): return p.count
        case .goodbye(let p): return p.count
        case .applicationDefined(let p): return p.subtype & 0x1F
        case .transportFeedback(let p): return p.format
        case .payloadSpecificFeedback(let p): return p.format
        case .extendedReport: return 0
        case .unknown(let u): return u.count & 0x1F
        }
    }

    /// Body length before alignment to 32 bits.
    var unalignedBodyLength: Int {
        switch self {
        case .senderReport(let p): return p.bodyLength
        case .receiverReport(let p): return p.bodyLength
        case .sourceDescription(let p): return p.bodyLength
        case .goodbye(let p): return p.bodyLength
        case .applicationDefined(let p): return p.bodyLength
        case .transportFeedback(.genericNACK(let p)): return p.bodyLength
        case .transportFeedback(.transportWideCC(let p)): return p.unpaddedBodyLength
        case .transportFeedback(.other(let p)): return p.bodyLength
        case .payloadSpecificFeedback(let p): return p.bodyLength
        case .extendedReport(let p): return p.bodyLength
        case .unknown(let u): return u.body.count
        }
    }

    /// Bytes this packet takes on the wire, header included (RFC 3550 §6.4.1). A body that is
    /// not 32-bit aligned (transport-wide CC, or raw data of odd length) is completed with
    /// P-bit padding, as libwebrtc does for transport-wide CC.
    public var serializedSize: Int { 4 + ((unalignedBodyLength + 3) & ~3) }

    /// Parses one packet whose header is at the reader index of `buffer`, which must hold the
    /// whole packet; `offset` is its position in the datagram, for errors (RFC 3550 §6.4.1).
    /// Returns the packet and the number of bytes it occupied.
    static func parse(_ buffer: ByteBuffer, offset: Int) throws(RTCPParseError) -> (RTCPPacket, Int) {
        let base = buffer.readerIndex
        let available = buffer.readableBytes
        guard available >= 4,
              let b0 = buffer.getInteger(at: base, as: UInt8.self),
              let packetType = buffer.getInteger(at: base + 1, as: UInt8.self),
              let words = buffer.getInteger(at: base + 2, as: UInt16.self)
        else { throw .truncatedHeader(offset: offset, available: available) }
        let version = b0 >> 6
        guard version == 2 else { throw .unsupportedVersion(version, offset: offset) }
        let length = (Int(words) + 1) * 4
        guard length <= available else { throw .lengthBeyondDatagram(offset: offset, declared: length, available: available) }
        var bodyLength = length - 4
        if b0 & 0x20 != 0 {
            let padding = Int(buffer.getInteger(at: base + length - 1, as: UInt8.self) ?? 0)
            guard padding > 0, padding <= bodyLength else {
                throw .invalidPadding(offset: offset, declared: padding, packetLength: length)
            }
            bodyLength -= padding
        }
        let count = b0 & 0x1F
        let body = buffer.getSlice(at: base + 4, length: bodyLength) ?? ByteBuffer()
        var r = RTCPBodyReader(body, packetType: packetType, baseOffset: offset + 4)
        let packet: RTCPPacket
        switch packetType {
        case RTCPSenderReport.packetType:
            packet = .senderReport(try RTCPSenderReport(count: count, reader: &r))
        case RTCPReceiverReport.packetType:
            packet = .receiverReport(try RTCPReceiverReport(count: count, reader: &r))
        case RTCPSourceDescription.packetType:
            packet = .sourceDescription(try RTCPSourceDescription(count: count, reader: &r))
        case RTCPGoodbye.packetType:
            packet = .goodbye(try RTCPGoodbye(count: count, reader: &r))
        case RTCPApplicationDefined.packetType:
            packet = .applicationDefined(try RTCPApplicationDefined(count: count, reader: &r))
        case RTCPTransportFeedback.packetType:
            switch count {
            case RTCPGenericNACK.format: packet = .transportFeedback(.genericNACK(try RTCPGenericNACK(reader: &r)))
            case RTCPTransportWideCC.format: packet = .transportFeedback(.transportWideCC(try RTCPTransportWideCC(reader: &r)))
            default: packet = .transportFeedback(.other(try RTCPFeedbackMessage(format: count, reader: &r)))
            }
        case RTCPPayloadSpecificFeedback.packetType:
            packet = .payloadSpecificFeedback(try RTCPPayloadSpecificFeedback(format: count, reader: &r))
        case RTCPExtendedReport.packetType:
            packet = .extendedReport(try RTCPExtendedReport(reader: &r))
        default:
            packet = .unknown(RTCPUnknownPacket(count: count, packetType: packetType, body: r.rest()))
        }
        return (packet, length)
    }

    /// Appends this packet to `buffer` (RFC 3550 §6.4.1).
    public func serialize(into buffer: inout ByteBuffer) {
        let body = unalignedBodyLength
        let padding = ((body + 3) & ~3) - body
        let total = 4 + body + padding
        buffer.reserveCapacity(minimumWritableBytes: total)
        buffer.writeInteger(0x80 | (padding > 0 ? 0x20 : 0) | countField)
        buffer.writeInteger(packetType)
        buffer.writeInteger(UInt16(truncatingIfNeeded: total / 4 - 1))
        switch self {
        case .senderReport(let p): p.writeBody(into: &buffer)
        case .receiverReport(let p): p.writeBody(into: &buffer)
        case .sourceDescription(let p): p.writeBody(into: &buffer)
        case .goodbye(let p): p.writeBody(into: &buffer)
        case .applicationDefined(let p): p.writeBody(into: &buffer)
        case .transportFeedback(.genericNACK(let p)): p.writeBody(into: &buffer)
        case .transportFeedback(.transportWideCC(let p)): p.writeBody(into: &buffer)
        case .transportFeedback(.other(let p)): p.writeBody(into: &buffer)
        case .payloadSpecificFeedback(let p): p.writeBody(into: &buffer)
        case .extendedReport(let p): p.writeBody(into: &buffer)
        case .unknown(let u): buffer.writeBytes(u.body)
        }
        if padding > 0 {
            buffer.writeRepeatingByte(0, count: padding - 1)
            buffer.writeInteger(UInt8(padding))
        }
    }
}

/// A compound RTCP datagram: one or more RTCP packets back to back (RFC 3550 §6.1).
///
/// Parsing is lenient about composition (any packet may come first, as reduced-size RTCP of
/// RFC 5506 allows) but strict about every length.
public struct RTCPCompoundPacket: Hashable, Sendable {
    /// The packets, in order.
    public var packets: [RTCPPacket]

    /// Creates a compound packet (RFC 3550 §6.1).
    public init(packets: [RTCPPacket]) {
        self.packets = packets
    }

    /// Parses every packet in the readable bytes of `buffer` (RFC 3550 §6.1, §6.4.1).
    public init(parsing buffer: ByteBuffer) throws(RTCPParseError) {
        guard buffer.readableBytes > 0 else { throw .empty }
        var rest = buffer
        var offset = 0
        var packets: [RTCPPacket] = []
        while rest.readableBytes > 0 {
            let (packet, length) = try RTCPPacket.parse(rest, offset: offset)
            packets.append(packet)
            rest.moveReaderIndex(forwardBy: length)
            offset += length
        }
        self.packets = packets
    }

    /// Parses a compound datagram from bytes (RFC 3550 §6.1).
    public init(parsing bytes: [UInt8]) throws(RTCPParseError) {
        try self.init(parsing: ByteBuffer(bytes: bytes))
    }

    /// Bytes the datagram takes (RFC 3550 §6.1).
    public var serializedSize: Int { packets.reduce(0) { $0 + $1.serializedSize } }

    /// Appends every packet to `buffer` (RFC 3550 §6.1).
    public func serialize(into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: serializedSize)
        for packet in packets { packet.serialize(into: &buffer) }
    }

    /// The datagram's bytes in a new buffer (RFC 3550 §6.1).
    public func serialized() -> ByteBuffer {
        var buffer = ByteBuffer()
        serialize(into: &buffer)
        return buffer
    }
}
