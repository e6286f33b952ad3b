/// One m-section of a JSEP description, by what it carries (RFC 8829 §5.8).
public enum JSEPSection: Hashable, Sendable {
    /// An RTP audio or video section.
    case media(JSEPMediaSection)
    /// A data channel section (`UDP/DTLS/SCTP webrtc-datachannel`, RFC 8841 §4.1), as written.
    case data(MediaDescription)
    /// Any other section (another kind or protocol), as written; an answer rejects it.
    case unsupported(MediaDescription)

    /// The section's `a=mid`, if it has one.
    public var mid: String? {
        switch self {
        case .media(let m): return m.mid.isEmpty ? nil : m.mid
        case .data(let d), .unsupported(let d): return d.mid
        }
    }

    /// Whether the section has port 0 without `a=bundle-only` (stopped or rejected; RFC 8843 §6).
    public var isStopped: Bool {
        switch self {
        case .media(let m): return m.isStopped
        case .data(let d), .unsupported(let d):
            return d.port == 0 && !d.attributes.contains(.other(name: "bundle-only", value: nil))
        }
    }

    /// The section as an SDP media description.
    public var mediaDescription: MediaDescription {
        switch self {
        case .media(let m): return m.mediaDescription
        case .data(let d), .unsupported(let d): return d
        }
    }
}
