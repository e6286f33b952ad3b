import NIOCore
import RTCCore

/// Why a multicast DNS message was not understood (RFC 1035 §4.1 wire format, RFC 6762).
public enum MDNSMessageError: Error, Sendable, Hashable {
    /// The message ends inside its header, a name or a record.
    case truncated
    /// A name's label or compression pointer is malformed (a loop, a reserved label type, a
    /// name longer than 255 bytes).
    case badName
}

/// The parts of multicast DNS (RFC 6762) an ICE agent needs to resolve the `.local` host
/// candidates browsers send (RFC 8839 §5.1, draft-ietf-mmusic-mdns-ice-candidates): a query
/// for a name's A or AAAA record, and the address records of a response.
public enum MDNSMessage {
    /// The mDNS group and port (RFC 6762 §3): 224.0.0.251:5353.
    public static let ipv4Group = TransportAddress(ip: IPAddress("224.0.0.251")!, port: 5353)
    /// The IPv6 group (ff02::fb) and port.
    public static let ipv6Group = TransportAddress(ip: IPAddress("ff02::fb")!, port: 5353)

    /// An address record of a response.
    public struct AddressRecord: Sendable, Hashable {
        /// The owner name, lower-cased, without the trailing dot (`1f0c…-….local`).
        public var name: String
        /// The address it resolves to.
        public var address: IPAddress
        /// Seconds the record may be cached.
        public var ttl: UInt32

        /// A record of `name` (lower-case, no trailing dot) for `address`, cacheable for `ttl` s.
        public init(name: String, address: IPAddress, ttl: UInt32) {
            self.name = name
            self.address = address
            self.ttl = ttl
        }
    }

    /// A query (id 0, RFC 6762 §18.1) for the A (IPv4) or AAAA record of `name`; `nil` when
    /// `name` cannot be a DNS name (an empty label or one over 63 bytes, over 255 in all).
    public static func query(for name: String, ipv6: Bool = false) -> ByteBuffer? {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(0))  // id
        buffer.writeInteger(UInt16(0))  // flags: a standard query
        buffer.writeInteger(UInt16(1))  // one question
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        guard writeName(name, into: &buffer) else { return nil }
        buffer.writeInteger(UInt16(ipv6 ? 28 : 1))  // QTYPE A / AAAA
        buffer.writeInteger(UInt16(1))  // QCLASS IN, multicast response wanted (QU bit clear)
        return buffer
    }

    /// The A and AAAA records in the answer and additional sections of a response; an empty
    /// list for a query or a response without address records. Other records are skipped.
    public static func addressRecords(in message: ByteBuffer) throws(MDNSMessageError) -> [AddressRecord] {
        let bytes = Array(message.readableBytesView)
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw .truncated }
        let flags = reader.u16(at: 2)
        guard flags & 0x8000 != 0 else { return [] }  // a query, not a response
        let questions = Int(reader.u16(at: 4))
        let records = Int(reader.u16(at: 6)) + Int(reader.u16(at: 8)) + Int(reader.u16(at: 10))
        reader.offset = 12
        for _ in 0..<questions {
            _ = try reader.name()
            try reader.skip(4)
        }
        var found: [AddressRecord] = []
        for _ in 0..<records {
            let name = try reader.name()
            guard reader.offset + 10 <= bytes.count else { throw .truncated }
            let type = reader.u16(at: reader.offset)
            let rrClass = reader.u16(at: reader.offset + 2) & 0x7FFF  // the top bit is cache-flush
            let ttl = UInt32(reader.u16(at: reader.offset + 4)) << 16 | UInt32(reader.u16(at: reader.offset + 6))
            let length = Int(reader.u16(at: reader.offset + 8))
            reader.offset += 10
            guard reader.offset + length <= bytes.count else { throw .truncated }
            let data = bytes[reader.offset..<reader.offset + length]
            reader.offset += length
            guard rrClass == 1 else { continue }
            if type == 1, length == 4 {
                found.append(AddressRecord(name: name, address: .v4(data.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }), ttl: ttl))
            } else if type == 28, length == 16, let address = IPAddress(bytes: data) {
                found.append(AddressRecord(name: name, address: address, ttl: ttl))
            }
        }
        return found
    }

    private static func writeName(_ name: String, into buffer: inout ByteBuffer) -> Bool {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, trimmed.utf8.count <= 253 else { return false }
        for label in labels {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63 else { return false }
            buffer.writeInteger(UInt8(utf8.count))
            buffer.writeBytes(utf8)
        }
        buffer.writeInteger(UInt8(0))
        return true
    }

    /// Reads names (with compression pointers, RFC 1035 §4.1.4) and fields of one message.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func u16(at index: Int) -> UInt16 { UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]) }

        mutating func skip(_ count: Int) throws(MDNSMessageError) {
            guard offset + count <= bytes.count else { throw .truncated }
            offset += count
        }

        /// The name at `offset` (lower-cased, dot-separated); `offset` moves past it.
        mutating func name() throws(MDNSMessageError) -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            var length = 0
            while true {
                guard position < bytes.count else { throw .truncated }
                let byte = bytes[position]
                switch byte & 0xC0 {
                case 0x00:
                    let count = Int(byte)
                    if count == 0 {
                        if !jumped { offset = position + 1 }
                        return labels.joined(separator: ".").lowercased()
                    }
                    guard position + 1 + count <= bytes.count else { throw .truncated }
                    length += count + 1
                    guard length <= 255 else { throw .badName }
                    labels.append(String(decoding: bytes[position + 1..<position + 1 + count], as: UTF8.self))
                    position += 1 + count
                case 0xC0:
                    guard position + 1 < bytes.count else { throw .truncated }
                    jumps += 1
                    guard jumps <= 32 else { throw .badName }
                    if !jumped { offset = position + 2 }
                    jumped = true
                    position = Int(byte & 0x3F) << 8 | Int(bytes[position + 1])
                default:
                    throw .badName  // 0x40 / 0x80 label types are reserved
                }
            }
        }
    }
}
