/// A STUN attribute type (RFC 8489 §14, §18.3). Types below 0x8000 are
/// comprehension-required: an agent that does not understand one must reject the message
/// (RFC 8489 §7.3.1 with 420 Unknown Attribute for requests).
public struct STUNAttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit type number.
    public var rawValue: UInt16

    /// Creates a type from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `true` for 0x0000–0x7FFF (RFC 8489 §14).
    public var isComprehensionRequired: Bool { rawValue < 0x8000 }

    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    public static let mappedAddress = STUNAttributeType(rawValue: 0x0001)
    /// USERNAME (RFC 8489 §14.3).
    public static let username = STUNAttributeType(rawValue: 0x0006)
    /// MESSAGE-INTEGRITY, HMAC-SHA1 (RFC 8489 §14.5).
    public static let messageIntegrity = STUNAttributeType(rawValue: 0x0008)
    /// ERROR-CODE (RFC 8489 §14.8).
    public static let errorCode = STUNAttributeType(rawValue: 0x0009)
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9).
    public static let unknownAttributes = STUNAttributeType(rawValue: 0x000A)
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    public static let channelNumber = STUNAttributeType(rawValue: 0x000C)
    /// LIFETIME (RFC 8656 §18.2).
    public static let lifetime = STUNAttributeType(rawValue: 0x000D)
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    public static let xorPeerAddress = STUNAttributeType(rawValue: 0x0012)
    /// DATA (RFC 8656 §18.4).
    public static let data = STUNAttributeType(rawValue: 0x0013)
    /// REALM (RFC 8489 §14.9).
    public static let realm = STUNAttributeType(rawValue: 0x0014)
    /// NONCE (RFC 8489 §14.10).
    public static let nonce = STUNAttributeType(rawValue: 0x0015)
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    public static let xorRelayedAddress = STUNAttributeType(rawValue: 0x0016)
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    public static let requestedAddressFamily = STUNAttributeType(rawValue: 0x0017)
    /// EVEN-PORT (RFC 8656 §18.7).
    public static let evenPort = STUNAttributeType(rawValue: 0x0018)
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    public static let requestedTransport = STUNAttributeType(rawValue: 0x0019)
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    public static let dontFragment = STUNAttributeType(rawValue: 0x001A)
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    public static let messageIntegritySHA256 = STUNAttributeType(rawValue: 0x001C)
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    public static let passwordAlgorithm = STUNAttributeType(rawValue: 0x001D)
    /// USERHASH (RFC 8489 §14.4).
    public static let userhash = STUNAttributeType(rawValue: 0x001E)
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    public static let xorMappedAddress = STUNAttributeType(rawValue: 0x0020)
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    public static let reservationToken = STUNAttributeType(rawValue: 0x0022)
    /// PRIORITY (RFC 8445 §16.1).
    public static let priority = STUNAttributeType(rawValue: 0x0024)
    /// USE-CANDIDATE (RFC 8445 §16.1).
    public static let useCandidate = STUNAttributeType(rawValue: 0x0025)
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    public static let additionalAddressFamily = STUNAttributeType(rawValue: 0x8000)
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    public static let addressErrorCode = STUNAttributeType(rawValue: 0x8001)
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    public static let passwordAlgorithms = STUNAttributeType(rawValue: 0x8002)
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16).
    public static let alternateDomain = STUNAttributeType(rawValue: 0x8003)
    /// ICMP (RFC 8656 §18.13).
    public static let icmp = STUNAttributeType(rawValue: 0x8004)
    /// SOFTWARE (RFC 8489 §14.14).
    public static let software = STUNAttributeType(rawValue: 0x8022)
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    public static let alternateServer = STUNAttributeType(rawValue: 0x8023)
    /// FINGERPRINT (RFC 8489 §14.7).
    public static let fingerprint = STUNAttributeType(rawValue: 0x8028)
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    public static let iceControlled = STUNAttributeType(rawValue: 0x8029)
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    public static let iceControlling = STUNAttributeType(rawValue: 0x802A)
    /// RESPONSE-ORIGIN (RFC 5780 §7.3).
    public static let responseOrigin = STUNAttributeType(rawValue: 0x802B)
    /// OTHER-ADDRESS (RFC 5780 §7.4).
    public static let otherAddress = STUNAttributeType(rawValue: 0x802C)

    /// The comprehension-required types this codec and its users (ICE, TURN) understand.
    /// RFC 8489 §7.3.1: any other type below 0x8000 makes a request fail with 420.
    public static let understoodComprehensionRequired: Set<STUNAttributeType> = [
        .mappedAddress, .username, .messageIntegrity, .errorCode, .unknownAttributes, .channelNumber,
        .lifetime, .xorPeerAddress, .data, .realm, .nonce, .xorRelayedAddress, .requestedAddressFamily,
        .evenPort, .requestedTransport, .dontFragment, .messageIntegritySHA256, .passwordAlgorithm,
        .userhash, .xorMappedAddress, .reservationToken, .priority, .useCandidate,
    ]

    /// E.g. `0x0020`.
    public var description: String {
        let h = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - h.count) + h
    }
}

/// One attribute as it appears on the wire: its type and its value bytes (without padding).
/// Attributes the codec has no typed accessor for (e.g. TURN's) are kept like this so a
/// message round-trips unchanged (RFC 8489 §14).
public struct STUNAttribute: Hashable, Sendable {
    /// The attribute type.
    public var type: STUNAttributeType
    /// The value, unpadded. At most 65 535 bytes.
    public var value: [UInt8]

    /// Creates an attribute from raw parts.
    public init(type: STUNAttributeType, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}
