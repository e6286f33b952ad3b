import NIOCore
import RTCRTP

/// Turns RFC 4588 retransmission packets back into the packets they repair: the first two
/// payload octets are the original sequence number (OSN), the rest the original payload; the
/// SSRC and payload type become the media stream's (RFC 4588 §4). The timestamp, marker and
/// header extensions are the original's already.
public struct RTXUnwrapper: Hashable, Sendable {
    /// Why an RTX packet was not unwrapped.
    public enum Refusal: Error, Hashable, Sendable {
        /// The payload has no OSN, or nothing after it: padding sent to probe bandwidth (RFC 4588 §4, libwebrtc).
        case paddingOnly
        /// The payload type is not the negotiated RTX payload type.
        case unknownPayloadType(UInt8)
    }

    /// The SSRC of the RTX stream (RFC 4588 §5: its own SSRC, session-multiplexed).
    public let rtxSSRC: UInt32
    /// The RTX payload type (`apt` names the media one, RFC 4588 §8.6).
    public let rtxPayloadType: UInt8
    /// The media SSRC the packets repair.
    public let mediaSSRC: UInt32
    /// The media payload type (`apt`).
    public let mediaPayloadType: UInt8

    /// Creates an unwrapper for one RTX / media pair.
    public init(rtxSSRC: UInt32, rtxPayloadType: UInt8, mediaSSRC: UInt32, mediaPayloadType: UInt8) {
        self.rtxSSRC = rtxSSRC
        self.rtxPayloadType = rtxPayloadType
        self.mediaSSRC = mediaSSRC
        self.mediaPayloadType = mediaPayloadType
    }

    /// The original packet inside `packet`, which must be on ``rtxSSRC``.
    public func unwrap(_ packet: RTPPacket) throws(Refusal) -> RTPPacket {
        guard packet.header.payloadType == rtxPayloadType else { throw .unknownPayloadType(packet.header.payloadType) }
        var payload = packet.payload
        guard payload.readableBytes > 2, let osn = payload.readInteger(as: UInt16.self) else { throw .paddingOnly }
        var header = packet.header
        header.sequenceNumber = osn
        header.ssrc = mediaSSRC
        header.payloadType = mediaPayloadType
        return RTPPacket(header: header, payload: payload)
    }
}
