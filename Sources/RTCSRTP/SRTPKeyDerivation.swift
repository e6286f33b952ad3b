import Crypto
import CryptoExtras
import RTCCore

/// The SRTP key derivation of RFC 3711 §4.3 with the AES-CM PRF (§4.3.3) and a key derivation
/// rate of 0 (the only rate DTLS-SRTP uses): each session key is a run of AES counter-mode
/// keystream under the master key, with the master salt and a label forming the IV.
public enum SRTPKeyDerivation {
    /// The labels of RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP).
    public enum Label: UInt8, Sendable, CaseIterable {
        /// SRTP encryption key.
        case srtpEncryption = 0x00
        /// SRTP authentication key.
        case srtpAuthentication = 0x01
        /// SRTP salt.
        case srtpSalt = 0x02
        /// SRTCP encryption key.
        case srtcpEncryption = 0x03
        /// SRTCP authentication key.
        case srtcpAuthentication = 0x04
        /// SRTCP salt.
        case srtcpSalt = 0x05
    }

    /// `length` bytes of PRF output for `label` (RFC 3711 §4.3.1, §4.3.3): AES-CM keystream
    /// under `masterKey` from the IV (master_salt XOR label·2^48)·2^16. A 12-byte (AES-GCM)
    /// master salt is padded with two zero bytes on the right, so the label still lands in the
    /// eighth byte (RFC 7714 §11).
    public static func prf(masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int) throws(SRTPError) -> [UInt8] {
        guard [16, 24, 32].contains(masterKey.count), masterSalt.count == 12 || masterSalt.count == 14 else {
            throw .invalidKeyLength
        }
        var iv = [UInt8](repeating: 0, count: 16)
        for i in masterSalt.indices { iv[i] = masterSalt[i] }
        iv[7] ^= label.rawValue
        let zeros = [UInt8](repeating: 0, count: length)
        do {
            let keystream = try AES._CTR.encrypt(zeros, using: SymmetricKey(data: masterKey), nonce: AES._CTR.Nonce(nonceBytes: iv))
            return Array(keystream)
        } catch {
            throw .invalidKeyLength
        }
    }
}

/// The session keys of one direction and one protocol (SRTP or SRTCP): what actually keys the
/// cipher and the MAC (RFC 3711 §4.3).
public struct SRTPSessionKeys: Sendable, Equatable {
    /// The session encryption key k_e (16 or 32 bytes).
    public var encryptionKey: [UInt8]
    /// The session authentication key k_a (20 bytes for HMAC-SHA1; empty for AES-GCM).
    public var authenticationKey: [UInt8]
    /// The session salt k_s (14 bytes for AES-CM, 12 for AES-GCM).
    public var salt: [UInt8]

    /// Session keys as given (for SDES-style keying or the RFC 7714 test vectors).
    public init(encryptionKey: [UInt8], authenticationKey: [UInt8], salt: [UInt8]) {
        self.encryptionKey = encryptionKey
        self.authenticationKey = authenticationKey
        self.salt = salt
    }

    /// Derives the SRTP (`rtcp == false`) or SRTCP session keys of `profile` from one
    /// direction's master key and salt (RFC 3711 §4.3, key derivation rate 0).
    public init(profile: SRTPProtectionProfile, master: SRTPMasterKey, rtcp: Bool) throws(SRTPError) {
        guard master.key.count == profile.keyLength, master.salt.count == profile.saltLength else {
            throw .invalidKeyLength
        }
        let labels: (SRTPKeyDerivation.Label, SRTPKeyDerivation.Label, SRTPKeyDerivation.Label) = rtcp
            ? (.srtcpEncryption, .srtcpAuthentication, .srtcpSalt)
            : (.srtpEncryption, .srtpAuthentication, .srtpSalt)
        encryptionKey = try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.0, length: profile.keyLength)
        authenticationKey = profile.authKeyLength == 0 ? [] :
            try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.1, length: profile.authKeyLength)
        salt = try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.2, length: profile.saltLength)
    }
}
