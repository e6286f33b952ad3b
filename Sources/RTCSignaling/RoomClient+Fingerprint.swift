import RTCSDP

// In its own file because RTCSDP's parsed model and the API's description are both named
// `SessionDescription` (RoomClient.swift sees only the API's, through SwiftRTC; this file only
// RTCSDP's).

extension RoomClient {
    /// A certificate fingerprint as SDP carries it (RTCSDP's parsed `a=fingerprint`).
    typealias CertificateFingerprintValue = Fingerprint

    /// The DTLS certificate fingerprint (RFC 8122 §5) the SDP of a remote description announces: the
    /// session-level one, else the first media section's. It identifies the peer connection
    /// that made the description, which tells a renegotiation from a new connection.
    /// `nil` when the SDP does not parse or carries none.
    static func certificateFingerprint(inSDP sdp: String) -> CertificateFingerprintValue? {
        guard let parsed = try? SessionDescription(parsing: sdp) else { return nil }
        if let sessionLevel = parsed.attributes.fingerprints.first { return sessionLevel }
        return parsed.media.lazy.compactMap { $0.attributes.fingerprints.first }.first
    }
}
