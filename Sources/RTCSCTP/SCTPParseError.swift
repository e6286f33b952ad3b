/// What was wrong with bytes that claimed to be an SCTP packet, chunk, parameter or error cause.
/// RFC 9260 §3 (packet format).
public enum SCTPParseError: Error, Equatable, Sendable {
    /// The packet is shorter than the 12-byte common header. RFC 9260 §3.1.
    case packetTooShort(length: Int)
    /// The CRC32c in the common header does not match the packet. RFC 9260 §6.8.
    case badChecksum(received: UInt32, computed: UInt32)
    /// A chunk's length field is below 4 or runs past the end of the packet. RFC 9260 §3.2.
    case badChunkLength(type: UInt8, offset: Int, length: Int)
    /// A chunk of `type` is shorter than its fixed part (`minimum` bytes). RFC 9260 §3.3.
    case chunkTooShort(type: UInt8, length: Int, minimum: Int)
    /// A TLV parameter's length is below 4 or runs past its chunk. RFC 9260 §3.2.1.
    case badParameterLength(type: UInt16, offset: Int, length: Int)
    /// An error cause's length is below 4 or runs past its chunk. RFC 9260 §3.3.10.
    case badCauseLength(code: UInt16, offset: Int, length: Int)
    /// A field holds a value the RFC forbids (for example a SACK whose gap blocks run past the chunk).
    case invalidField(chunk: UInt8, field: String)
    /// A data-channel (DCEP) message is malformed. RFC 8832 §5.
    case badDCEPMessage(String)
}
