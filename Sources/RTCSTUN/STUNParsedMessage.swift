import NIOCore

/// A STUN message parsed from bytes, keeping what is needed to verify its
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (RFC 8489 §14.5–14.7).
public struct STUNParsedMessage: Sendable {
    /// The message (attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256
    /// and FINGERPRINT are ignored, RFC 8489 §14.5).
    public var message: STUNMessage
    /// The received bytes (header included).
    public let bytes: [UInt8]
    /// Offset of the MESSAGE-INTEGRITY attribute header, if present.
    public let integrityOffset: Int?
    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, if present.
    public let integritySHA256Offset: Int?
    /// Offset of the FINGERPRINT attribute header, if present.
    public let fingerprintOffset: Int?

    /// Quick test (RFC 8489 §5, RFC 7983): could these bytes be a STUN message? Checks size,
    /// the two zero bits and the magic cookie only.
    public static func looksLikeSTUN(_ buffer: ByteBuffer) -> Bool {
        guard buffer.readableBytes >= 20,
              let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first & 0xC0 == 0,
              let cookie = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return false }
        return cookie == stunMagicCookie
    }

    /// Parses the readable bytes of `buffer` as exactly one STUN message.
    public init(_ buffer: ByteBuffer) throws(STUNParseError) {
        try self.init(bytes: Array(buffer.readableBytesView))
    }

    /// Parses `bytes` as exactly one STUN message (RFC 8489 §5, §14).
    public init(bytes: [UInt8]) throws(STUNParseError) {
        let n = bytes.count
        guard n >= 20 else { throw .truncatedHeader(length: n) }
        guard bytes[0] & 0xC0 == 0 else { throw .notSTUN(firstByte: bytes[0]) }
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) }
        func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) }
        let cookie = u32(4)
        guard cookie == stunMagicCookie else { throw .badMagicCookie(cookie) }
        let declared = Int(u16(2))
        guard declared % 4 == 0 else { throw .lengthNotMultipleOfFour(declared: declared) }
        guard declared == n - 20 else { throw .lengthMismatch(declared: declared, available: n - 20) }
        let type = STUNMessageType(rawValue: u16(0))
        let tid = STUNTransactionID(high: u32(8), low: UInt64(u32(12)) << 32 | UInt64(u32(16)))
        var attributes: [STUNAttribute] = []
        var mi: Int? = nil, mi256: Int? = nil, fp: Int? = nil
        var offset = 20
        while offset < n {
            guard n - offset >= 4 else { throw .truncatedAttribute(type: 0, offset: offset, declaredLength: 0) }
            let t = u16(offset)
            let len = Int(u16(offset + 2))
            let padded = (len + 3) & ~3
            guard n - offset - 4 >= padded else { throw .truncatedAttribute(type: t, offset: offset, declaredLength: len) }
            let valueStart = offset + 4
            if fp != nil { throw .attributeAfterFingerprint(type: t, offset: offset) }
            switch STUNAttributeType(rawValue: t) {
            case .messageIntegrity:
                guard len == 20 else { throw .badAttributeLength(type: t, offset: offset, length: len) }
                if mi == nil && mi256 == nil { mi = offset }
            case .messageIntegritySHA256:
                guard len >= 16, len <= 32, len % 4 == 0 else { throw .badAttributeLength(type: t, offset: offset, length: len) }
                if mi256 == nil { mi256 = offset }
            case .fingerprint:
                guard len == 4 else { throw .badAttributeLength(type: t, offset: offset, length: len) }
                fp = offset
            default:
                // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY(-SHA256) are ignored.
                if mi == nil && mi256 == nil {
                    attributes.append(STUNAttribute(type: STUNAttributeType(rawValue: t),
                                                    value: Array(bytes[valueStart..<(valueStart + len)])))
                }
            }
            offset = valueStart + padded
        }
        self.message = STUNMessage(type: type, transactionID: tid, attributes: attributes)
        self.bytes = bytes
        self.integrityOffset = mi
        self.integritySHA256Offset = mi256
        self.fingerprintOffset = fp
    }

    /// `true` if MESSAGE-INTEGRITY is present.
    public var hasIntegrity: Bool { integrityOffset != nil }
    /// `true` if MESSAGE-INTEGRITY-SHA256 is present.
    public var hasIntegritySHA256: Bool { integritySHA256Offset != nil }
    /// `true` if FINGERPRINT is present.
    public var hasFingerprint: Bool { fingerprintOffset != nil }

    /// Verifies MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the bytes before the
    /// attribute, with the header's length adjusted to end just after it, compared in
    /// constant time. `false` if the attribute is absent or wrong.
    public func verifyIntegrity(_ key: STUNIntegrityKey) -> Bool {
        guard let at = integrityOffset else { return false }
        let mac = macOverPrefix(at: at, attributeLength: 24) { key.hmacSHA1($0) }
        return constantTimeEqual(mac, bytes[(at + 4)..<(at + 24)])
    }

    /// Verifies MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), accepting the truncated lengths
    /// the RFC allows (16–32 bytes). `false` if absent or wrong.
    public func verifyIntegritySHA256(_ key: STUNIntegrityKey) -> Bool {
        guard let at = integritySHA256Offset else { return false }
        let len = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        let mac = macOverPrefix(at: at, attributeLength: 4 + len) { key.hmacSHA256($0) }
        return constantTimeEqual(Array(mac[0..<len]), bytes[(at + 4)..<(at + 4 + len)])
    }

    /// Verifies FINGERPRINT (RFC 8489 §14.7): CRC-32 of the bytes before it, XOR 0x5354554E.
    /// `false` if absent or wrong.
    public func verifyFingerprint() -> Bool {
        guard let at = fingerprintOffset else { return false }
        var prefix = Array(bytes[0..<at])
        let length = at - 20 + 8
        prefix[2] = UInt8(truncatingIfNeeded: length >> 8)
        prefix[3] = UInt8(truncatingIfNeeded: length)
        let expected = CRC32.checksum(prefix) ^ stunFingerprintXOR
        let got = UInt32(bytes[at + 4]) << 24 | UInt32(bytes[at + 5]) << 16 | UInt32(bytes[at + 6]) << 8 | UInt32(bytes[at + 7])
        return expected == got
    }

    private func macOverPrefix(at: Int, attributeLength: Int, _ mac: (UnsafeRawBufferPointer) -> [UInt8]) -> [UInt8] {
        var prefix = Array(bytes[0..<at])
        let length = at - 20 + attributeLength
        prefix[2] = UInt8(truncatingIfNeeded: length >> 8)
        prefix[3] = UInt8(truncatingIfNeeded: length)
        return prefix.withUnsafeBytes { mac($0) }
    }
}
