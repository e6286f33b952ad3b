import Logging
import NIOCore
import NIOSSL
import RTCCore
import RTCDTLS
import RTCSession
import RTCTURN

/// A STUN or TURN server an ICE agent may use (W3C `RTCIceServer`).
public struct ICEServer: Sendable, Hashable {
    /// `stun:host:port`, `turn:host:port?transport=udp`, … (RFC 7064, RFC 7065).
    public var urls: [String]
    /// The TURN username (for time-limited credentials: `"<expiry>:<name>"`).
    public var username: String?
    /// The TURN password.
    public var credential: String?

    /// Creates a server entry.
    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

/// Which candidates ICE may use (W3C `RTCIceTransportPolicy`).
public enum ICETransportPolicy: String, Sendable, Hashable {
    /// Every candidate: host, server-reflexive, relayed.
    case all
    /// Relayed (TURN) candidates only, hiding the host's addresses from the peer.
    case relay
}

/// Which certificates a `turns:` server's certificate must chain to (TLS to the TURN server,
/// RFC 8656 §3.1). The certificate is always verified, and must name the server's IP address
/// (the URL's host is an IP literal) in its subject alternative names.
public enum TURNTLSTrustRoots: Sendable, Hashable {
    /// The system's trust store.
    case system
    /// These PEM certificates (one or more concatenated), instead of the system's: e.g. a
    /// private CA, or a test server's self-signed certificate.
    case pem(String)
}

/// Settings of one peer connection.
public struct ConnectionConfiguration: Sendable {
    /// STUN/TURN servers for candidate gathering.
    public var iceServers: [ICEServer] = []
    /// Which candidates may be used.
    public var iceTransportPolicy: ICETransportPolicy = .all
    /// What `turns:` servers' certificates are verified against (the system's store by default).
    public var turnTLSTrustRoots: TURNTLSTrustRoots = .system
    /// Whether loopback addresses (127.0.0.1, ::1) are gathered as host candidates. Off in
    /// browsers; on by default here because servers, tests and bots often talk over loopback.
    public var includeLoopbackCandidates: Bool = true
    /// Whether IPv6 host candidates are gathered.
    public var includeIPv6: Bool = true
    /// Whether the host sockets are bound when the connection is created (the interfaces read
    /// then), rather than by the first `setLocalDescription`: negotiation then starts without
    /// that work (about 0.2 ms for two sockets, and more with more interfaces), much as a
    /// browser's ICE candidate pool gathers ahead. A connection first described more than
    /// ``earlyBindingFreshness`` after its creation reads the interfaces again and binds what
    /// changed. Off: nothing is bound until the first local description.
    public var bindsSocketsAtCreation: Bool = true
    /// How long sockets bound at creation are trusted without reading the interfaces again
    /// (``bindsSocketsAtCreation``).
    public var earlyBindingFreshness: Duration = .seconds(2)
    /// Whether the peer's `.local` host candidates (browsers hide their addresses behind
    /// multicast DNS names by default) are resolved with a multicast DNS query on every
    /// interface before they are added (`PeerConnection+MDNS.swift`). Off: they are ignored,
    /// and such a browser is reached only through its peer-reflexive or server candidates.
    public var resolvesMDNSCandidates: Bool = true
    /// The `max-message-size` advertised for data channels (RFC 8841), in bytes.
    public var maxMessageSize: Int = 262_144
    /// `send` on a data channel suspends while its buffered amount is above this many bytes.
    public var sendBufferHighWaterMark: Int = 1 << 20
    /// The DTLS certificate; `nil` generates a fresh ECDSA P-256 one per connection.
    public var certificate: DTLSCertificate?
    /// Where the connection logs, one label per subsystem (`swiftrtc.peerconnection`,
    /// `swiftrtc.ice`, `swiftrtc.dtls`, `swiftrtc.datachannel`), each record
    /// with the connection's short id as `pc` metadata (`PeerConnection.logID`). At info: state
    /// changes, the selected pair, the DTLS handshake, channels opening and closing; at
    /// warning/error: every failure and failed channel close with its reason; at debug:
    /// candidates and descriptions. Nothing is logged per packet or per message above debug.
    ///
    /// `nil` (the default) makes the subsystem loggers from `LoggingSystem` when the connection
    /// is created. A logger given here is the base: the subsystem loggers share its handler
    /// (its level, metadata and destination) under their own labels.
    public var logger: Logger?

    /// The defaults: no ICE servers, all candidates, loopback included.
    public init() {}

    /// Overrides `SessionConfiguration.earlyINITResendDelay` (tests: a long delay shows whether
    /// a peer took the INIT sent with our DTLS Finished, instead of racing a 2 ms timer).
    var earlyINITResendDelay: TimeAmount?
}

/// Settings of a `WebRTCClient`.
public struct WebRTCClientConfiguration: Sendable {
    /// The configuration every `createPeerConnection()` starts from.
    public var defaultConnectionConfiguration = ConnectionConfiguration()

    /// The defaults.
    public init() {}
}

extension ConnectionConfiguration {
    /// The engine settings for this configuration. STUN and TURN servers must be IP literals
    /// (`stun:127.0.0.1:3478`, `turn:127.0.0.1:3478?transport=udp`; `localhost` is taken as
    /// 127.0.0.1); a `turn:` server needs `username` and `credential` (long-term or
    /// time-limited REST credentials). `?transport=tcp` reaches the TURN server over TCP (the
    /// `UDPDriver` opens one connection per server and framing is RFC 8656 §12.5's); `turns:`
    /// (port 5349 by default) is the same over TLS, verified against ``turnTLSTrustRoots``
    /// (``turnTLSPipelineSetup(url:)``). Every URL form is now honoured; anything else is
    /// `WebRTCError.invalidICEServer`.
    func sessionConfiguration() throws -> SessionConfiguration {
        var session = SessionConfiguration()
        session.includeLoopback = includeLoopbackCandidates
        if let earlyINITResendDelay { session.earlyINITResendDelay = earlyINITResendDelay }
        session.maxMessageSize = maxMessageSize
        session.relayOnly = iceTransportPolicy == .relay
        for server in iceServers {
            for url in server.urls {
                let tls = url.hasPrefix("turns:")
                guard url.hasPrefix("stun:") || url.hasPrefix("turn:") || tls else {
                    throw WebRTCError.invalidICEServer(url: url, reason: "the scheme must be stun:, turn: or turns: (RFC 7064, RFC 7065)")
                }
                var rest = String(url.dropFirst(tls ? 6 : 5))
                var query = ""
                if let q = rest.firstIndex(of: "?") {
                    query = String(rest[rest.index(after: q)...])
                    rest = String(rest[..<q])
                }
                if !rest.contains(":") || (rest.hasPrefix("[") && rest.hasSuffix("]")) { rest += tls ? ":5349" : ":3478" }
                if rest.hasPrefix("localhost:") { rest = "127.0.0.1:" + rest.dropFirst(10) }
                guard let address = TransportAddress(rest) else {
                    throw WebRTCError.invalidICEServer(url: url, reason: "the host must be an IP address literal")
                }
                guard url.hasPrefix("turn") else {
                    session.stunServers.append(address)
                    continue
                }
                let transport: TURNTransport
                switch (tls, query.lowercased()) {
                case (false, ""), (false, "transport=udp"):
                    transport = .udp
                case (false, "transport=tcp"), (true, ""), (true, "transport=tcp"):
                    transport = .stream
                default:
                    throw WebRTCError.invalidICEServer(url: url, reason: "the query must be transport=udp or transport=tcp (RFC 7065)")
                }
                guard let username = server.username, let credential = server.credential else {
                    throw WebRTCError.invalidICEServer(url: url, reason: "a turn: server needs username and credential")
                }
                session.turnServers.append(ICERelayServer(address: address, username: username, password: credential,
                                                          transport: transport, usesTLS: tls))
            }
        }
        return session
    }

    /// The TLS client for `turns:` servers' connections, as the edge's pipeline hook (a fresh
    /// `NIOSSLClientHandler` per connection, full verification against
    /// ``turnTLSTrustRoots``, the certificate checked against the server's IP address).
    /// Throws `WebRTCError.invalidICEServer` for trust roots that cannot be read.
    func turnTLSPipelineSetup(url: String) throws -> @Sendable (any Channel) throws -> Void {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.applicationProtocols = []
        switch turnTLSTrustRoots {
        case .system:
            tls.trustRoots = .default
        case .pem(let pem):
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw WebRTCError.invalidICEServer(url: url, reason: "turnTLSTrustRoots: not PEM certificates (\(error))")
            }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw WebRTCError.invalidICEServer(url: url, reason: "cannot set up TLS (\(error))")
        }
        return { channel in
            // No host name: the URL's host is an IP literal, which the certificate must name.
            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
        }
    }
}
