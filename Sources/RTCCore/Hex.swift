/// Hexadecimal helpers used by fingerprints, test vectors and diagnostics.
public enum Hex {
    /// Lower-case hex of `bytes`, with `separator` between bytes (none by default).
    public static func encode<C: Sequence>(_ bytes: C, separator: String = "", uppercase: Bool = false) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * (2 + separator.utf8.count))
        append(bytes, separator: separator, uppercase: uppercase, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the hex of `bytes` as UTF-8 to `out` (what ``encode(_:separator:uppercase:)``
    /// returns, for writers that build text as bytes).
    public static func append<C: Sequence>(_ bytes: C, separator: String = "", uppercase: Bool = false,
                                           to out: inout [UInt8]) where C.Element == UInt8 {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        var first = true
        digits.withUTF8Buffer { digits in
            for b in bytes {
                if !first { out.append(contentsOf: separator.utf8) }
                first = false
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xf)])
            }
        }
    }

    /// Decodes hex text, ignoring whitespace and `:` separators; `nil` on any other character
    /// or an odd number of digits.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for ch in text.unicodeScalars {
            let v: UInt8
            switch ch {
            case "0"..."9": v = UInt8(ch.value - 48)
            case "a"..."f": v = UInt8(ch.value - 87)
            case "A"..."F": v = UInt8(ch.value - 55)
            case " ", "\n", "\t", "\r", ":": continue
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return high == nil ? out : nil
    }
}
