/// Why bytes could not be parsed as a STUN message (RFC 8489 §5, §6.3). Every case says
/// what was wrong and where.
public enum STUNParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer than the 20 bytes of a STUN header.
    case truncatedHeader(length: Int)
    /// The two most significant bits of the first byte are not zero (RFC 8489 §5).
    case notSTUN(firstByte: UInt8)
    /// The magic cookie at bytes 4–7 is not 0x2112A442 (RFC 8489 §5).
    case badMagicCookie(UInt32)
    /// The header's message length is not a multiple of 4 (RFC 8489 §5).
    case lengthNotMultipleOfFour(declared: Int)
    /// The header's message length disagrees with the bytes present.
    case lengthMismatch(declared: Int, available: Int)
    /// An attribute header or value runs past the end of the message.
    case truncatedAttribute(type: UInt16, offset: Int, declaredLength: Int)
    /// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or FINGERPRINT has an impossible length.
    case badAttributeLength(type: UInt16, offset: Int, length: Int)
    /// An attribute other than the permitted ones follows FINGERPRINT (RFC 8489 §14.7).
    case attributeAfterFingerprint(type: UInt16, offset: Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .truncatedHeader(let n): return "STUN: \(n) bytes, shorter than the 20-byte header"
        case .notSTUN(let b): return "STUN: first byte 0x\(String(b, radix: 16)) has a top bit set"
        case .badMagicCookie(let c): return "STUN: magic cookie 0x\(String(c, radix: 16)) is not 0x2112a442"
        case .lengthNotMultipleOfFour(let n): return "STUN: message length \(n) is not a multiple of 4"
        case .lengthMismatch(let d, let a): return "STUN: header says \(d) attribute bytes, \(a) present"
        case .truncatedAttribute(let t, let o, let l): return "STUN: attribute 0x\(String(t, radix: 16)) at offset \(o) with length \(l) runs past the end"
        case .badAttributeLength(let t, let o, let l): return "STUN: attribute 0x\(String(t, radix: 16)) at offset \(o) has invalid length \(l)"
        case .attributeAfterFingerprint(let t, let o): return "STUN: attribute 0x\(String(t, radix: 16)) at offset \(o) follows FINGERPRINT"
        }
    }
}

/// Why an attribute's value could not be decoded into its typed form.
public enum STUNAttributeError: Error, Hashable, Sendable {
    /// The value has the wrong length for its type.
    case badLength(type: STUNAttributeType, length: Int)
    /// An address attribute names a family other than 0x01 (IPv4) or 0x02 (IPv6) (RFC 8489 §14.1).
    case unknownAddressFamily(type: STUNAttributeType, family: UInt8)
    /// ERROR-CODE's class is outside 3–6 or its number above 99 (RFC 8489 §14.8).
    case badErrorCode(type: STUNAttributeType, classDigit: UInt8, number: UInt8)
    /// A text attribute is not valid UTF-8.
    case notUTF8(type: STUNAttributeType)
}
