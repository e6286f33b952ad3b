/// The 96-bit transaction id of a STUN message (RFC 8489 §5, §6.3), held without allocation.
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    /// The first 32 bits (bytes 0–3), big-endian.
    public var high: UInt32
    /// The last 64 bits (bytes 4–11), big-endian.
    public var low: UInt64

    /// Creates an id from its two halves.
    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an id from exactly 12 bytes; `nil` for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 12 else { return nil }
        var h: UInt32 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 4 { h = h << 8 | UInt32(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// A fresh random id (RFC 8489 §6.3: "uniformly and randomly chosen"). Pass a
    /// cryptographically secure generator in production.
    public static func random<G: RandomNumberGenerator>(using rng: inout G) -> STUNTransactionID {
        STUNTransactionID(high: UInt32(truncatingIfNeeded: rng.next()), low: rng.next())
    }

    /// The 12 bytes, in wire order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(12)
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt32(s))) }
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(s))) }
        return out
    }

    /// Lower-case hex of the 12 bytes.
    public var description: String {
        let h = String(high, radix: 16)
        let l = String(low, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }
}
