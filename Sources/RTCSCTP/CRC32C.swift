import CRTCCrypto

/// CRC32c (Castagnoli), the SCTP packet checksum. RFC 9260 §6.8 and Appendix B.
///
/// With SSE4.2's CRC32 instruction where the CPU has it (CRTCCrypto), else table-driven,
/// slicing-by-8: eight 256-entry tables let the loop fold eight input bytes per step. The value is computed as in RFC 9260 Appendix B (reflected polynomial 0x82F63B78,
/// initial value and final XOR 0xFFFFFFFF) and stored in the packet least-significant byte first.
public enum CRC32C {
    private static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC32c of `bytes`. RFC 9260 Appendix B.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let result = bytes.withContiguousStorageIfAvailable { ~update(0xFFFF_FFFF, UnsafeRawBufferPointer($0)) }
        if let result { return result }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { ~update(0xFFFF_FFFF, $0) }
    }

    /// `true` when the SSE4.2 CRC32 instruction computes the checksum (CRTCCrypto), else the tables.
    public static let usesHardware = crtc_cpu_has_crc32c() != 0

    /// Folds `bytes` into a running (non-inverted) CRC register `crc`. Start with
    /// `0xFFFFFFFF` and invert the final register to get the checksum. RFC 9260 Appendix B.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard usesHardware else { return updateWithTables(crc, bytes) }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return crtc_crc32c_update(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// ``update(_:_:)`` with the slicing-by-8 tables (every CPU; the reference for the hardware path).
    public static func updateWithTables(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        var count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return crc }
        var p = base.assumingMemoryBound(to: UInt8.self)
        table.withUnsafeBufferPointer { t in
            while count >= 8 {
                let lo = (UInt32(p[0]) | (UInt32(p[1]) << 8) | (UInt32(p[2]) << 16) | (UInt32(p[3]) << 24)) ^ crc
                let hi = UInt32(p[4]) | (UInt32(p[5]) << 8) | (UInt32(p[6]) << 16) | (UInt32(p[7]) << 24)
                let a = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                let b = t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                let c = t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                let d = t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                crc = a ^ b ^ c ^ d
                p += 8
                count -= 8
            }
            while count > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p[0])) & 0xFF)]
                p += 1
                count -= 1
            }
        }
        return crc
    }
}
