import NIOCore

/// The header of one EBML element (RFC 8794 §5): its ID, its data size (nil when the size
/// is "unknown", all value bits set), and where its data starts.
public struct EBMLElementHeader: Hashable, Sendable {
    /// The element ID, marker bits included (as ``MatroskaElementID`` spells them).
    public var id: UInt32
    /// The data size in bytes, or nil for an element of unknown size.
    public var size: UInt64?
    /// Bytes taken by the ID and the size.
    public var headerLength: Int

    /// Creates a header description.
    public init(id: UInt32, size: UInt64?, headerLength: Int) {
        self.id = id
        self.size = size
        self.headerLength = headerLength
    }
}

/// Bounds-checked reading of EBML (RFC 8794) from a `ByteBuffer`, at absolute indices: element
/// headers and the values of uint, int, float and string elements. Every failure is a
/// ``MediaReaderError``.
public enum EBMLReader {
    /// Reads an element ID (1–4 bytes, RFC 8794 §5) at `index`; returns it with its length.
    public static func readID(_ buffer: ByteBuffer, at index: Int, end: Int) throws(MediaReaderError) -> (id: UInt32, length: Int) {
        guard index < end, let first = buffer.getInteger(at: index, as: UInt8.self) else {
            throw .truncated(needed: 1, available: 0)
        }
        let length = first.leadingZeroBitCount + 1
        guard length <= 4 else { throw .malformed("EBML element ID with \(length) bytes") }
        guard index + length <= end, let bytes = buffer.getBytes(at: index, length: length) else {
            throw .truncated(needed: length, available: max(0, end - index))
        }
        return (bytes.reduce(0) { $0 << 8 | UInt32($1) }, length)
    }

    /// Reads a variable-size integer (1–8 bytes) at `index`; the value is nil when every value
    /// bit is set ("unknown").
    public static func readVInt(_ buffer: ByteBuffer, at index: Int, end: Int) throws(MediaReaderError) -> (value: UInt64?, length: Int) {
        guard index < end, let first = buffer.getInteger(at: index, as: UInt8.self) else {
            throw .truncated(needed: 1, available: 0)
        }
        guard first != 0 else { throw .malformed("EBML variable-size integer longer than 8 bytes") }
        let length = first.leadingZeroBitCount + 1
        guard index + length <= end, let bytes = buffer.getBytes(at: index, length: length) else {
            throw .truncated(needed: length, available: max(0, end - index))
        }
        let valueBits = UInt64(7 * length)
        let raw = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & ((UInt64(1) << valueBits) - 1)
        return (raw == (UInt64(1) << valueBits) - 1 ? nil : raw, length)
    }

    /// Reads the header of the element at `index`, whose data must lie before `end` when its
    /// size is known (``MediaReaderError/truncated(needed:available:)`` otherwise) unless
    /// `checkingSize` is false (for a master read child by child, such as a Cluster).
    public static func readHeader(_ buffer: ByteBuffer, at index: Int, end: Int,
                                  checkingSize: Bool = true) throws(MediaReaderError) -> EBMLElementHeader {
        let (id, idLength) = try readID(buffer, at: index, end: end)
        let (size, sizeLength) = try readVInt(buffer, at: index + idLength, end: end)
        let header = EBMLElementHeader(id: id, size: size, headerLength: idLength + sizeLength)
        if checkingSize, let size {
            let available = end - index - header.headerLength
            guard size <= UInt64(available) else {
                throw .truncated(needed: header.headerLength + (size > UInt64(Int32.max) ? Int(Int32.max) : Int(size)),
                                 available: end - index)
            }
        }
        return header
    }

    /// The value of an unsigned integer element whose data is `size` (0–8) bytes at `index`.
    public static func readUnsigned(_ buffer: ByteBuffer, at index: Int, size: Int) throws(MediaReaderError) -> UInt64 {
        guard size <= 8 else { throw .malformed("unsigned integer of \(size) bytes") }
        guard let bytes = buffer.getBytes(at: index, length: size) else { throw .truncated(needed: size, available: 0) }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The value of a signed integer element whose data is `size` (0–8) bytes at `index`.
    public static func readSigned(_ buffer: ByteBuffer, at index: Int, size: Int) throws(MediaReaderError) -> Int64 {
        let raw = try readUnsigned(buffer, at: index, size: size)
        guard size > 0, size < 8 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - 8 * size)
        return Int64(bitPattern: raw << shift) >> shift
    }

    /// The value of a float element whose data is 0, 4 or 8 bytes at `index`.
    public static func readFloat(_ buffer: ByteBuffer, at index: Int, size: Int) throws(MediaReaderError) -> Double {
        switch size {
        case 0: return 0
        case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: try readUnsigned(buffer, at: index, size: 4))))
        case 8: return Double(bitPattern: try readUnsigned(buffer, at: index, size: 8))
        default: throw .malformed("float of \(size) bytes")
        }
    }

    /// The value of a string element whose data is `size` bytes at `index`, up to the first
    /// zero byte (RFC 8794 §7.4 allows trailing zeros).
    public static func readString(_ buffer: ByteBuffer, at index: Int, size: Int) throws(MediaReaderError) -> String {
        guard let bytes = buffer.getBytes(at: index, length: size) else { throw .truncated(needed: size, available: 0) }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
