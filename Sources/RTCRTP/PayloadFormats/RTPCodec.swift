/// The media codecs this stack carries: the one name for a codec shared by SDP negotiation
/// (the `a=rtpmap` encoding name), the payload formats, the RTP streams, the media sources and
/// the file writers.
public enum RTPCodec: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Opus audio (RFC 7587), 48 kHz.
    case opus
    /// VP8 video (RFC 7741).
    case vp8
    /// VP9 video (RFC 9628).
    case vp9
    /// H.264 video, packetization mode 1 (RFC 6184).
    case h264
    /// AV1 video (AOM RTP payload format).
    case av1

    /// Whether the codec is audio or video.
    public enum Kind: String, Hashable, Sendable {
        /// An audio codec.
        case audio
        /// A video codec.
        case video
    }

    /// Audio or video.
    public var kind: Kind { self == .opus ? .audio : .video }

    /// The RTP clock rate (48 kHz for Opus, 90 kHz for video).
    public var clockRate: Int { self == .opus ? OpusPayloadFormat.clockRate : 90_000 }

    /// The encoding name as SDP writes it in `a=rtpmap` (RFC 8866 §6.6; compared case-insensitively).
    public var encodingName: String {
        switch self {
        case .opus: return "opus"
        case .vp8: return "VP8"
        case .vp9: return "VP9"
        case .h264: return "H264"
        case .av1: return "AV1"
        }
    }

    /// The codec an `a=rtpmap` encoding name names, or `nil` for one this stack does not carry
    /// (case-insensitive, RFC 4855 §3).
    public init?(encodingName: String) {
        switch encodingName.lowercased() {
        case "opus": self = .opus
        case "vp8": self = .vp8
        case "vp9": self = .vp9
        case "h264": self = .h264
        case "av1", "av1x": self = .av1
        default: return nil
        }
    }

    /// The payload format that packetizes and depacketizes this codec.
    public var payloadFormat: any RTPPayloadFormat.Type {
        switch self {
        case .opus: return OpusPayloadFormat.self
        case .vp8: return VP8PayloadFormat.self
        case .vp9: return VP9PayloadFormat.self
        case .h264: return H264PayloadFormat.self
        case .av1: return AV1PayloadFormat.self
        }
    }

    /// A fresh packetizer for a new send stream.
    public func makePayloadFormat() -> any RTPPayloadFormat {
        switch self {
        case .opus: return OpusPayloadFormat()
        case .vp8: return VP8PayloadFormat()
        case .vp9: return VP9PayloadFormat()
        case .h264: return H264PayloadFormat()
        case .av1: return AV1PayloadFormat()
        }
    }

    /// The encoding name.
    public var description: String { encodingName }
}
