/// Why a description could not be read or built as a JSEP offer or answer (RFC 8829 §5.7–5.8,
/// RFC 8843, RFC 4588, RFC 8285, RFC 5576). The SDP itself parsed; its content is inconsistent.
public enum JSEPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An m-section in use (port ≠ 0) has no `a=mid` (RFC 8829 §5.8 requires one).
    case missingMid(mLineIndex: Int)
    /// Two m-sections carry the same `a=mid`, or a mid is empty (RFC 5888 §4).
    case duplicateMid(String)
    /// An `m=` format of an RTP section is not a payload type 0–127.
    case invalidPayloadType(mid: String, format: String)
    /// A payload type appears twice on the `m=` line or has two `a=rtpmap` lines.
    case duplicatePayloadType(mid: String, payloadType: UInt8)
    /// A payload type has two `a=fmtp` lines.
    case duplicateFormatParameters(mid: String, payloadType: UInt8)
    /// A dynamic payload type (or an unknown static one) has no `a=rtpmap` (RFC 8866 §6.6).
    case missingRTPMap(mid: String, payloadType: UInt8)
    /// An `rtx` payload type has no `apt`, or its `apt` does not name a non-RTX payload type of
    /// the same m-section (RFC 4588 §8.6).
    case invalidRTXAssociation(mid: String, payloadType: UInt8, apt: String?)
    /// An `a=extmap` id outside 1–255, or 15 (reserved, RFC 8285 §4.2).
    case invalidExtensionID(mid: String, id: UInt16)
    /// One `a=extmap` id mapped to two different URIs in one m-section (RFC 8285 §5).
    case conflictingExtensionID(mid: String, id: UInt16)
    /// An `a=ssrc-group:FID` that does not hold exactly two SSRCs (RFC 5576 §4.2, RFC 4588 §8.7).
    case invalidSSRCGroup(mid: String, semantics: String, count: Int)
    /// An `a=group:BUNDLE` names a mid no m-section has (RFC 9143 §7.1).
    case unknownBundleMid(String)
    /// An answer does not have one m-section per offered one (RFC 8829 §5.3.1).
    case mLineCountMismatch(offer: Int, answer: Int)
    /// The m-section at an index has a different mid or kind in the answer than in the offer.
    case mLineMismatch(mLineIndex: Int, offered: String?, answered: String?)
    /// An answer uses a payload type the offer did not offer in that m-section (RFC 8829 §5.3.1).
    case answerCodecNotOffered(mid: String, payloadType: UInt8)
    /// A local transceiver cannot be described: its kind is not audio or video, or its mid is empty.
    case invalidTransceiver(mid: String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .missingMid(let i): return "m-section \(i) has no a=mid"
        case .duplicateMid(let m): return "mid \"\(m)\" is empty or used twice"
        case .invalidPayloadType(let mid, let f): return "mid \(mid): \"\(f)\" is not an RTP payload type"
        case .duplicatePayloadType(let mid, let pt): return "mid \(mid): payload type \(pt) appears twice"
        case .duplicateFormatParameters(let mid, let pt): return "mid \(mid): payload type \(pt) has two a=fmtp lines"
        case .missingRTPMap(let mid, let pt): return "mid \(mid): payload type \(pt) has no a=rtpmap"
        case .invalidRTXAssociation(let mid, let pt, let apt):
            return "mid \(mid): rtx payload type \(pt) has a bad apt \(apt.map { "\"\($0)\"" } ?? "(none)")"
        case .invalidExtensionID(let mid, let id): return "mid \(mid): extmap id \(id) is out of range"
        case .conflictingExtensionID(let mid, let id): return "mid \(mid): extmap id \(id) maps two URIs"
        case .invalidSSRCGroup(let mid, let s, let n): return "mid \(mid): ssrc-group \(s) with \(n) SSRCs"
        case .unknownBundleMid(let m): return "BUNDLE group names unknown mid \"\(m)\""
        case .mLineCountMismatch(let o, let a): return "answer has \(a) m-sections for \(o) offered"
        case .mLineMismatch(let i, let o, let a):
            return "m-section \(i): answered \(a ?? "(no mid)") for offered \(o ?? "(no mid)")"
        case .answerCodecNotOffered(let mid, let pt): return "mid \(mid): answer uses payload type \(pt) that was not offered"
        case .invalidTransceiver(let mid): return "transceiver \"\(mid)\" is not an audio or video transceiver with a mid"
        }
    }
}
