/// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) and the lengths each one
/// fixes: master key and salt, session keys, authentication tags.
///
/// It lives in RTCCore so that RTCDTLS (which negotiates it in use_srtp) and RTCSRTP (which
/// protects packets with it) do not depend on each other.
public enum SRTPProtectionProfile: UInt16, CaseIterable, Sendable {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 §4.1.2).
    case aes128CmHmacSha1_80 = 0x0001
    /// SRTP_AES128_CM_HMAC_SHA1_32 (RFC 5764 §4.1.2).
    case aes128CmHmacSha1_32 = 0x0002
    /// SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2).
    case aeadAes128Gcm = 0x0007
    /// SRTP_AEAD_AES_256_GCM (RFC 7714 §14.2).
    case aeadAes256Gcm = 0x0008

    /// `true` for the AES-GCM profiles of RFC 7714 (one AEAD pass, no separate HMAC).
    public var isAEAD: Bool { self == .aeadAes128Gcm || self == .aeadAes256Gcm }
    /// Master key length in bytes; also the session encryption key length.
    public var keyLength: Int { self == .aeadAes256Gcm ? 32 : 16 }
    /// Master salt length in bytes (RFC 5764 §4.1.2: 14; RFC 7714 §12: 12); also the session
    /// salt length.
    public var saltLength: Int { isAEAD ? 12 : 14 }
    /// Session authentication key length in bytes: 20 for HMAC-SHA1 (RFC 3711 §8.2), 0 for AEAD.
    public var authKeyLength: Int { isAEAD ? 0 : 20 }
    /// Length of the tag on an SRTP packet: 10 or 4 bytes of HMAC-SHA1, 16 for AES-GCM.
    public var srtpTagLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: return 10
        case .aes128CmHmacSha1_32: return 4
        case .aeadAes128Gcm, .aeadAes256Gcm: return 16
        }
    }
    /// Length of the tag on an SRTCP packet: 10 bytes for both HMAC profiles (RFC 5764 §4.1.2:
    /// SRTCP keeps the 80-bit tag even in the `_32` profile), 16 for AES-GCM.
    public var srtcpTagLength: Int { isAEAD ? 16 : 10 }
    /// Length of the exporter output for this profile: 2 × (key + salt) (RFC 5764 §4.2).
    public var keyingMaterialLength: Int { 2 * (keyLength + saltLength) }

    /// Splits the DTLS exporter output ("EXTRACTOR-dtls_srtp", `keyingMaterialLength` bytes)
    /// into this side's and the peer's master key and salt (RFC 5764 §4.2): the layout is
    /// client key ‖ server key ‖ client salt ‖ server salt, and the DTLS client protects what it
    /// sends with the client half. `nil` if `material` has the wrong length.
    public func splitKeyingMaterial(_ material: [UInt8], isClient: Bool) -> (local: SRTPMasterKey, remote: SRTPMasterKey)? {
        guard material.count == keyingMaterialLength else { return nil }
        let k = keyLength, s = saltLength
        let client = SRTPMasterKey(key: Array(material[0..<k]), salt: Array(material[(2 * k)..<(2 * k + s)]))
        let server = SRTPMasterKey(key: Array(material[k..<(2 * k)]), salt: Array(material[(2 * k + s)..<(2 * k + 2 * s)]))
        return isClient ? (client, server) : (server, client)
    }
}

/// One direction's SRTP master key and master salt (RFC 3711 §3.2.1), from which the session
/// keys are derived (RFC 3711 §4.3).
public struct SRTPMasterKey: Sendable, Equatable {
    /// The master key (16 or 32 bytes).
    public var key: [UInt8]
    /// The master salt (14 bytes for AES-CM, 12 for AES-GCM).
    public var salt: [UInt8]

    /// A master key and salt as given.
    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }
}
