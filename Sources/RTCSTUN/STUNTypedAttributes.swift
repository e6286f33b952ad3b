import RTCCore

/// ERROR-CODE (RFC 8489 §14.8): a 3-digit code and a reason phrase.
public struct STUNErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The code, 300–699.
    public var code: Int
    /// The UTF-8 reason phrase.
    public var reason: String

    /// Creates an error code.
    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// 300 Try Alternate (RFC 8489 §14.8).
    public static let tryAlternate = STUNErrorCode(code: 300, reason: "Try Alternate")
    /// 400 Bad Request (RFC 8489 §14.8).
    public static let badRequest = STUNErrorCode(code: 400, reason: "Bad Request")
    /// 401 Unauthenticated (RFC 8489 §14.8).
    public static let unauthenticated = STUNErrorCode(code: 401, reason: "Unauthenticated")
    /// 420 Unknown Attribute (RFC 8489 §14.8).
    public static let unknownAttribute = STUNErrorCode(code: 420, reason: "Unknown Attribute")
    /// 438 Stale Nonce (RFC 8489 §14.8).
    public static let staleNonce = STUNErrorCode(code: 438, reason: "Stale Nonce")
    /// 487 Role Conflict (RFC 8445 §7.3.1.1).
    public static let roleConflict = STUNErrorCode(code: 487, reason: "Role Conflict")
    /// 500 Server Error (RFC 8489 §14.8).
    public static let serverError = STUNErrorCode(code: 500, reason: "Server Error")

    /// E.g. `401 Unauthenticated`.
    public var description: String { "\(code) \(reason)" }
}

extension STUNAttribute {
    /// An address attribute value (RFC 8489 §14.1), XORed when `xor` (RFC 8489 §14.2).
    static func addressValue(_ address: TransportAddress, xor: Bool, transactionID: STUNTransactionID) -> [UInt8] {
        var out: [UInt8] = [0, address.ip.isIPv4 ? 0x01 : 0x02]
        let port = xor ? address.port ^ UInt16(stunMagicCookie >> 16) : address.port
        out.append(UInt8(port >> 8)); out.append(UInt8(port & 0xff))
        var ip = address.ip.bytes
        if xor {
            let mask = mappedMask(transactionID)
            for i in ip.indices { ip[i] ^= mask[i] }
        }
        out += ip
        return out
    }

    static func mappedMask(_ tid: STUNTransactionID) -> [UInt8] {
        [0x21, 0x12, 0xA4, 0x42] + tid.bytes
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2) for a message with `transactionID`.
    public static func xorMappedAddress(_ address: TransportAddress, transactionID: STUNTransactionID) -> STUNAttribute {
        STUNAttribute(type: .xorMappedAddress, value: addressValue(address, xor: true, transactionID: transactionID))
    }

    /// An XOR-encoded address attribute of any type (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS, RFC 8656 §18).
    public static func xorAddress(_ type: STUNAttributeType, _ address: TransportAddress, transactionID: STUNTransactionID) -> STUNAttribute {
        STUNAttribute(type: type, value: addressValue(address, xor: true, transactionID: transactionID))
    }

    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    public static func mappedAddress(_ address: TransportAddress) -> STUNAttribute {
        STUNAttribute(type: .mappedAddress, value: addressValue(address, xor: false, transactionID: STUNTransactionID(high: 0, low: 0)))
    }

    /// USERNAME (RFC 8489 §14.3).
    public static func username(_ name: String) -> STUNAttribute {
        STUNAttribute(type: .username, value: Array(name.utf8))
    }

    /// REALM (RFC 8489 §14.9).
    public static func realm(_ realm: String) -> STUNAttribute {
        STUNAttribute(type: .realm, value: Array(realm.utf8))
    }

    /// NONCE (RFC 8489 §14.10).
    public static func nonce(_ nonce: String) -> STUNAttribute {
        STUNAttribute(type: .nonce, value: Array(nonce.utf8))
    }

    /// SOFTWARE (RFC 8489 §14.14).
    public static func software(_ text: String) -> STUNAttribute {
        STUNAttribute(type: .software, value: Array(text.utf8))
    }

    /// ERROR-CODE (RFC 8489 §14.8).
    public static func errorCode(_ error: STUNErrorCode) -> STUNAttribute {
        let code = max(300, min(699, error.code))
        return STUNAttribute(type: .errorCode, value: [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(error.reason.utf8))
    }

    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    public static func unknownAttributes(_ types: [STUNAttributeType]) -> STUNAttribute {
        STUNAttribute(type: .unknownAttributes, value: types.flatMap { [UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xff)] })
    }

    /// PRIORITY (RFC 8445 §7.1.1).
    public static func priority(_ value: UInt32) -> STUNAttribute {
        STUNAttribute(type: .priority, value: bigEndianBytes(UInt64(value), count: 4))
    }

    /// USE-CANDIDATE (RFC 8445 §7.1.2), empty.
    public static let useCandidate = STUNAttribute(type: .useCandidate, value: [])

    /// ICE-CONTROLLING with the agent's tie-breaker (RFC 8445 §7.1.3).
    public static func iceControlling(_ tieBreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: .iceControlling, value: bigEndianBytes(tieBreaker, count: 8))
    }

    /// ICE-CONTROLLED with the agent's tie-breaker (RFC 8445 §7.1.3).
    public static func iceControlled(_ tieBreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: .iceControlled, value: bigEndianBytes(tieBreaker, count: 8))
    }

    /// A 32-bit big-endian attribute, e.g. LIFETIME (RFC 8656 §18.2).
    public static func uint32(_ type: STUNAttributeType, _ value: UInt32) -> STUNAttribute {
        STUNAttribute(type: type, value: bigEndianBytes(UInt64(value), count: 4))
    }

    static func bigEndianBytes(_ v: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * (count - 1 - $0))) }
    }

    /// The value as a big-endian unsigned integer of exactly `count` bytes.
    func integer(count: Int) throws(STUNAttributeError) -> UInt64 {
        guard value.count == count else { throw .badLength(type: type, length: value.count) }
        return value.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Decodes an address attribute (RFC 8489 §14.1/§14.2), un-XORing with `transactionID`
    /// when `xor` is true.
    public func address(xor: Bool, transactionID: STUNTransactionID) throws(STUNAttributeError) -> TransportAddress {
        guard value.count >= 4 else { throw .badLength(type: type, length: value.count) }
        let family = value[1]
        let expected: Int
        switch family {
        case 0x01: expected = 8
        case 0x02: expected = 20
        default: throw .unknownAddressFamily(type: type, family: family)
        }
        guard value.count == expected else { throw .badLength(type: type, length: value.count) }
        var port = UInt16(value[2]) << 8 | UInt16(value[3])
        var ip = Array(value[4...])
        if xor {
            port ^= UInt16(stunMagicCookie >> 16)
            let mask = STUNAttribute.mappedMask(transactionID)
            for i in ip.indices { ip[i] ^= mask[i] }
        }
        return TransportAddress(ip: IPAddress(bytes: ip)!, port: port)
    }

    /// Decodes the value as UTF-8 text.
    public func text() throws(STUNAttributeError) -> String {
        guard let s = String(validating: value, as: UTF8.self) else { throw .notUTF8(type: type) }
        return s
    }

    /// Decodes ERROR-CODE (RFC 8489 §14.8).
    public func errorCodeValue() throws(STUNAttributeError) -> STUNErrorCode {
        guard value.count >= 4 else { throw .badLength(type: type, length: value.count) }
        let cls = value[2] & 0x07, number = value[3]
        guard (3...6).contains(cls), number < 100 else { throw .badErrorCode(type: type, classDigit: cls, number: number) }
        let reason = String(decoding: value[4...], as: UTF8.self)
        return STUNErrorCode(code: Int(cls) * 100 + Int(number), reason: reason)
    }

    /// Decodes UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    public func unknownAttributeTypes() throws(STUNAttributeError) -> [STUNAttributeType] {
        guard value.count % 2 == 0 else { throw .badLength(type: type, length: value.count) }
        return stride(from: 0, to: value.count, by: 2).map { STUNAttributeType(rawValue: UInt16(value[$0]) << 8 | UInt16(value[$0 + 1])) }
    }
}

extension STUNMessage {
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), or `nil` when absent or malformed.
    public var xorMappedAddress: TransportAddress? {
        try? attribute(.xorMappedAddress)?.address(xor: true, transactionID: transactionID)
    }

    /// An XOR-encoded address attribute of `type` (RFC 8489 §14.2, RFC 8656 §18); throws when malformed.
    public func xorAddress(_ type: STUNAttributeType) throws(STUNAttributeError) -> TransportAddress? {
        guard let a = attribute(type) else { return nil }
        return try a.address(xor: true, transactionID: transactionID)
    }

    /// MAPPED-ADDRESS (RFC 8489 §14.1), or `nil` when absent or malformed.
    public var mappedAddress: TransportAddress? {
        try? attribute(.mappedAddress)?.address(xor: false, transactionID: transactionID)
    }

    /// USERNAME (RFC 8489 §14.3) as text.
    public var username: String? { try? attribute(.username)?.text() }
    /// REALM (RFC 8489 §14.9) as text.
    public var realm: String? { try? attribute(.realm)?.text() }
    /// NONCE (RFC 8489 §14.10) as text.
    public var nonce: String? { try? attribute(.nonce)?.text() }
    /// SOFTWARE (RFC 8489 §14.14) as text.
    public var software: String? { try? attribute(.software)?.text() }
    /// ERROR-CODE (RFC 8489 §14.8).
    public var errorCode: STUNErrorCode? { try? attribute(.errorCode)?.errorCodeValue() }
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    public var unknownAttributes: [STUNAttributeType]? { try? attribute(.unknownAttributes)?.unknownAttributeTypes() }
    /// PRIORITY (RFC 8445 §7.1.1).
    public var priority: UInt32? { (try? attribute(.priority)?.integer(count: 4)).map { UInt32(truncatingIfNeeded: $0) } }
    /// USE-CANDIDATE present (RFC 8445 §7.1.2).
    public var useCandidate: Bool { contains(.useCandidate) }
    /// ICE-CONTROLLING's tie-breaker (RFC 8445 §7.1.3).
    public var iceControlling: UInt64? { try? attribute(.iceControlling)?.integer(count: 8) }
    /// ICE-CONTROLLED's tie-breaker (RFC 8445 §7.1.3).
    public var iceControlled: UInt64? { try? attribute(.iceControlled)?.integer(count: 8) }
    /// A 32-bit attribute such as LIFETIME (RFC 8656 §18.2).
    public func uint32(_ type: STUNAttributeType) -> UInt32? {
        (try? attribute(type)?.integer(count: 4)).map { UInt32(truncatingIfNeeded: $0) }
    }
}
