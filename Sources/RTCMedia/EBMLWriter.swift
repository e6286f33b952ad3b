import NIOCore

/// Writes EBML (RFC 8794): element IDs, variable-size integers ("vints") for element data
/// sizes, and elements of the basic types, appended to a `ByteBuffer`.
///
/// A size vint of length *n* has *n − 1* leading zero bits, a marker bit, then 7·*n* value
/// bits (RFC 8794 §4); the all-ones value means "unknown size". Masters are written with known
/// sizes: ``writeMaster(_:into:_:)`` builds the children first, then writes the size.
///
/// ```swift
/// var out = ByteBuffer()
/// EBMLWriter.writeMaster(MatroskaElementID.info, into: &out) { info in
///     EBMLWriter.writeUnsigned(MatroskaElementID.timestampScale, 1_000_000, into: &info)
///     EBMLWriter.writeString(MatroskaElementID.muxingApp, "SwiftRTC", into: &info)
/// }
/// ```
public enum EBMLWriter {
    /// The largest size a vint of 8 bytes can carry (2⁵⁶ − 2; 2⁵⁶ − 1 means "unknown").
    public static let maximumSize: UInt64 = (1 << 56) - 2
    /// An 8-byte vint meaning "unknown size" (RFC 8794 §6.2), for elements whose size is
    /// back-filled later.
    public static let unknownSize: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    /// The bytes of an element ID: 1 to 4, marker bits included (`0x1A45DFA3` → 4 bytes).
    public static func idLength(_ id: UInt32) -> Int {
        id > 0xFF_FFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1
    }

    /// Appends an element ID.
    public static func writeID(_ id: UInt32, into buffer: inout ByteBuffer) {
        let length = idLength(id)
        for shift in stride(from: (length - 1) * 8, through: 0, by: -8) {
            buffer.writeInteger(UInt8(truncatingIfNeeded: id >> UInt32(shift)))
        }
    }

    /// The shortest vint length (1–8) that carries `size` without meaning "unknown".
    public static func sizeLength(of size: UInt64) -> Int {
        var length = 1
        while length < 8, size >= (UInt64(1) << (7 * UInt64(length))) - 1 { length += 1 }
        return length
    }

    /// The vint bytes of `size` in exactly `length` bytes (1–8). `size` must fit
    /// (below 2^(7·length) − 1); the writers only pass sizes that do.
    public static func sizeBytes(_ size: UInt64, length: Int) -> [UInt8] {
        precondition((1...8).contains(length) && size < (UInt64(1) << (7 * UInt64(length))) - 1, "EBML size does not fit")
        let marked = size | (UInt64(1) << (7 * UInt64(length)))
        return (0..<length).map { UInt8(truncatingIfNeeded: marked >> (8 * UInt64(length - 1 - $0))) }
    }

    /// Appends a data size as a vint, in `length` bytes or the shortest that fits.
    public static func writeSize(_ size: UInt64, length: Int? = nil, into buffer: inout ByteBuffer) {
        buffer.writeBytes(sizeBytes(size, length: length ?? sizeLength(of: size)))
    }

    /// Appends an element's ID and data size; its data follows.
    public static func writeHeader(_ id: UInt32, size: Int, into buffer: inout ByteBuffer) {
        writeID(id, into: &buffer)
        writeSize(UInt64(size), into: &buffer)
    }

    /// Appends an unsigned integer element, big-endian in `length` bytes (1–8) or the fewest
    /// that hold `value` (a fixed length leaves room to patch the value later).
    public static func writeUnsigned(_ id: UInt32, _ value: UInt64, length: Int? = nil, into buffer: inout ByteBuffer) {
        let needed = max(1, (64 - value.leadingZeroBitCount + 7) / 8)
        let count = max(length ?? needed, needed)
        writeHeader(id, size: count, into: &buffer)
        for index in 0..<count { buffer.writeInteger(UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - index)))) }
    }

    /// Appends a signed integer element (two's complement, the fewest bytes that hold it).
    public static func writeSigned(_ id: UInt32, _ value: Int64, into buffer: inout ByteBuffer) {
        var count = 1
        while count < 8, !(Int64(-1) << (8 * count - 1) <= value && value < Int64(1) << (8 * count - 1)) { count += 1 }
        writeHeader(id, size: count, into: &buffer)
        let bits = UInt64(bitPattern: value)
        for index in 0..<count { buffer.writeInteger(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(count - 1 - index)))) }
    }

    /// Appends a float element as an 8-byte IEEE 754 double.
    public static func writeFloat(_ id: UInt32, _ value: Double, into buffer: inout ByteBuffer) {
        writeHeader(id, size: 8, into: &buffer)
        buffer.writeInteger(value.bitPattern)
    }

    /// Appends a string element (ASCII or UTF-8, no terminator).
    public static func writeString(_ id: UInt32, _ value: String, into buffer: inout ByteBuffer) {
        writeHeader(id, size: value.utf8.count, into: &buffer)
        buffer.writeString(value)
    }

    /// Appends a binary element holding the readable bytes of `value`.
    public static func writeBinary(_ id: UInt32, _ value: ByteBuffer, into buffer: inout ByteBuffer) {
        writeHeader(id, size: value.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(value)
    }

    /// Appends a master element of known size: `body` writes the children into a fresh
    /// buffer, then the ID, the size and the children are appended.
    public static func writeMaster(_ id: UInt32, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        var children = ByteBuffer()
        body(&children)
        writeHeader(id, size: children.readableBytes, into: &buffer)
        buffer.writeBuffer(&children)
    }

    /// Appends a Void element that takes exactly `totalSize` bytes, header included (at
    /// least 2: the ID and an empty size); its data is zeros.
    public static func writeVoid(totalSize: Int, into buffer: inout ByteBuffer) {
        precondition(totalSize >= 2, "a Void element takes at least 2 bytes")
        for length in 1...8 {
            let dataSize = totalSize - 1 - length
            if dataSize >= 0, UInt64(dataSize) < (UInt64(1) << (7 * UInt64(length))) - 1 {
                writeID(MatroskaElementID.void, into: &buffer)
                writeSize(UInt64(dataSize), length: length, into: &buffer)
                buffer.writeRepeatingByte(0, count: dataSize)
                return
            }
        }
    }
}
