import RTCCore

/// The ICE and DTLS parameters every JSEP media section carries (RFC 8829 §5.2.1:
/// `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options`, `a=fingerprint`, `a=setup`).
public struct TransportParameters: Hashable, Sendable {
    /// The ICE username fragment (RFC 8839 §5.4; at least 4 ice-chars).
    public var iceUfrag: String
    /// The ICE password (RFC 8839 §5.4; at least 22 ice-chars).
    public var icePwd: String
    /// ICE options; JSEP endpoints send `trickle` (RFC 8840 §4.1.1).
    public var iceOptions: [String]
    /// Certificate fingerprints, usually one `sha-256` (RFC 8122 §5).
    public var fingerprints: [CertificateFingerprint]
    /// The DTLS role: `actpass` in offers, `active` or `passive` in answers (RFC 8842 §5).
    public var setup: SetupRole

    /// Creates transport parameters.
    public init(iceUfrag: String, icePwd: String, iceOptions: [String] = ["trickle"],
                fingerprints: [CertificateFingerprint], setup: SetupRole) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.fingerprints = fingerprints
        self.setup = setup
    }

    /// The attributes, in the order browsers write them.
    public var attributes: [Attribute] {
        var out: [Attribute] = [.iceUfrag(iceUfrag), .icePwd(icePwd)]
        if !iceOptions.isEmpty { out.append(.iceOptions(iceOptions)) }
        out += fingerprints.map { .fingerprint($0) }
        out.append(.setup(setup))
        return out
    }

    /// Reads the parameters of media section `index` of `description`, falling back to
    /// session-level attributes; `nil` when ufrag, pwd or setup is missing.
    public init?(from description: SDPDocument, mediaAt index: Int) {
        guard description.media.indices.contains(index),
              let ufrag = description.iceUfrag(forMediaAt: index),
              let pwd = description.icePwd(forMediaAt: index) else { return nil }
        let options = description.media[index].attributes.iceOptions
        self.init(iceUfrag: ufrag, icePwd: pwd,
                  iceOptions: options.isEmpty ? description.attributes.iceOptions : options,
                  fingerprints: description.fingerprints(forMediaAt: index),
                  setup: description.setup(forMediaAt: index) ?? .actpass)
    }
}

extension MediaDescription {
    /// A WebRTC data channel section (RFC 8841 §4.1, RFC 8829 §5.2.1):
    ///
    ///     m=application 9 UDP/DTLS/SCTP webrtc-datachannel
    ///     c=IN IP4 0.0.0.0
    ///     a=candidate:… (each of `candidates`)
    ///     a=ice-ufrag:… a=ice-pwd:… a=ice-options:trickle a=fingerprint:… a=setup:…
    ///     a=mid:0
    ///     a=sctp-port:5000
    ///     a=max-message-size:262144
    ///
    /// With `endOfCandidates`, `a=end-of-candidates` follows the candidates (RFC 8840 §8.2).
    public static func dataChannel(mid: String, transport: TransportParameters, sctpPort: UInt16 = 5000,
                                   maxMessageSize: UInt64 = 262_144, port: UInt16 = 9,
                                   connection: Connection = Connection(),
                                   candidates: [ICECandidateAttribute] = [],
                                   endOfCandidates: Bool = false) -> MediaDescription {
        var attributes: [Attribute] = candidates.map { .candidate($0) }
        if endOfCandidates { attributes.append(.endOfCandidates) }
        attributes += transport.attributes
        attributes += [.mid(mid), .sctpPort(sctpPort), .maxMessageSize(maxMessageSize)]
        return MediaDescription(kind: "application", port: port, proto: "UDP/DTLS/SCTP",
                                formats: ["webrtc-datachannel"], connections: [connection], attributes: attributes)
    }

    /// Adds a candidate after the last existing `a=candidate` (or before the ICE attributes
    /// when there is none), as a trickled candidate is merged into a description (RFC 8840 §4.4).
    public mutating func addCandidate(_ candidate: ICECandidateAttribute) {
        let at = attributes.lastIndex { if case .candidate = $0 { true } else { false } }.map { $0 + 1 } ?? 0
        attributes.insert(.candidate(candidate), at: at)
    }
}

extension SDPDocument {
    /// A JSEP description (RFC 8829 §5.2.1): `v=0`, `o=- <sessionID> <sessionVersion> IN IP4
    /// 127.0.0.1`, `s=-`, `t=0 0`, then `a=group:BUNDLE` listing every media section's mid
    /// (when `bundle` is true and there are mids) and the given extra session attributes.
    ///
    /// ```swift
    /// let transport = TransportParameters(iceUfrag: "abcd", icePwd: "0123456789abcdef012345",
    ///     fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: digest)], setup: .actpass)
    /// let offer = SDPDocument.jsep(sessionID: 4242,
    ///     media: [.dataChannel(mid: "0", transport: transport)])
    /// let sdp = offer.serialized()
    /// ```
    public static func jsep(sessionID: UInt64, sessionVersion: UInt64 = 2, media: [MediaDescription],
                            bundle: Bool = true, address: String = "127.0.0.1",
                            extraAttributes: [Attribute] = []) -> SDPDocument {
        var attributes: [Attribute] = []
        let mids = media.compactMap(\.mid)
        if bundle, !mids.isEmpty { attributes.append(.group(.bundle(mids))) }
        attributes += extraAttributes
        return SDPDocument(origin: Origin(sessionID: sessionID, sessionVersion: sessionVersion, address: address),
                                  attributes: attributes, media: media)
    }
}
