/// One media codec of an m-section with what is negotiated for it: the payload type, the
/// `a=rtpmap` encoding (RFC 8866 §6.6), the `a=fmtp` parameters (§6.15), its `a=rtcp-fb`
/// feedback (RFC 4585 §4.2) and the payload type of its retransmission stream, bound by
/// `apt` (RFC 4588 §8.6).
public struct JSEPCodec: Hashable, Sendable {
    /// The RTP payload type, 0–127.
    public var payloadType: UInt8
    /// The encoding name as written (`opus`, `VP8`, `H264`); compared case-insensitively.
    public var name: String
    /// The RTP clock rate in Hz.
    public var clockRate: UInt32
    /// The channel count (audio), when the rtpmap gives one.
    public var channels: UInt16?
    /// The format parameters, verbatim (`minptime=10;useinbandfec=1`); empty for none.
    public var parameters: String
    /// The RTCP feedback negotiated for this payload type, in order.
    public var feedback: [JSEPFeedback]
    /// The payload type of the `rtx` codec whose `apt` names this codec (RFC 4588 §8.6).
    public var rtxPayloadType: UInt8?

    /// Creates a codec.
    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt16? = nil,
                parameters: String = "", feedback: [JSEPFeedback] = [], rtxPayloadType: UInt8? = nil) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
        self.rtxPayloadType = rtxPayloadType
    }

    /// The value of format parameter `key` (e.g. `profile-level-id`), if present.
    public func parameter(_ key: String) -> String? {
        FormatParameters(payloadType: payloadType, parameters: parameters).value(for: key)
    }

    /// The encoding name in lower case, for comparisons (RFC 8866 §6.6: names are case-insensitive).
    public var normalizedName: String { name.lowercased() }

    /// Whether this codec can be negotiated with `other` (RFC 3264 §6.1, RFC 8829 §5.3.1):
    /// the same encoding name (case-insensitive), clock rate and channel count (1 when absent),
    /// and, where the payload format says so, the same configuration:
    /// - H.264: the same `packetization-mode` (default 0) and the same profile — the
    ///   `profile_idc` and `profile-iop` bytes of `profile-level-id` (default `42000A`); the
    ///   level may differ (RFC 6184 §8.1, §8.2.2);
    /// - VP9: the same `profile-id` (default 0) (RFC 9628 §6);
    /// - AV1: the same `profile` (default 0) (AV1 RTP §7.2).
    public func matches(_ other: JSEPCodec) -> Bool {
        guard normalizedName == other.normalizedName, clockRate == other.clockRate,
              (channels ?? 1) == (other.channels ?? 1) else { return false }
        switch normalizedName {
        case "h264":
            return (parameter("packetization-mode") ?? "0") == (other.parameter("packetization-mode") ?? "0")
                && h264Profile == other.h264Profile
        case "vp9":
            return (parameter("profile-id") ?? "0") == (other.parameter("profile-id") ?? "0")
        case "av1":
            return (parameter("profile") ?? "0") == (other.parameter("profile") ?? "0")
        default:
            return true
        }
    }

    /// The first four hex digits of H.264's `profile-level-id` in lower case — `profile_idc`
    /// and `profile-iop` (RFC 6184 §8.1); `nil` when the parameter is malformed.
    var h264Profile: String? {
        let value = (parameter("profile-level-id") ?? "42000a").lowercased()
        guard value.utf8.count == 6, value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            return nil
        }
        return String(value.prefix(4))
    }

    /// The `a=rtpmap` attribute value.
    public var rtpMap: RTPMap {
        RTPMap(payloadType: payloadType, encodingName: name, clockRate: clockRate, channels: channels)
    }

    /// The m-section attributes for this codec in the order browsers write them: `rtpmap`,
    /// `rtcp-fb`s, `fmtp`, then the RTX codec's `rtpmap` and `fmtp:<rtx> apt=<pt>`.
    public var attributes: [Attribute] {
        var out: [Attribute] = [.rtpMap(rtpMap)]
        out += feedback.map { .rtcpFeedback($0.attribute(payloadType: payloadType)) }
        if !parameters.isEmpty { out.append(.formatParameters(FormatParameters(payloadType: payloadType, parameters: parameters))) }
        if let rtx = rtxPayloadType {
            out.append(.rtpMap(RTPMap(payloadType: rtx, encodingName: "rtx", clockRate: clockRate)))
            out.append(.formatParameters(FormatParameters(payloadType: rtx, parameters: "apt=\(payloadType)")))
        }
        return out
    }

    /// The payload types of the `m=` line for this codec: its own, then its RTX one.
    public var payloadTypes: [UInt8] { rtxPayloadType.map { [payloadType, $0] } ?? [payloadType] }
}
