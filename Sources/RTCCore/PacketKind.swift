/// What a datagram arriving on a WebRTC 5-tuple carries, decided by its first byte.
///
/// RFC 7983 §7 (updating RFC 5764 §5.1.2) multiplexes STUN, DTLS, TURN channel data and
/// SRTP/SRTCP on one port; the first byte of every one of them falls in a distinct range.
public enum PacketKind: Sendable, Hashable {
    /// First byte 0–3: a STUN message (RFC 8489).
    case stun
    /// First byte 16–19: ZRTP (RFC 6189). WebRTC does not use it.
    case zrtp
    /// First byte 20–63: a DTLS record (RFC 6347).
    case dtls
    /// First byte 64–79: TURN ChannelData (RFC 8656 §12).
    case turnChannel
    /// First byte 128–191: RTP or RTCP (RFC 3550); tell them apart with `isRTCP(secondByte:)`.
    case rtpOrRTCP
    /// Anything else, including an empty datagram: to be dropped.
    case unknown

    /// Classifies a datagram by its first byte (RFC 7983 §7).
    public init(firstByte: UInt8) {
        switch firstByte {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannel
        case 128...191: self = .rtpOrRTCP
        default: self = .unknown
        }
    }

    /// Classifies a datagram; an empty one is `.unknown`.
    public init<C: Collection>(datagram: C) where C.Element == UInt8 {
        guard let first = datagram.first else { self = .unknown; return }
        self.init(firstByte: first)
    }

    /// RFC 5761 §4: with rtcp-mux, a packet whose second byte (marker + payload type) is in
    /// 192–223 is RTCP (payload types 64–95 are never used by RTP in that case).
    public static func isRTCP(secondByte: UInt8) -> Bool {
        (192...223).contains(secondByte)
    }
}
