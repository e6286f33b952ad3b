import RTCCore

/// An ICE candidate as carried in `a=candidate:` lines and trickled candidate strings
/// (RFC 8839 §5.1):
///
///     candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///               [raddr <address>] [rport <port>] *(<extension name> <extension value>)
///
/// This is the one candidate parser of SwiftRTC: SDP lines, trickled strings and the ICE
/// agent's candidates (`RTCICE.ICECandidate(_:)` resolves one of these) all go through it, and
/// it enforces the RFC 8839 §5.1 grammar, so what it accepts serializes back to itself.
/// Parse a trickled string with ``init(parsing:)`` (with or without `a=`). The address is
/// kept as text because it may be a host name (mDNS `….local`, RFC 8839 §5.1).
public struct ICECandidateAttribute: Hashable, Sendable, CustomStringConvertible {
    /// The candidate type (RFC 8445 §5.1.1).
    public enum CandidateType: Hashable, Sendable {
        /// A host candidate.
        case host
        /// A server-reflexive candidate (from STUN).
        case serverReflexive
        /// A peer-reflexive candidate.
        case peerReflexive
        /// A relayed candidate (from TURN).
        case relay
        /// A type this module does not know, verbatim.
        case other(String)

        /// The SDP token: `host`, `srflx`, `prflx`, `relay`.
        public var token: String {
            switch self {
            case .host: return "host"
            case .serverReflexive: return "srflx"
            case .peerReflexive: return "prflx"
            case .relay: return "relay"
            case .other(let s): return s
            }
        }

        init(token: String) {
            switch token {
            case "host": self = .host
            case "srflx": self = .serverReflexive
            case "prflx": self = .peerReflexive
            case "relay": self = .relay
            default: self = .other(token)
            }
        }
    }

    /// The TCP candidate type (RFC 6544 §4.5).
    public enum TCPType: String, Hashable, Sendable {
        /// Opens outgoing connections only.
        case active
        /// Accepts incoming connections only.
        case passive
        /// Simultaneous open.
        case so
    }

    /// The foundation (1–32 ice-chars).
    public var foundation: String
    /// The component id: 1 for RTP (and everything under rtcp-mux), 2 for RTCP.
    public var component: UInt32
    /// The transport as written (`udp`, `UDP`, `tcp`); see ``isTCP``.
    public var transport: String
    /// The candidate priority (RFC 8445 §5.1.2).
    public var priority: UInt32
    /// The connection address: an IPv4/IPv6 literal or a host name such as `xxxx.local`.
    public var address: String
    /// The port.
    public var port: UInt16
    /// The candidate type after `typ`.
    public var type: CandidateType
    /// `raddr` — the related address (base of a reflexive/relayed candidate).
    public var relatedAddress: String?
    /// `rport` — the related port.
    public var relatedPort: UInt16?
    /// `tcptype` — for TCP candidates (RFC 6544 §4.5).
    public var tcpType: TCPType?
    /// `generation` (a WebRTC extension; ICE restart counter).
    public var generation: UInt32?
    /// `ufrag` — the username fragment this candidate belongs to (WebRTC extension).
    public var ufrag: String?
    /// `network-id` (WebRTC extension).
    public var networkID: UInt32?
    /// `network-cost` (WebRTC extension).
    public var networkCost: UInt32?
    /// Every other extension name/value pair, in the order it appeared.
    public var extensions: [Extension]

    /// An unknown `<name> <value>` extension pair (RFC 8839 §5.1 `extension-att-name`).
    public struct Extension: Hashable, Sendable {
        /// The extension name.
        public var name: String
        /// The extension value.
        public var value: String

        /// Creates an extension pair.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a candidate.
    public init(foundation: String, component: UInt32 = 1, transport: String = "udp", priority: UInt32,
                address: String, port: UInt16, type: CandidateType, relatedAddress: String? = nil,
                relatedPort: UInt16? = nil, tcpType: TCPType? = nil, generation: UInt32? = nil,
                ufrag: String? = nil, networkID: UInt32? = nil, networkCost: UInt32? = nil,
                extensions: [Extension] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.ufrag = ufrag
        self.networkID = networkID
        self.networkCost = networkCost
        self.extensions = extensions
    }

    /// Parses a candidate string as trickled by browsers (`candidate:…`) or as an SDP line
    /// (`a=candidate:…`); a trailing CR/LF is ignored. Errors report line 1.
    public init(parsing text: String) throws(SDPParseError) {
        var s = Substring(text)
        while let last = s.utf8.last, last == 0x0A || last == 0x0D { s = s.dropLast() }
        var body = s.utf8[...]
        if body.starts(with: "a=".utf8) { body = body.dropFirst(2) }
        guard body.starts(with: "candidate:".utf8) else {
            throw SDPParseError(line: 1, text: String(s), reason: .invalidValue(field: "candidate", value: String(s)))
        }
        do {
            try self.init(sdpValue: String(decoding: body.dropFirst("candidate:".utf8.count), as: UTF8.self))
        } catch {
            throw SDPParseError(line: 1, text: String(s), reason: error)
        }
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        // Every candidate token is visible ASCII (RFC 8839 §5.1: ice-char, token, VCHAR, IP or
        // FQDN); control characters would also make a trickled string's line ending ambiguous.
        guard !SDPText.containsByte(sdpValue, where: { $0 < 0x20 || $0 >= 0x7F }) else {
            throw .invalidValue(field: "candidate", value: sdpValue)
        }
        let f = SDPText.fields(sdpValue)
        guard f.count >= 8 else { throw .fieldCount(field: "candidate", expected: "at least 8", found: f.count) }
        guard f[6] == "typ" else { throw .invalidValue(field: "candidate typ", value: f[6]) }
        guard f.count % 2 == 0 else { throw .fieldCount(field: "candidate extensions", expected: "name/value pairs", found: f.count - 8) }
        // foundation = 1*32ice-char; ice-char = ALPHA / DIGIT / "+" / "/"
        guard (1...32).contains(f[0].utf8.count), f[0].utf8.allSatisfy(Self.isICEChar) else {
            throw .invalidValue(field: "candidate foundation", value: f[0])
        }
        // component-id = 1*3DIGIT, 1–256 (RFC 8445 §5.1.2.1)
        guard f[1].utf8.count <= 3, let componentID: UInt32 = SDPText.number(f[1]), (1...256).contains(componentID) else {
            throw .invalidNumber(field: "candidate component", value: f[1])
        }
        // transport = "UDP" / transport-extension (a token); priority = 1*10DIGIT
        guard f[2].utf8.allSatisfy(Self.isTokenChar) else { throw .invalidValue(field: "candidate transport", value: f[2]) }
        guard f[3].utf8.count <= 10 else { throw .invalidNumber(field: "candidate priority", value: f[3]) }
        // cand-type = "typ" SP candidate-types, each a token; extension names are tokens.
        guard f[7].utf8.allSatisfy(Self.isTokenChar) else { throw .invalidValue(field: "candidate type", value: f[7]) }
        for name in stride(from: 8, to: f.count, by: 2) where !f[name].utf8.allSatisfy(Self.isTokenChar) {
            throw .invalidValue(field: "candidate extension name", value: f[name])
        }
        foundation = f[0]
        component = componentID
        transport = f[2]
        priority = try SDPText.number(f[3], field: "candidate priority")
        address = f[4]
        port = try SDPText.number(f[5], field: "candidate port")
        type = CandidateType(token: f[7])
        extensions = []
        var i = 8
        while i + 1 < f.count {
            let name = f[i]
            let value = f[i + 1]
            switch name {
            case "raddr" where relatedAddress == nil:
                relatedAddress = value
            case "rport" where relatedPort == nil:
                relatedPort = try SDPText.number(value, field: "candidate rport")
            case "tcptype" where tcpType == nil:
                guard let t = TCPType(rawValue: value) else { throw .invalidValue(field: "candidate tcptype", value: value) }
                tcpType = t
            case "generation" where generation == nil:
                generation = try SDPText.number(value, field: "candidate generation")
            case "ufrag" where ufrag == nil:
                ufrag = value
            case "network-id" where networkID == nil:
                networkID = try SDPText.number(value, field: "candidate network-id")
            case "network-cost" where networkCost == nil:
                networkCost = try SDPText.number(value, field: "candidate network-cost")
            default:
                extensions.append(Extension(name: name, value: value))
            }
            i += 2
        }
    }

    /// `ice-char` of RFC 8839 §5.1: `ALPHA / DIGIT / "+" / "/"`.
    static func isICEChar(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2B || b == 0x2F
    }

    /// `token-char` of RFC 8866 §9.
    static func isTokenChar(_ b: UInt8) -> Bool {
        b == 0x21 || (0x23...0x27).contains(b) || (0x2A...0x2B).contains(b) || (0x2D...0x2E).contains(b)
            || (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x5E...0x7E).contains(b)
    }

    /// Whether the transport is TCP (RFC 6544), compared case-insensitively.
    public var isTCP: Bool { transport.lowercased() == "tcp" }

    /// Whether the transport is UDP, compared case-insensitively.
    public var isUDP: Bool { transport.lowercased() == "udp" }

    /// The address as an IP address, or `nil` for a host name (mDNS) or malformed text.
    public var ipAddress: IPAddress? { IPAddress(address) }

    /// Whether the address is an mDNS host name (ends in `.local`, RFC 8839 §5.1 and
    /// draft-ietf-mmusic-mdns-ice-candidates).
    public var isMDNS: Bool { address.lowercased().hasSuffix(".local") }

    /// The text after `a=candidate:`. Known extensions are written in a fixed order
    /// (raddr, rport, tcptype, generation, ufrag, network-id, network-cost), then the others.
    public var sdpValue: String {
        var w = SDPWriter(capacity: 96)
        write(to: &w)
        return w.text
    }

    /// The trickle form `candidate:…` (as in `RTCIceCandidate.candidate`, RFC 8840 §4.1).
    public var candidateString: String {
        var w = SDPWriter(capacity: 106)
        w.write("candidate:" as StaticString)
        write(to: &w)
        return w.text
    }

    /// Same as ``candidateString``.
    public var description: String { candidateString }
}
