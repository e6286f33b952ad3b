import NIOCore

/// URIs of the header extensions WebRTC peers negotiate with `a=extmap` (RFC 8285 §5); the SDP
/// maps each to the local ID used in packets.
public enum RTPHeaderExtensionURI {
    /// Media identification, the BUNDLE `mid` (RFC 9143 §15).
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RTP stream identifier for simulcast (RFC 8852 §3.1).
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    /// Repaired RTP stream identifier (RFC 8852 §3.2).
    public static let repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    /// Client-to-mixer audio level (RFC 6464 §4).
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// Transmission time offset (RFC 5450 §2).
    public static let transmissionOffset = "urn:ietf:params:rtp-hdrext:toffset"
    /// Absolute send time, 6.18 fixed-point seconds (webrtc.org abs-send-time).
    public static let absoluteSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public static let transportWideSequenceNumber = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
}

extension RTPHeaderExtensionElement {
    /// A transport-wide sequence number element: 16 bits, big-endian (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public static func transportWideSequenceNumber(id: UInt8, _ sequenceNumber: UInt16) -> RTPHeaderExtensionElement {
        var value = ByteBuffer()
        value.writeInteger(sequenceNumber)
        return RTPHeaderExtensionElement(id: id, value: value)
    }

    /// The value read as a transport-wide sequence number, when it is 2 bytes long (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public var transportWideSequenceNumber: UInt16? {
        value.readableBytes == 2 ? value.getInteger(at: value.readerIndex, as: UInt16.self) : nil
    }

    /// An absolute send time element: the low 24 bits of `sendTime`, 6.18 fixed-point seconds (webrtc.org abs-send-time).
    public static func absoluteSendTime(id: UInt8, _ sendTime: UInt32) -> RTPHeaderExtensionElement {
        RTPHeaderExtensionElement(id: id, bytes: [UInt8(truncatingIfNeeded: sendTime >> 16), UInt8(truncatingIfNeeded: sendTime >> 8),
                                                  UInt8(truncatingIfNeeded: sendTime)])
    }

    /// The value read as a 24-bit absolute send time, when it is 3 bytes long (webrtc.org abs-send-time).
    public var absoluteSendTime: UInt32? {
        guard value.readableBytes == 3, let bytes = value.getBytes(at: value.readerIndex, length: 3) else { return nil }
        return UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
    }

    /// An audio level element (RFC 6464 §3).
    public static func audioLevel(id: UInt8, _ level: RTPAudioLevel) -> RTPHeaderExtensionElement {
        RTPHeaderExtensionElement(id: id, bytes: [level.byte])
    }

    /// The value read as an audio level, from its first byte (RFC 6464 §3).
    public var audioLevel: RTPAudioLevel? {
        value.getInteger(at: value.readerIndex, as: UInt8.self).map(RTPAudioLevel.init(byte:))
    }

    /// A text element such as `mid` or `rid` (RFC 9143 §15, RFC 8852 §3).
    public static func text(id: UInt8, _ text: String) -> RTPHeaderExtensionElement {
        RTPHeaderExtensionElement(id: id, bytes: Array(text.utf8))
    }

    /// The value decoded as UTF-8 text, as `mid` and `rid` carry (RFC 9143 §15, RFC 8852 §3).
    public var text: String { String(buffer: value) }
}

extension RTPHeaderExtension {
    /// The element with `id`, if present (RFC 8285 §4).
    public func element(id: UInt8) -> RTPHeaderExtensionElement? {
        value(forID: id).map { RTPHeaderExtensionElement(id: id, value: $0) }
    }
}

extension RTCPSenderReport {
    /// The middle 32 bits of the NTP timestamp: what receivers echo as LSR (RFC 3550 §6.4.1).
    public var compactNTPTimestamp: UInt32 { UInt32(truncatingIfNeeded: ntpTimestamp >> 16) }
}

extension RTCPReceptionReport {
    /// Round-trip time in 1/65536 s from this block's LSR and DLSR and the compact NTP time
    /// `arrival` at which the report arrived: A − LSR − DLSR (RFC 3550 §6.4.1). Nil when the
    /// sender has not received an SR yet (LSR = 0) or the result would be negative.
    public func roundTripTime(arrivalCompactNTP arrival: UInt32) -> UInt32? {
        guard lastSenderReport != 0 else { return nil }
        let elapsed = arrival &- lastSenderReport
        guard elapsed >= delaySinceLastSenderReport, elapsed < 0x8000_0000 else { return nil }
        return elapsed - delaySinceLastSenderReport
    }
}
