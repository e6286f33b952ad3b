/// Byte-level text helpers. SDP separators are all ASCII, so splitting on UTF-8 bytes keeps
/// Unicode grapheme rules (e.g. a combining mark after a space) from changing where fields end.
enum SDPText {
    static let space: UInt8 = 0x20

    /// Space-separated fields, empty ones dropped.
    static func fields(_ s: String) -> [String] {
        split(s, on: space).filter { !$0.isEmpty }
    }

    /// All pieces between `byte`s, empty ones kept.
    static func split(_ s: String, on byte: UInt8) -> [String] {
        var out: [String] = []
        var start = s.utf8.startIndex
        var i = start
        while i != s.utf8.endIndex {
            if s.utf8[i] == byte {
                out.append(String(decoding: s.utf8[start..<i], as: UTF8.self))
                start = s.utf8.index(after: i)
            }
            i = s.utf8.index(after: i)
        }
        out.append(String(decoding: s.utf8[start..<s.utf8.endIndex], as: UTF8.self))
        return out
    }

    /// The text before and after the first `byte`, or `nil` when there is none.
    static func splitFirst(_ s: String, on byte: UInt8) -> (String, String)? {
        guard let i = s.utf8.firstIndex(of: byte) else { return nil }
        return (String(decoding: s.utf8[..<i], as: UTF8.self),
                String(decoding: s.utf8[s.utf8.index(after: i)...], as: UTF8.self))
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
