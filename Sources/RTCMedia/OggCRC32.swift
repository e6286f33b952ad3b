import NIOCore

/// The CRC-32 of Ogg pages (RFC 3533 §6): generator polynomial 0x04C11DB7, initial value 0,
/// most significant bit first (no reflection), no final XOR, computed over the whole page with
/// its checksum field set to zero.
public enum OggCRC32 {
    /// The byte-at-a-time lookup table of the polynomial.
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index) << 24
        for _ in 0..<8 {
            crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1
        }
        return crc
    }

    /// Continues `crc` over `bytes` (start with 0).
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 24) ^ byte)]
            }
        }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, with: $0) }
    }

    /// The checksum of the readable bytes of `buffer`.
    public static func checksum(_ buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { update(0, with: $0) }
    }
}
