/// A bounds-checked big-endian reader over bytes; every failure is a `DTLSError.decodeError`
/// naming the field and the offset where the input ran out or was invalid.
struct DTLSReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    let context: String

    init(_ bytes: [UInt8], context: String) {
        self.init(bytes, from: 0, to: bytes.count, context: context)
    }

    init(_ bytes: [UInt8], from: Int, to: Int, context: String) {
        self.bytes = bytes
        self.position = from
        self.end = to
        self.context = context
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    func error(_ field: String) -> DTLSError {
        .decodeError(reason: "\(context): \(field) truncated or invalid at offset \(position)")
    }

    mutating func u8(_ field: String) throws -> UInt8 {
        guard remaining >= 1 else { throw error(field) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ field: String) throws -> UInt16 {
        guard remaining >= 2 else { throw error(field) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u24(_ field: String) throws -> Int {
        guard remaining >= 3 else { throw error(field) }
        defer { position += 3 }
        return Int(bytes[position]) << 16 | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
    }

    mutating func u48(_ field: String) throws -> UInt64 {
        guard remaining >= 6 else { throw error(field) }
        var v: UInt64 = 0
        for i in 0..<6 { v = v << 8 | UInt64(bytes[position + i]) }
        position += 6
        return v
    }

    mutating func take(_ count: Int, _ field: String) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw error(field) }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func vector8(_ field: String) throws -> [UInt8] {
        let n = Int(try u8(field))
        return try take(n, field)
    }

    mutating func vector16(_ field: String) throws -> [UInt8] {
        let n = Int(try u16(field))
        return try take(n, field)
    }

    mutating func vector24(_ field: String) throws -> [UInt8] {
        let n = try u24(field)
        return try take(n, field)
    }

    func expectEnd(_ field: String) throws {
        guard position == end else {
            throw DTLSError.decodeError(reason: "\(context): \(end - position) trailing bytes after \(field) at offset \(position)")
        }
    }
}

/// Big-endian writers for building wire messages.
extension Array where Element == UInt8 {
    mutating func put8(_ v: UInt8) { append(v) }
    mutating func put16(_ v: UInt16) { append(UInt8(v >> 8)); append(UInt8(truncatingIfNeeded: v)) }
    mutating func put24(_ v: Int) {
        append(UInt8(truncatingIfNeeded: v >> 16)); append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }
    mutating func put48(_ v: UInt64) {
        for shift in stride(from: 40, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
    mutating func putVector8(_ v: [UInt8]) { put8(UInt8(truncatingIfNeeded: v.count)); append(contentsOf: v) }
    mutating func putVector16(_ v: [UInt8]) { put16(UInt16(truncatingIfNeeded: v.count)); append(contentsOf: v) }
    mutating func putVector24(_ v: [UInt8]) { put24(v.count); append(contentsOf: v) }
}
