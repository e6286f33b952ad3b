import NIOCore

extension ByteBuffer {
    /// Writes zero bytes until the writer index is a multiple of four (SCTP padding, RFC 9260 §3.2).
    @inlinable
    mutating func writeSCTPPadding(from start: Int) {
        let pad = (4 - ((writerIndex - start) & 3)) & 3
        if pad > 0 { writeRepeatingByte(0, count: pad) }
    }
}

/// Serial-number comparisons on 32-bit TSNs (RFC 9260 §1.6, RFC 1982).
@inlinable func tsnLess(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
/// `a <= b` in serial-number arithmetic.
@inlinable func tsnLessOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }
/// Serial-number comparison on 16-bit stream sequence numbers.
@inlinable func ssnLess(_ a: UInt16, _ b: UInt16) -> Bool { Int16(bitPattern: a &- b) < 0 }
