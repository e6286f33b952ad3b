import RTCCore

/// Typed reads of the attributes WebRTC uses (RFC 8829 §5.8 lists what a JSEP parser reads).
/// Each returns the values found in an attribute list, in order.
extension Array where Element == Attribute {
    /// The values of every `a=candidate` (RFC 8839 §5.1).
    public var candidates: [ICECandidateAttribute] { compactMap { if case .candidate(let c) = $0 { c } else { nil } } }
    /// The first `a=ice-ufrag` (RFC 8839 §5.4).
    public var iceUfrag: String? { lazy.compactMap { if case .iceUfrag(let s) = $0 { s } else { nil } }.first }
    /// The first `a=ice-pwd` (RFC 8839 §5.4).
    public var icePwd: String? { lazy.compactMap { if case .icePwd(let s) = $0 { s } else { nil } }.first }
    /// All `a=ice-options` tokens (RFC 8839 §5.6).
    public var iceOptions: [String] {
        var out: [String] = []
        for case .iceOptions(let o) in self { out += o }
        return out
    }
    /// Every `a=fingerprint` (RFC 8122 §5).
    public var fingerprints: [CertificateFingerprint] { compactMap { if case .fingerprint(let f) = $0 { f } else { nil } } }
    /// The first `a=setup` (RFC 8842 §5).
    public var setup: SetupRole? { lazy.compactMap { if case .setup(let s) = $0 { s } else { nil } }.first }
    /// Every `a=group` (RFC 5888 §5).
    public var groups: [MediaGroup] { compactMap { if case .group(let g) = $0 { g } else { nil } } }
    /// Every `a=other` attribute (not modelled by this module) called `name`, values in order.
    public func values(ofUnknown name: String) -> [String?] {
        compactMap { if case .other(name, let v) = $0 { .some(v) } else { nil } }
    }
}

extension SDPDocument {
    /// The mids of the first `a=group:BUNDLE` (RFC 9143 §7.1), or `nil` without one.
    public var bundleMids: [String]? { attributes.groups.first { $0.semantics == "BUNDLE" }?.mids }

    /// The ICE username fragment for media section `index`: its own, else the session's
    /// (RFC 8839 §5.4).
    public func iceUfrag(forMediaAt index: Int) -> String? { media[index].attributes.iceUfrag ?? attributes.iceUfrag }

    /// The ICE password for media section `index`: its own, else the session's (RFC 8839 §5.4).
    public func icePwd(forMediaAt index: Int) -> String? { media[index].attributes.icePwd ?? attributes.icePwd }

    /// The fingerprints for media section `index`: its own, else the session's (RFC 8122 §5).
    public func fingerprints(forMediaAt index: Int) -> [CertificateFingerprint] {
        let own = media[index].attributes.fingerprints
        return own.isEmpty ? attributes.fingerprints : own
    }

    /// The certificate fingerprint that identifies the description's DTLS endpoint: the
    /// session's first, else the first media section's that has one (a BUNDLE shares one
    /// certificate). Who is behind an offer, e.g. to tell a peer's new connection from a
    /// renegotiation of its current one.
    public var firstCertificateFingerprint: CertificateFingerprint? {
        attributes.fingerprints.first ?? media.lazy.compactMap { $0.attributes.fingerprints.first }.first
    }

    /// The DTLS setup role for media section `index`: its own, else the session's (RFC 8842 §5).
    public func setup(forMediaAt index: Int) -> SetupRole? { media[index].attributes.setup ?? attributes.setup }

    /// The index of the media section whose `a=mid` is `mid` (RFC 5888 §4).
    public func mediaIndex(mid: String) -> Int? { media.firstIndex { $0.mid == mid } }

    /// Every candidate of every media section, with the section's mid and index
    /// (what `RTCIceCandidate` carries, RFC 8829 §3.5.2.1).
    public var allCandidates: [(mid: String?, mLineIndex: Int, candidate: ICECandidateAttribute)] {
        media.enumerated().flatMap { (i, m) in m.attributes.candidates.map { (m.mid, i, $0) } }
    }

    /// Whether `a=ice-lite` is present at session level (RFC 8839 §5.3).
    public var isICELite: Bool { attributes.contains(.iceLite) }
}

extension MediaDescription {
    /// `a=mid` (RFC 5888 §4).
    public var mid: String? { attributes.lazy.compactMap { if case .mid(let s) = $0 { s } else { nil } }.first }
    /// The media direction; `sendrecv` when none is given (RFC 8866 §6.7).
    public var direction: MediaDirection {
        attributes.lazy.compactMap { if case .direction(let d) = $0 { d } else { nil } }.first ?? .sendrecv
    }
    /// Whether `a=rtcp-mux` is present (RFC 5761 §5.1.1).
    public var isRTCPMux: Bool { attributes.contains(.rtcpMux) }
    /// Whether `a=rtcp-rsize` is present (RFC 5506 §5).
    public var isRTCPReducedSize: Bool { attributes.contains(.rtcpReducedSize) }
    /// Whether `a=end-of-candidates` is present (RFC 8840 §8.2).
    public var hasEndOfCandidates: Bool { attributes.contains(.endOfCandidates) }
    /// Every `a=msid` (RFC 8830 §2).
    public var msids: [MediaStreamID] { attributes.compactMap { if case .msid(let m) = $0 { m } else { nil } } }
    /// Every `a=rtpmap` in order (RFC 8866 §6.6).
    public var rtpMaps: [RTPMap] { attributes.compactMap { if case .rtpMap(let m) = $0 { m } else { nil } } }
    /// Every `a=fmtp` in order (RFC 8866 §6.15).
    public var formatParameters: [FormatParameters] { attributes.compactMap { if case .formatParameters(let f) = $0 { f } else { nil } } }
    /// Every `a=rtcp-fb` in order (RFC 4585 §4.2).
    public var rtcpFeedback: [RTCPFeedback] { attributes.compactMap { if case .rtcpFeedback(let f) = $0 { f } else { nil } } }
    /// Every `a=extmap` in order (RFC 8285 §8).
    public var extensionMaps: [ExtensionMap] { attributes.compactMap { if case .extensionMap(let e) = $0 { e } else { nil } } }
    /// Every `a=ssrc` in order (RFC 5576 §4.1).
    public var ssrcAttributes: [SSRCAttribute] { attributes.compactMap { if case .ssrc(let s) = $0 { s } else { nil } } }
    /// Every `a=ssrc-group` in order (RFC 5576 §4.2).
    public var ssrcGroups: [SSRCGroup] { attributes.compactMap { if case .ssrcGroup(let g) = $0 { g } else { nil } } }
    /// Every `a=rid` in order (RFC 8851 §4).
    public var rids: [RIDAttribute] { attributes.compactMap { if case .rid(let r) = $0 { r } else { nil } } }
    /// The first `a=simulcast` (RFC 8853 §5.1).
    public var simulcast: Simulcast? { attributes.lazy.compactMap { if case .simulcast(let s) = $0 { s } else { nil } }.first }
    /// `a=sctp-port` (RFC 8841 §5).
    public var sctpPort: UInt16? { attributes.lazy.compactMap { if case .sctpPort(let p) = $0 { p } else { nil } }.first }
    /// `a=max-message-size` (RFC 8841 §6).
    public var maxMessageSize: UInt64? { attributes.lazy.compactMap { if case .maxMessageSize(let m) = $0 { m } else { nil } }.first }

    /// The rtpmap of payload type `payloadType` (RFC 8866 §6.6).
    public func rtpMap(payloadType: UInt8) -> RTPMap? { rtpMaps.first { $0.payloadType == payloadType } }
    /// The fmtp of payload type `payloadType` (RFC 8866 §6.15).
    public func formatParameters(payloadType: UInt8) -> FormatParameters? { formatParameters.first { $0.payloadType == payloadType } }
    /// The rtcp-fb lines for `payloadType`, including wildcard (`*`) ones (RFC 4585 §4.2).
    public func rtcpFeedback(payloadType: UInt8) -> [RTCPFeedback] {
        rtcpFeedback.filter { $0.payloadType == nil || $0.payloadType == payloadType }
    }
    /// The payload types of `m=` (the formats that are numbers), in preference order.
    public var payloadTypes: [UInt8] { formats.compactMap { SDPText.number($0) } }
    /// Whether this is a WebRTC data channel section (`UDP/DTLS/SCTP webrtc-datachannel`,
    /// RFC 8841 §4.1).
    public var isDataChannel: Bool { kind == "application" && formats.contains("webrtc-datachannel") }
}
