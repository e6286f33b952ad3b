/// Why an RTP packet could not be parsed (RFC 3550 §5.1, RFC 8285 §4). Offsets are byte
/// positions from the start of the packet.
public enum RTPParseError: Error, Hashable, Sendable {
    /// Fewer than the 12 bytes of the fixed header (RFC 3550 §5.1).
    case truncatedFixedHeader(length: Int)
    /// The version field is not 2 (RFC 3550 §5.1).
    case unsupportedVersion(UInt8)
    /// The CSRC list announced by CC does not fit in the packet (RFC 3550 §5.1).
    case truncatedCSRCList(csrcCount: Int, available: Int)
    /// The X bit is set but the 4-byte extension header is missing (RFC 3550 §5.3.1).
    case truncatedExtensionHeader(offset: Int)
    /// The extension's length (in 32-bit words) runs past the end of the packet (RFC 3550 §5.3.1).
    case truncatedExtension(offset: Int, declared: Int, available: Int)
    /// A one- or two-byte extension element runs past the end of the extension block (RFC 8285 §4.2, §4.3).
    case extensionElementOverrun(offset: Int, id: UInt8, length: Int)
    /// The P bit is set but the padding count is zero or larger than what follows the header (RFC 3550 §5.1).
    case invalidPaddingLength(declared: Int, available: Int)
}

/// Why an RTCP datagram could not be parsed (RFC 3550 §6.4, RFC 4585 §6.1, RFC 3611 §3).
/// Offsets are byte positions from the start of the compound datagram.
public enum RTCPParseError: Error, Hashable, Sendable {
    /// The datagram holds no RTCP packet at all (RFC 3550 §6.1).
    case empty
    /// Fewer than 4 bytes remain for a common header at `offset` (RFC 3550 §6.4.1).
    case truncatedHeader(offset: Int, available: Int)
    /// The version field of the packet at `offset` is not 2 (RFC 3550 §6.4.1).
    case unsupportedVersion(UInt8, offset: Int)
    /// The packet's length field runs past the end of the datagram (RFC 3550 §6.4.1).
    case lengthBeyondDatagram(offset: Int, declared: Int, available: Int)
    /// The P bit is set but the padding count is zero or larger than the packet (RFC 3550 §6.4.1).
    case invalidPadding(offset: Int, declared: Int, packetLength: Int)
    /// The body of a packet of type `packetType` at `offset` is malformed; `reason` says how.
    case malformedBody(packetType: UInt8, offset: Int, reason: String)
}
