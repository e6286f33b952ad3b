/// A parsed SDP session description (RFC 8866 §5): the session-level lines, the session-level
/// attributes in order, and the media sections.
///
/// Parse with ``init(parsing:)``, serialize with ``serialized()`` (CRLF line endings). Values
/// compare structurally, so `parse(serialize(x)) == x` for every parsed `x`.
public struct SDPDocument: Hashable, Sendable {
    /// `v=` — the protocol version; always 0 (RFC 8866 §5.1).
    public var version: UInt8
    /// `o=` — the originator and session identifier (RFC 8866 §5.2).
    public var origin: Origin
    /// `s=` — the session name; WebRTC uses `-` (RFC 8866 §5.3).
    public var sessionName: String
    /// `i=` — optional session information (RFC 8866 §5.4).
    public var sessionInformation: String?
    /// `u=` — optional URI (RFC 8866 §5.5).
    public var uri: String?
    /// `e=` lines — email addresses (RFC 8866 §5.6).
    public var emails: [String]
    /// `p=` lines — phone numbers (RFC 8866 §5.6).
    public var phones: [String]
    /// `c=` — session-level connection data (RFC 8866 §5.7).
    public var connection: Connection?
    /// `b=` lines — session-level bandwidth (RFC 8866 §5.8).
    public var bandwidths: [Bandwidth]
    /// `t=` lines with their `r=` repeats — at least one (RFC 8866 §5.9, §5.10).
    public var timing: [Timing]
    /// `z=` — time zone adjustments, verbatim (RFC 8866 §5.11).
    public var timeZones: String?
    /// `k=` — obsolete encryption key line, verbatim (RFC 8866 §5.12).
    public var encryptionKey: String?
    /// Session-level `a=` lines in order (RFC 8866 §5.13).
    public var attributes: [Attribute]
    /// The media sections (`m=` and what follows each) in order (RFC 8866 §5.14).
    public var media: [MediaDescription]

    /// Creates a description. The defaults are what JSEP uses (RFC 8829 §5.2.1): `v=0`,
    /// `s=-`, `t=0 0`.
    public init(
        version: UInt8 = 0,
        origin: Origin,
        sessionName: String = "-",
        sessionInformation: String? = nil,
        uri: String? = nil,
        emails: [String] = [],
        phones: [String] = [],
        connection: Connection? = nil,
        bandwidths: [Bandwidth] = [],
        timing: [Timing] = [Timing()],
        timeZones: String? = nil,
        encryptionKey: String? = nil,
        attributes: [Attribute] = [],
        media: [MediaDescription] = []
    ) {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.sessionInformation = sessionInformation
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2).
public struct Origin: Hashable, Sendable {
    /// The user name; `-` when there is none (JSEP uses `-`).
    public var username: String
    /// The numeric session identifier (RFC 8829 §5.2.1: a random number below 2^63).
    public var sessionID: UInt64
    /// The session version, incremented on every change (RFC 8829 §5.2.2).
    public var sessionVersion: UInt64
    /// The network type, `IN`.
    public var networkType: String
    /// The address type, `IP4` or `IP6`.
    public var addressType: String
    /// The originating address (JSEP: `0.0.0.0` or `127.0.0.1`).
    public var address: String

    /// Creates an origin; defaults follow RFC 8829 §5.2.1 (`- <id> <version> IN IP4 0.0.0.0`).
    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64 = 0,
                networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
public struct Connection: Hashable, Sendable {
    /// The network type, `IN`.
    public var networkType: String
    /// The address type, `IP4` or `IP6`.
    public var addressType: String
    /// The connection address, verbatim (may carry `/ttl/count` for multicast).
    public var address: String

    /// Creates connection data; the default is JSEP's dummy `IN IP4 0.0.0.0` (RFC 8829 §5.2.1).
    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `b=AS:30`.
public struct Bandwidth: Hashable, Sendable {
    /// The bandwidth type (`AS`, `CT`, `TIAS`, …).
    public var type: String
    /// The value, in the unit the type defines (kbit/s for AS and CT, bit/s for TIAS).
    public var value: UInt64

    /// Creates a bandwidth line.
    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }
}

/// `t=<start-time> <stop-time>` with its `r=` repeat lines (RFC 8866 §5.9, §5.10).
public struct Timing: Hashable, Sendable {
    /// NTP start time; 0 for unbounded (WebRTC always uses `t=0 0`).
    public var start: UInt64
    /// NTP stop time; 0 for unbounded.
    public var stop: UInt64
    /// `r=` lines that follow this `t=`, verbatim.
    public var repeats: [String]

    /// Creates a timing line; the default is `t=0 0` (RFC 8829 §5.2.1).
    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }
}

/// One media section: `m=` and the `i=`, `c=`, `b=`, `k=` and `a=` lines that follow it
/// (RFC 8866 §5.14).
public struct MediaDescription: Hashable, Sendable {
    /// The media type: `audio`, `video`, `application`, … (RFC 8866 §5.14).
    public var kind: String
    /// The transport port; JSEP uses 9 before candidates are known, 0 to reject (RFC 8829 §5.2.1).
    public var port: UInt16
    /// The optional `/<number of ports>` after the port.
    public var portCount: UInt16?
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF` or `UDP/DTLS/SCTP` (RFC 8829 §5.1.2).
    public var proto: String
    /// The media formats: RTP payload types, or `webrtc-datachannel` (RFC 8841 §4.1).
    public var formats: [String]
    /// `i=` — media title.
    public var title: String?
    /// `c=` lines of this section.
    public var connections: [Connection]
    /// `b=` lines of this section.
    public var bandwidths: [Bandwidth]
    /// `k=` — obsolete encryption key, verbatim.
    public var encryptionKey: String?
    /// The section's `a=` lines in order.
    public var attributes: [Attribute]

    /// Creates a media section.
    public init(kind: String, port: UInt16 = 9, portCount: UInt16? = nil, proto: String, formats: [String],
                title: String? = nil, connections: [Connection] = [Connection()], bandwidths: [Bandwidth] = [],
                encryptionKey: String? = nil, attributes: [Attribute] = []) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.title = title
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }
}
