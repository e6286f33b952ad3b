import RTCCore
import NIOCore

/// Which side of the handshake a connection plays (RFC 6347 §4.2). In WebRTC the role follows
/// the SDP `a=setup` attribute (RFC 8842 §5).
public enum DTLSRole: Sendable, Equatable {
    /// Sends the ClientHello (`a=setup:active`).
    case client
    /// Answers ClientHellos (`a=setup:passive`).
    case server
}

/// How the peer's certificate is authenticated (RFC 8827 §6.5: WebRTC compares it with the SDP
/// `a=fingerprint`).
public enum DTLSPeerVerification: Sendable {
    /// The certificate must match one of these fingerprints (RFC 8122 §5).
    case fingerprints([CertificateFingerprint])
    /// The callback receives the DER leaf certificate and returns `true` to accept it.
    case callback(@Sendable ([UInt8]) -> Bool)
    /// Any certificate is accepted; the caller must check the fingerprint reported in
    /// `DTLSEvent.handshakeCompleted` before trusting the association (useful when the remote
    /// description arrives after the handshake).
    case acceptAny
}

/// Everything a `DTLSConnection` needs to know before it starts.
public struct DTLSConfiguration: Sendable {
    /// Our certificate and private key.
    public var certificate: DTLSCertificate
    /// How to authenticate the peer's certificate.
    public var verification: DTLSPeerVerification
    /// Cipher suites in preference order (RFC 5246 §7.4.1.2).
    public var cipherSuites: [DTLSCipherSuite]
    /// ECDHE groups in preference order (RFC 8422 §5.1.1).
    public var groups: [DTLSNamedGroup]
    /// SRTP protection profiles offered / accepted, in preference order (RFC 5764 §4.1.1);
    /// empty disables use_srtp.
    public var srtpProfiles: [SRTPProtectionProfile]
    /// Largest datagram we send; handshake messages are fragmented to fit (RFC 6347 §4.1.1.1).
    public var mtu: Int
    /// First retransmission timeout (RFC 6347 §4.2.4.1 recommends 1 s).
    public var initialRetransmitTimeout: TimeAmount
    /// Upper bound of the doubling retransmission timeout (RFC 6347 §4.2.4.1: 60 s).
    public var maxRetransmitTimeout: TimeAmount
    /// Total time a handshake may take before it fails with `.handshakeTimeout`.
    public var handshakeTimeout: TimeAmount
    /// Server: send CertificateRequest and require a client certificate (WebRTC does, RFC 8827 §6.5).
    public var requireClientCertificate: Bool
    /// Server: answer the first ClientHello with a HelloVerifyRequest cookie (RFC 6347 §4.2.1).
    public var cookieExchange: Bool
    /// Refuse peers that do not negotiate the extended master secret (RFC 7627 §5.3).
    public var requireExtendedMasterSecret: Bool
    /// Client: application data may be sent once our Finished is out, before the server's
    /// Finished arrives (TLS False Start, RFC 7918). Every suite offered here is an AEAD
    /// with ECDHE (§3), and the server's certificate and key-exchange signature are already
    /// checked by then; a server that drops such a record early needs the sender to repeat it
    /// (SCTP repeats its INIT when the handshake completes). Default `true`.
    public var sendsEarlyApplicationData = true

    /// Creates a configuration with WebRTC defaults: AES-128-GCM first, X25519 then P-256,
    /// SRTP AEAD-AES-128-GCM and AES128_CM_HMAC_SHA1_80, MTU 1200, 1 s initial timeout.
    public init(certificate: DTLSCertificate, verification: DTLSPeerVerification,
                cipherSuites: [DTLSCipherSuite] = [.ecdheECDSAWithAES128GCMSHA256, .ecdheECDSAWithChaCha20Poly1305SHA256, .ecdheECDSAWithAES256GCMSHA384],
                groups: [DTLSNamedGroup] = [.x25519, .secp256r1],
                srtpProfiles: [SRTPProtectionProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
                mtu: Int = 1200, initialRetransmitTimeout: TimeAmount = .seconds(1),
                maxRetransmitTimeout: TimeAmount = .seconds(60), handshakeTimeout: TimeAmount = .seconds(60),
                requireClientCertificate: Bool = true, cookieExchange: Bool = true,
                requireExtendedMasterSecret: Bool = false) {
        self.certificate = certificate
        self.verification = verification
        self.cipherSuites = cipherSuites
        self.groups = groups
        self.srtpProfiles = srtpProfiles
        self.mtu = mtu
        self.initialRetransmitTimeout = initialRetransmitTimeout
        self.maxRetransmitTimeout = maxRetransmitTimeout
        self.handshakeTimeout = handshakeTimeout
        self.requireClientCertificate = requireClientCertificate
        self.cookieExchange = cookieExchange
        self.requireExtendedMasterSecret = requireExtendedMasterSecret
    }
}

/// What a completed handshake negotiated.
public struct DTLSHandshakeInfo: Sendable, Equatable {
    /// The cipher suite protecting records.
    public var cipherSuite: DTLSCipherSuite
    /// The ECDHE group used.
    public var group: DTLSNamedGroup
    /// The negotiated SRTP profile, or `nil` if use_srtp was not negotiated (RFC 5764 §4.1.1).
    public var srtpProfile: SRTPProtectionProfile?
    /// SHA-256 fingerprint of the peer's certificate (compare with SDP `a=fingerprint`).
    public var remoteFingerprint: CertificateFingerprint
    /// The peer's DER leaf certificate.
    public var remoteCertificate: [UInt8]
    /// `true` if the extended master secret (RFC 7627) was used.
    public var extendedMasterSecret: Bool
}

/// SRTP master keys and salts for both directions, from the exporter (RFC 5764 §4.2).
public struct DTLSSRTPKeyingMaterial: Sendable, Equatable {
    /// The negotiated protection profile.
    public var profile: SRTPProtectionProfile
    /// Master key protecting what we send.
    public var localKey: [UInt8]
    /// Master salt for what we send.
    public var localSalt: [UInt8]
    /// Master key protecting what the peer sends.
    public var remoteKey: [UInt8]
    /// Master salt for what the peer sends.
    public var remoteSalt: [UInt8]
}

/// Something the connection reports to its owner, drained with `pollEvent()`.
public enum DTLSEvent: Sendable, Equatable {
    /// The handshake finished (RFC 6347 §4.2); keys may now be exported.
    case handshakeCompleted(DTLSHandshakeInfo)
    /// Decrypted application data from the peer (RFC 5246 §10).
    case applicationData(ByteBuffer)
    /// A warning alert from the peer other than close_notify (RFC 5246 §7.2).
    case alert(level: UInt8, description: UInt8)
    /// The peer sent close_notify (RFC 5246 §7.2.1); the association is closed.
    case closed
    /// The association failed; nothing more will be sent or received.
    case failed(DTLSError)
}

/// Counters of what the record layer dropped (RFC 6347 §4.1.2.7: invalid records are silently
/// discarded) and what the handshake retransmitted.
public struct DTLSStatistics: Sendable, Equatable {
    /// Records that failed AEAD authentication (bad MAC).
    public var recordsDroppedBadMAC = 0
    /// Records rejected by the anti-replay window (RFC 6347 §4.1.2.6).
    public var recordsDroppedReplay = 0
    /// Records of an epoch we cannot read.
    public var recordsDroppedWrongEpoch = 0
    /// Records or datagrams that could not be parsed.
    public var recordsDroppedMalformed = 0
    /// Records that were valid but not acceptable in the current state (e.g. early data).
    public var recordsDroppedUnexpected = 0
    /// Flights retransmitted because a timer fired.
    public var timeoutRetransmissions = 0
    /// Flights retransmitted because the peer retransmitted its previous flight.
    public var triggeredRetransmissions = 0
    /// Datagrams handed out by `pollTransmit()`.
    public var datagramsSent = 0
    /// Application data records delivered.
    public var applicationRecordsReceived = 0
    /// Application data records sent before the handshake completed (False Start, RFC 7918).
    public var earlyApplicationRecordsSent = 0

    /// All zero.
    public init() {}
}

/// The state of a `DTLSConnection` as seen by its owner.
public enum DTLSConnectionState: Sendable, Equatable {
    /// Handshake in progress (or not yet started for a client).
    case handshaking
    /// Handshake done; application data flows.
    case connected
    /// close_notify sent or received.
    case closed
    /// Failed with an error.
    case failed
}
