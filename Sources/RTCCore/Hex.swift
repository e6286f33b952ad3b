/// Hexadecimal helpers used by fingerprints, test vectors and diagnostics.
public enum Hex {
    /// Lower-case hex of `bytes`, with `separator` between bytes (none by default).
    public static func encode<C: Sequence>(_ bytes: C, separator: String = "", uppercase: Bool = false) -> String where C.Element == UInt8 {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * (2 + separator.utf8.count))
        var first = true
        digits.withUTF8Buffer { digits in
            for b in bytes {
                if !first { out.append(contentsOf: separator.utf8) }
                first = false
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
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
