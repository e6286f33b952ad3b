import RTCCore

/// One `a=` line (RFC 8866 §5.13). The attributes WebRTC relies on are typed; every other
/// attribute is kept verbatim in ``other(name:value:)`` so nothing is lost or reordered.
public enum Attribute: Hashable, Sendable {
    /// `a=group:<semantics> <mid>…`, e.g. `BUNDLE 0 1 2` (RFC 5888 §5, RFC 9143).
    case group(MediaGroup)
    /// `a=ice-ufrag:` — the ICE username fragment (RFC 8839 §5.4).
    case iceUfrag(String)
    /// `a=ice-pwd:` — the ICE password (RFC 8839 §5.4).
    case icePwd(String)
    /// `a=ice-options:` — space-separated ICE options such as `trickle` (RFC 8839 §5.6).
    case iceOptions([String])
    /// `a=ice-lite` (RFC 8839 §5.3).
    case iceLite
    /// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5).
    case fingerprint(CertificateFingerprint)
    /// `a=setup:` — the DTLS role (RFC 4145 §4, RFC 8842 §5).
    case setup(SetupRole)
    /// `a=mid:` — media identification tag (RFC 5888 §4).
    case mid(String)
    /// `a=msid:<stream id> [<track id>]` (RFC 8830 §2).
    case msid(MediaStreamID)
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 8866 §6.7).
    case direction(MediaDirection)
    /// `a=rtcp-mux` — RTP and RTCP share a port (RFC 5761 §5.1.1).
    case rtcpMux
    /// `a=rtcp-mux-only` (RFC 8858 §3).
    case rtcpMuxOnly
    /// `a=rtcp-rsize` — reduced-size RTCP (RFC 5506 §5).
    case rtcpReducedSize
    /// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
    case rtpMap(RTPMap)
    /// `a=fmtp:<pt> <parameters>` (RFC 8866 §6.15).
    case formatParameters(FormatParameters)
    /// `a=rtcp-fb:<pt|*> <type> [<parameter>]` (RFC 4585 §4.2).
    case rtcpFeedback(RTCPFeedback)
    /// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8).
    case extensionMap(ExtensionMap)
    /// `a=extmap-allow-mixed` (RFC 8285 §6).
    case extmapAllowMixed
    /// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1).
    case ssrc(SSRCAttribute)
    /// `a=ssrc-group:<semantics> <ssrc>…` (RFC 5576 §4.2).
    case ssrcGroup(SSRCGroup)
    /// `a=rid:<id> send|recv [<restrictions>]` (RFC 8851 §4).
    case rid(RIDAttribute)
    /// `a=simulcast:` (RFC 8853 §5.1).
    case simulcast(Simulcast)
    /// `a=sctp-port:` (RFC 8841 §5).
    case sctpPort(UInt16)
    /// `a=max-message-size:` (RFC 8841 §6).
    case maxMessageSize(UInt64)
    /// `a=candidate:` — an ICE candidate (RFC 8839 §5.1).
    case candidate(ICECandidateAttribute)
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    case endOfCandidates
    /// Any other attribute, verbatim: `a=<name>` (value `nil`) or `a=<name>:<value>`.
    case other(name: String, value: String?)

    /// The attribute name as written after `a=` (RFC 8866 §5.13).
    public var name: String {
        switch self {
        case .group: return "group"
        case .iceUfrag: return "ice-ufrag"
        case .icePwd: return "ice-pwd"
        case .iceOptions: return "ice-options"
        case .iceLite: return "ice-lite"
        case .fingerprint: return "fingerprint"
        case .setup: return "setup"
        case .mid: return "mid"
        case .msid: return "msid"
        case .direction(let d): return d.rawValue
        case .rtcpMux: return "rtcp-mux"
        case .rtcpMuxOnly: return "rtcp-mux-only"
        case .rtcpReducedSize: return "rtcp-rsize"
        case .rtpMap: return "rtpmap"
        case .formatParameters: return "fmtp"
        case .rtcpFeedback: return "rtcp-fb"
        case .extensionMap: return "extmap"
        case .extmapAllowMixed: return "extmap-allow-mixed"
        case .ssrc: return "ssrc"
        case .ssrcGroup: return "ssrc-group"
        case .rid: return "rid"
        case .simulcast: return "simulcast"
        case .sctpPort: return "sctp-port"
        case .maxMessageSize: return "max-message-size"
        case .candidate: return "candidate"
        case .endOfCandidates: return "end-of-candidates"
        case .other(let name, _): return name
        }
    }

    /// The text after `a=<name>:`, or `nil` for property attributes (RFC 8866 §5.13).
    public var value: String? {
        switch self {
        case .group(let g): return g.sdpValue
        case .iceUfrag(let s), .icePwd(let s), .mid(let s): return s
        case .iceOptions(let o): return o.joined(separator: " ")
        case .fingerprint(let f): return f.sdpValue
        case .setup(let s): return s.rawValue
        case .msid(let m): return m.sdpValue
        case .rtpMap(let m): return m.sdpValue
        case .formatParameters(let f): return f.sdpValue
        case .rtcpFeedback(let f): return f.sdpValue
        case .extensionMap(let e): return e.sdpValue
        case .ssrc(let s): return s.sdpValue
        case .ssrcGroup(let g): return g.sdpValue
        case .rid(let r): return r.sdpValue
        case .simulcast(let s): return s.sdpValue
        case .sctpPort(let p): return String(p)
        case .maxMessageSize(let m): return String(m)
        case .candidate(let c): return c.sdpValue
        case .other(_, let value): return value
        case .iceLite, .direction, .rtcpMux, .rtcpMuxOnly, .rtcpReducedSize, .extmapAllowMixed, .endOfCandidates:
            return nil
        }
    }

    /// The attribute's text after `a=`: `name` or `name:value`.
    public var sdpLine: String {
        if let value { return name + ":" + value }
        return name
    }

    /// Parses the text after `a=` (e.g. `mid:0` or `rtcp-mux`) into a typed attribute.
    /// Attributes this module does not model become ``other(name:value:)``, verbatim.
    public init(parsing text: String) throws(SDPParseError) {
        do {
            self = try Attribute.parse(text)
        } catch {
            throw SDPParseError(line: 1, text: text, reason: error)
        }
    }

    static func parse(_ text: String) throws(SDPParseError.Reason) -> Attribute {
        let name: String
        let value: String?
        if let (n, v) = SDPText.splitFirst(text, on: UInt8(ascii: ":")) {
            name = n
            value = v
        } else {
            name = text
            value = nil
        }
        func required() throws(SDPParseError.Reason) -> String {
            guard let value else { throw .missingValue(attribute: name) }
            return value
        }
        func flag(_ attribute: Attribute) throws(SDPParseError.Reason) -> Attribute {
            guard value == nil else { throw .unexpectedValue(attribute: name) }
            return attribute
        }
        switch name {
        case "group": return .group(try MediaGroup(sdpValue: try required()))
        case "ice-ufrag": return .iceUfrag(try required())
        case "ice-pwd": return .icePwd(try required())
        case "ice-options": return .iceOptions(SDPText.fields(try required()))
        case "ice-lite": return try flag(.iceLite)
        case "fingerprint":
            let value = try required()
            let fields = SDPText.fields(value)
            guard fields.count == 2 else { throw .fieldCount(field: "fingerprint", expected: "2", found: fields.count) }
            guard let f = CertificateFingerprint(sdpValue: value) else { throw .invalidValue(field: "fingerprint", value: value) }
            return .fingerprint(f)
        case "setup":
            let v = try required()
            guard let role = SetupRole(rawValue: v) else { throw .invalidValue(field: "setup", value: v) }
            return .setup(role)
        case "mid": return .mid(try required())
        case "msid": return .msid(try MediaStreamID(sdpValue: try required()))
        case "sendrecv": return try flag(.direction(.sendrecv))
        case "sendonly": return try flag(.direction(.sendonly))
        case "recvonly": return try flag(.direction(.recvonly))
        case "inactive": return try flag(.direction(.inactive))
        case "rtcp-mux": return try flag(.rtcpMux)
        case "rtcp-mux-only": return try flag(.rtcpMuxOnly)
        case "rtcp-rsize": return try flag(.rtcpReducedSize)
        case "rtpmap": return .rtpMap(try RTPMap(sdpValue: try required()))
        case "fmtp": return .formatParameters(try FormatParameters(sdpValue: try required()))
        case "rtcp-fb": return .rtcpFeedback(try RTCPFeedback(sdpValue: try required()))
        case "extmap": return .extensionMap(try ExtensionMap(sdpValue: try required()))
        case "extmap-allow-mixed": return try flag(.extmapAllowMixed)
        case "ssrc": return .ssrc(try SSRCAttribute(sdpValue: try required()))
        case "ssrc-group": return .ssrcGroup(try SSRCGroup(sdpValue: try required()))
        case "rid": return .rid(try RIDAttribute(sdpValue: try required()))
        case "simulcast": return .simulcast(try Simulcast(sdpValue: try required()))
        case "sctp-port": return .sctpPort(try SDPText.number(try required(), field: "sctp-port"))
        case "max-message-size": return .maxMessageSize(try SDPText.number(try required(), field: "max-message-size"))
        case "candidate": return .candidate(try ICECandidateAttribute(sdpValue: try required()))
        case "end-of-candidates": return try flag(.endOfCandidates)
        default: return .other(name: name, value: value)
        }
    }
}
