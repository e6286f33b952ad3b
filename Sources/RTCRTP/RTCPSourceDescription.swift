import NIOCore

/// One SDES item: a type and its text (RFC 3550 §6.5).
public struct RTCPSDESItem: Hashable, Sendable {
    /// CNAME, item type 1 (RFC 3550 §6.5.1).
    public static let cname: UInt8 = 1
    /// NAME, item type 2 (RFC 3550 §6.5.2).
    public static let name: UInt8 = 2
    /// TOOL, item type 6 (RFC 3550 §6.5.6).
    public static let tool: UInt8 = 6
    /// PRIV, item type 8 (RFC 3550 §6.5.8).
    public static let priv: UInt8 = 8

    /// The item type, 1–255 (RFC 3550 §6.5).
    public var type: UInt8
    /// The item's value, at most 255 bytes (UTF-8 text for the standard items; RFC 3550 §6.5).
    public var value: [UInt8]

    /// Creates an item from raw bytes (RFC 3550 §6.5); values over 255 bytes are truncated when serialized.
    public init(type: UInt8, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// Creates an item from text (RFC 3550 §6.5).
    public init(type: UInt8, text: String) {
        self.init(type: type, value: Array(text.utf8))
    }

    /// The value decoded as UTF-8 (RFC 3550 §6.5).
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// One SDES chunk: a source and its items (RFC 3550 §6.5).
public struct RTCPSDESChunk: Hashable, Sendable {
    /// The SSRC or CSRC described.
    public var source: UInt32
    /// The items, in order.
    public var items: [RTCPSDESItem]

    /// Creates a chunk (RFC 3550 §6.5).
    public init(source: UInt32, items: [RTCPSDESItem]) {
        self.source = source
        self.items = items
    }

    var length: Int {
        var size = 4
        for item in items where item.type != 0 { size += 2 + min(item.value.count, 255) }
        return (size + 1 + 3) & ~3  // at least one null octet, then to the next 32-bit boundary
    }
}

/// Source description, PT 202 (RFC 3550 §6.5).
public struct RTCPSourceDescription: Hashable, Sendable {
    /// RTCP packet type 202 (RFC 3550 §12.1).
    public static let packetType: UInt8 = 202
    /// The chunks, at most 31.
    public var chunks: [RTCPSDESChunk]

    /// Creates an SDES packet (RFC 3550 §6.5).
    public init(chunks: [RTCPSDESChunk]) {
        self.chunks = chunks
    }

    /// The CNAME of `source`, if this packet carries one (RFC 3550 §6.5.1).
    public func cname(of source: UInt32) -> String? {
        chunks.first { $0.source == source }?.items.first { $0.type == RTCPSDESItem.cname }?.text
    }

    init(count: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        chunks = []
        for _ in 0..<count {
            let source = try r.u32("SDES chunk source")
            var items: [RTCPSDESItem] = []
            var consumed = 4
            while true {
                let type = try r.u8("SDES item type")
                consumed += 1
                if type == 0 {
                    // END: null octets up to the next 32-bit boundary (RFC 3550 §6.5).
                    let pad = ((consumed + 3) & ~3) - consumed
                    try r.skip(pad, "SDES chunk padding")
                    break
                }
                let length = Int(try r.u8("SDES item length"))
                items.append(RTCPSDESItem(type: type, value: try r.bytes(length, "SDES item value")))
                consumed += 1 + length
            }
            chunks.append(RTCPSDESChunk(source: source, items: items))
        }
    }

    var count: UInt8 { UInt8(min(chunks.count, 31)) }
    var bodyLength: Int { chunks.prefix(31).reduce(0) { $0 + $1.length } }

    func writeBody(into buffer: inout ByteBuffer) {
        for chunk in chunks.prefix(31) {
            buffer.writeInteger(chunk.source)
            var size = 4
            for item in chunk.items where item.type != 0 {
                let value = item.value.prefix(255)
                buffer.writeInteger(item.type)
                buffer.writeInteger(UInt8(value.count))
                buffer.writeBytes(value)
                size += 2 + value.count
            }
            let end = (size + 1 + 3) & ~3
            buffer.writeRepeatingByte(0, count: end - size)
        }
    }
}

/// Goodbye, PT 203 (RFC 3550 §6.6).
public struct RTCPGoodbye: Hashable, Sendable {
    /// RTCP packet type 203 (RFC 3550 §12.1).
    public static let packetType: UInt8 = 203
    /// The sources leaving, at most 31.
    public var sources: [UInt32]
    /// The optional reason for leaving, at most 255 bytes (RFC 3550 §6.6).
    public var reason: [UInt8]?

    /// Creates a BYE packet (RFC 3550 §6.6).
    public init(sources: [UInt32], reason: String? = nil) {
        self.sources = sources
        self.reason = reason.map { Array($0.utf8) }
    }

    /// The reason decoded as UTF-8 (RFC 3550 §6.6).
    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    init(count: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        sources = []
        for _ in 0..<count { sources.append(try r.u32("BYE source")) }
        reason = nil
        if r.remaining > 0 {
            let length = Int(try r.u8("BYE reason length"))
            reason = try r.bytes(length, "BYE reason")
        }
    }

    var count: UInt8 { UInt8(min(sources.count, 31)) }
    var bodyLength: Int {
        4 * Int(count) + (reason.map { (1 + min($0.count, 255) + 3) & ~3 } ?? 0)
    }

    func writeBody(into buffer: inout ByteBuffer) {
        for source in sources.prefix(31) { buffer.writeInteger(source) }
        if let reason {
            let text = Array(reason.prefix(255))
            buffer.writeAligned([UInt8(text.count)] + text)
        }
    }
}

/// Application-defined, PT 204 (RFC 3550 §6.7).
public struct RTCPApplicationDefined: Hashable, Sendable {
    /// RTCP packet type 204 (RFC 3550 §12.1).
    public static let packetType: UInt8 = 204
    /// The 5-bit subtype.
    public var subtype: UInt8
    /// The sender's SSRC or CSRC.
    public var source: UInt32
    /// The 4-octet ASCII name.
    public var name: UInt32
    /// Application data; when not a multiple of 4 bytes the packet is completed with P-bit padding.
    public var data: [UInt8]

    /// Creates an APP packet (RFC 3550 §6.7).
    public init(subtype: UInt8, source: UInt32, name: UInt32, data: [UInt8]) {
        self.subtype = subtype & 0x1F
        self.source = source
        self.name = name
        self.data = data
    }

    init(count: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        subtype = count
        source = try r.u32("APP source")
        name = try r.u32("APP name")
        data = r.rest()
    }

    var bodyLength: Int { 8 + data.count }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(source)
        buffer.writeInteger(name)
        buffer.writeBytes(data)
    }
}
