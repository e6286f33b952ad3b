/// Byte-level text helpers. SDP separators are all ASCII, so splitting on UTF-8 bytes keeps
/// Unicode grapheme rules (e.g. a combining mark after a space) from changing where fields end.
enum SDPText {
    static let space: UInt8 = 0x20

    /// Space-separated fields, empty ones dropped.
    static func fields(_ s: String) -> [String] {
        pieces(s, on: space, keepingEmpty: false)
    }

    /// All pieces between `byte`s, empty ones kept.
    static func split(_ s: String, on byte: UInt8) -> [String] {
        pieces(s, on: byte, keepingEmpty: true)
    }

    /// The pieces of `s` between `byte`s, read from its contiguous UTF-8 (a native string's
    /// storage; generic `UTF8View` indexing cost more than the rest of parsing an SDP line).
    static func pieces(_ s: String, on byte: UInt8, keepingEmpty: Bool) -> [String] {
        var s = s
        return s.withUTF8 { bytes in
            var out: [String] = []
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == byte {
                if keepingEmpty || i > start {
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                }
                start = i + 1
            }
            return out
        }
    }

    /// The text before and after the first `byte`, or `nil` when there is none.
    static func splitFirst(_ s: String, on byte: UInt8) -> (String, String)? {
        var s = s
        return s.withUTF8 { bytes in
            guard let i = bytes.firstIndex(of: byte) else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[..<i]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 1)...]), as: UTF8.self))
        }
    }

    /// Whether any byte of `s` satisfies `predicate`.
    static func containsByte(_ s: String, where predicate: (UInt8) -> Bool) -> Bool {
        var s = s
        return s.withUTF8 { $0.contains(where: predicate) }
    }

    /// A strictly decimal unsigned number (digits only, no sign), `nil` on overflow.
    static func number<T: FixedWidthInteger & UnsignedInteger>(_ s: String, as: T.Type = T.self) -> T? {
        guard !s.utf8.isEmpty else { return nil }
        var value: T = 0
        for b in s.utf8 {
            guard b >= 0x30, b <= 0x39 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(T(b &- 0x30))
            guard !o1, !o2 else { return nil }
            value = a
        }
        return value
    }

    /// Parses a decimal number or throws `invalidNumber` naming `field`.
    static func number<T: FixedWidthInteger & UnsignedInteger>(_ s: String, field: String, as: T.Type = T.self) throws(SDPParseError.Reason) -> T {
        guard let v: T = number(s) else { throw .invalidNumber(field: field, value: s) }
        return v
    }
}
