import NIOCore

/// One datagram a ``RTPSendStream`` wants sent: an RTP packet (protect it with SRTP) or a
/// compound RTCP packet (protect it with SRTCP).
public struct RTPSendStreamTransmit: Hashable, Sendable {
    /// Which protocol the bytes are, so the caller picks the SRTP or SRTCP context.
    public enum Kind: Hashable, Sendable {
        /// An RTP packet (RFC 3550 §5), original or retransmission.
        case rtp
        /// A compound RTCP packet (RFC 3550 §6.1).
        case rtcp
    }

    /// Which protocol the bytes are.
    public var kind: Kind
    /// The serialized, unprotected packet.
    public var bytes: ByteBuffer
    /// Where the 2-byte transport-wide sequence number goes, counted from `bytes.readerIndex`;
    /// nil for RTCP and when the extension is not negotiated
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public var transportWideSequenceNumberOffset: Int?
    /// The transport-wide sequence number once a ``TransportWideSequencer`` stamped it.
    public var transportWideSequenceNumber: UInt16?
    /// Whether this packet answers a NACK (an RTX packet or a plain resend).
    public var isRetransmission: Bool
    /// Whether `bytes` are already SRTP-protected: a packet the caller protected and handed back
    /// to the stream's cache (``RTPSendStream/cachesProtectedPackets``), now asked for again by a
    /// NACK. Send it as it is when the stream has no RTX; with RTX, unprotect it, wrap it with
    /// ``RTPSendStream/nextRTXPacket(wrapping:)`` and protect that.
    public var isProtected: Bool

    /// Creates a transmit.
    public init(kind: Kind, bytes: ByteBuffer, transportWideSequenceNumberOffset: Int? = nil,
                transportWideSequenceNumber: UInt16? = nil, isRetransmission: Bool = false, isProtected: Bool = false) {
        self.kind = kind
        self.bytes = bytes
        self.transportWideSequenceNumberOffset = transportWideSequenceNumberOffset
        self.transportWideSequenceNumber = transportWideSequenceNumber
        self.isRetransmission = isRetransmission
        self.isProtected = isProtected
    }
}
