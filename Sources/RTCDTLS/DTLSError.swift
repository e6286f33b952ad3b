import RTCCore
/// Everything that can end or disturb a DTLS association, as a typed error.
///
/// RFC 6347 §4.1.2.7 (alerts) and RFC 5246 §7.2: each case says what went wrong and, where
/// it helps, where in the input it happened.
public enum DTLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer's certificate does not hash to any of the expected SDP fingerprints (RFC 8122 §5).
    case fingerprintMismatch(expected: [CertificateFingerprint], actual: CertificateFingerprint)
    /// The handshake did not complete within the configured total time (RFC 6347 §4.2.4).
    case handshakeTimeout
    /// A handshake message arrived that is not allowed in the current state (RFC 5246 §7.4).
    case unexpectedMessage(String)
    /// Input could not be parsed; `reason` names the field and offset.
    case decodeError(reason: String)
    /// The peer sent a fatal alert (RFC 5246 §7.2).
    case alertReceived(level: UInt8, description: UInt8)
    /// The peer's certificate could not be parsed or uses an unsupported key (RFC 5246 §7.4.2).
    case badCertificate(String)
    /// The peer did not send a certificate although one is required (RFC 5246 §7.4.6).
    case noCertificate
    /// No cipher suite both sides support (RFC 5246 §7.4.1.3).
    case noSharedCipherSuite
    /// No elliptic curve both sides support (RFC 8422 §5.1.1).
    case noSharedGroup
    /// A signature (ServerKeyExchange or CertificateVerify) did not verify (RFC 5246 §7.4.3, §7.4.8).
    case badSignature
    /// The peer's Finished message did not match the handshake transcript (RFC 5246 §7.4.9).
    case badFinished
    /// The peer sent an invalid key-exchange value (RFC 8422 §5.11).
    case illegalParameter(String)
    /// The peer does not support the extended master secret and it is required (RFC 7627 §5.3).
    case extendedMasterSecretRequired
    /// An operation needs an established association (e.g. `send`, the exporter).
    case notConnected
    /// Application data too large for one record (RFC 6347 §4.1: at most 2^14 bytes).
    case recordTooLarge(Int)
    /// A cryptographic primitive failed unexpectedly.
    case cryptoFailure(String)

    /// A human-readable summary.
    public var description: String {
        switch self {
        case .fingerprintMismatch(let expected, let actual):
            return "peer certificate fingerprint \(actual) matches none of \(expected)"
        case .handshakeTimeout: return "DTLS handshake timed out"
        case .unexpectedMessage(let what): return "unexpected message: \(what)"
        case .decodeError(let reason): return "decode error: \(reason)"
        case .alertReceived(let level, let description): return "alert received (level \(level), description \(description))"
        case .badCertificate(let why): return "bad certificate: \(why)"
        case .noCertificate: return "peer sent no certificate"
        case .noSharedCipherSuite: return "no shared cipher suite"
        case .noSharedGroup: return "no shared elliptic curve group"
        case .badSignature: return "signature verification failed"
        case .badFinished: return "Finished verify_data mismatch"
        case .illegalParameter(let what): return "illegal parameter: \(what)"
        case .extendedMasterSecretRequired: return "peer does not support extended master secret"
        case .notConnected: return "DTLS association not established"
        case .recordTooLarge(let n): return "application data of \(n) bytes exceeds one record"
        case .cryptoFailure(let what): return "crypto failure: \(what)"
        }
    }

    /// The alert description (RFC 5246 §7.2.2) we send when failing with this error.
    var alertDescription: UInt8 {
        switch self {
        case .fingerprintMismatch, .badCertificate: return DTLSAlert.badCertificate
        case .noCertificate: return DTLSAlert.handshakeFailure
        case .handshakeTimeout, .notConnected, .recordTooLarge, .cryptoFailure: return DTLSAlert.internalError
        case .unexpectedMessage: return DTLSAlert.unexpectedMessage
        case .decodeError: return DTLSAlert.decodeError
        case .alertReceived: return DTLSAlert.closeNotify
        case .noSharedCipherSuite, .noSharedGroup, .extendedMasterSecretRequired: return DTLSAlert.handshakeFailure
        case .badSignature, .badFinished: return DTLSAlert.decryptError
        case .illegalParameter: return DTLSAlert.illegalParameter
        }
    }
}

/// Alert levels and descriptions used by this implementation (RFC 5246 §7.2).
public enum DTLSAlert {
    /// Alert level warning (RFC 5246 §7.2).
    public static let warning: UInt8 = 1
    /// Alert level fatal (RFC 5246 §7.2).
    public static let fatal: UInt8 = 2
    /// close_notify (RFC 5246 §7.2.1).
    public static let closeNotify: UInt8 = 0
    /// unexpected_message (RFC 5246 §7.2.2).
    public static let unexpectedMessage: UInt8 = 10
    /// bad_record_mac (RFC 5246 §7.2.2).
    public static let badRecordMAC: UInt8 = 20
    /// handshake_failure (RFC 5246 §7.2.2).
    public static let handshakeFailure: UInt8 = 40
    /// bad_certificate (RFC 5246 §7.2.2).
    public static let badCertificate: UInt8 = 42
    /// illegal_parameter (RFC 5246 §7.2.2).
    public static let illegalParameter: UInt8 = 47
    /// decode_error (RFC 5246 §7.2.2).
    public static let decodeError: UInt8 = 50
    /// decrypt_error (RFC 5246 §7.2.2).
    public static let decryptError: UInt8 = 51
    /// internal_error (RFC 5246 §7.2.2).
    public static let internalError: UInt8 = 80
    /// no_renegotiation (RFC 5246 §7.2.2).
    public static let noRenegotiation: UInt8 = 100
}
