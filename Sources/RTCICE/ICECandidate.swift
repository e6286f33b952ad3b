import RTCCore

/// The type of an ICE candidate (RFC 8445 §5.1.1, §16.2 `cand-type`).
public enum ICECandidateType: String, Sendable, Hashable {
    /// A host candidate: an address on a local interface.
    case host
    /// A server-reflexive candidate: our address as a STUN server sees it.
    case serverReflexive = "srflx"
    /// A peer-reflexive candidate: learned from a connectivity check.
    case peerReflexive = "prflx"
    /// A relayed candidate: an address on a TURN server.
    case relayed = "relay"

    /// Type preference of RFC 8445 §5.1.2.2 (recommended values).
    public var typePreference: UInt32 {
        switch self {
        case .host: return 126
        case .peerReflexive: return 110
        case .serverReflexive: return 100
        case .relayed: return 0
        }
    }
}

/// Why an `a=candidate` value could not be parsed (RFC 8839 §5.1).
public enum ICECandidateParseError: Error, Hashable, Sendable {
    /// Fewer than the 8 mandatory fields.
    case tooFewFields(Int)
    /// A numeric field (component, priority, port) is not a number in range.
    case badNumber(field: String, value: String)
    /// The connection address is not an IP literal (e.g. an mDNS `.local` name).
    case unresolvedAddress(String)
    /// The 7th field is not `typ`, or the type is unknown.
    case badType(String)
}

/// An ICE candidate (RFC 8445 §5.1) with its SDP form (RFC 8839 §5.1).
///
/// This is RTCICE's own minimal value type; RTCSDP has its own, reconciled later.
public struct ICECandidate: Hashable, Sendable, CustomStringConvertible {
    /// The foundation (1–32 ice-chars).
    public var foundation: String
    /// The component id (1 = RTP / the only component with rtcp-mux and BUNDLE).
    public var component: UInt16
    /// The transport, lower-case (`udp`; `tcp` candidates are parsed but never paired).
    public var transport: String
    /// The priority (RFC 8445 §5.1.2).
    public var priority: UInt32
    /// The candidate's transport address.
    public var address: TransportAddress
    /// The candidate type.
    public var type: ICECandidateType
    /// The related address (`raddr`/`rport`): the base of a reflexive candidate.
    public var relatedAddress: TransportAddress?
    /// Further `name value` extension pairs (e.g. `tcptype`, `generation`, `ufrag`), kept in order.
    public var extensions: [(String, String)] { get { extensionPairs.map { ($0.name, $0.value) } } set { extensionPairs = newValue.map { Ext(name: $0.0, value: $0.1) } } }
    private var extensionPairs: [Ext]

    private struct Ext: Hashable, Sendable {
        var name: String
        var value: String
    }

    /// Creates a candidate.
    public init(foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
                address: TransportAddress, type: ICECandidateType, relatedAddress: TransportAddress? = nil,
                extensions: [(String, String)] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.type = type
        self.relatedAddress = relatedAddress
        self.extensionPairs = extensions.map { Ext(name: $0.0, value: $0.1) }
    }

    /// RFC 8445 §5.1.2.1: `2^24·type-preference + 2^8·local-preference + (256 − component)`.
    public static func priority(type: ICECandidateType, localPreference: UInt16, component: UInt16 = 1) -> UInt32 {
        (type.typePreference << 24) | (UInt32(localPreference) << 8) | (256 &- UInt32(min(component, 256)))
    }

    /// Parses the value of an `a=candidate:` attribute (RFC 8839 §5.1), with or without the
    /// leading `candidate:` (and `a=`).
    public init(sdpAttributeValue text: String) throws(ICECandidateParseError) {
        var s = Substring(text)
        if s.hasPrefix("a=") { s = s.dropFirst(2) }
        if s.hasPrefix("candidate:") { s = s.dropFirst("candidate:".count) }
        // Split on bytes, not Characters: a combining mark after a space must not merge with it.
        let f = s.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d || $0 == 0x0a })
            .map { String(decoding: $0, as: UTF8.self) }
        guard f.count >= 8 else { throw .tooFewFields(f.count) }
        guard let component = UInt16(f[1]), component > 0 else { throw .badNumber(field: "component", value: f[1]) }
        guard let priority = UInt32(f[3]) else { throw .badNumber(field: "priority", value: f[3]) }
        guard let ip = IPAddress(f[4]) else { throw .unresolvedAddress(f[4]) }
        guard let port = UInt16(f[5]) else { throw .badNumber(field: "port", value: f[5]) }
        guard f[6] == "typ", let type = ICECandidateType(rawValue: f[7]) else { throw .badType(f[6] + " " + f[7]) }
        var raddr: IPAddress? = nil
        var rport: UInt16? = nil
        var exts: [(String, String)] = []
        var i = 8
        while i + 1 < f.count {
            switch f[i] {
            case "raddr": raddr = IPAddress(f[i + 1])
            case "rport":
                guard let p = UInt16(f[i + 1]) else { throw .badNumber(field: "rport", value: f[i + 1]) }
                rport = p
            default: exts.append((f[i], f[i + 1]))
            }
            i += 2
        }
        self.init(foundation: f[0], component: component, transport: f[2].lowercased(), priority: priority,
                  address: TransportAddress(ip: ip, port: port), type: type,
                  relatedAddress: raddr.map { TransportAddress(ip: $0, port: rport ?? 0) }, extensions: exts)
    }

    /// The `a=candidate` value without `a=` but with `candidate:` (RFC 8839 §5.1), as
    /// browsers' `RTCIceCandidate.candidate` carries it.
    public var sdpAttributeValue: String {
        var s = "candidate:\(foundation) \(component) \(transport) \(priority) \(address.ip) \(address.port) typ \(type.rawValue)"
        if let r = relatedAddress { s += " raddr \(r.ip) rport \(r.port)" }
        for e in extensionPairs { s += " \(e.name) \(e.value)" }
        return s
    }

    /// The SDP form.
    public var description: String { sdpAttributeValue }
}

/// A local/remote candidate pair (RFC 8445 §6.1.2).
public struct ICECandidatePair: Hashable, Sendable, CustomStringConvertible {
    /// The local candidate (host, or peer-reflexive learned from a check).
    public var local: ICECandidate
    /// The base the agent sends from (the local candidate's base, RFC 8445 §5.1.1.3).
    public var localBase: TransportAddress
    /// The remote candidate.
    public var remote: ICECandidate

    /// Creates a pair.
    public init(local: ICECandidate, localBase: TransportAddress, remote: ICECandidate) {
        self.local = local
        self.localBase = localBase
        self.remote = remote
    }

    /// RFC 8445 §6.1.2.3: `2^32·min(G,D) + 2·max(G,D) + (G > D ? 1 : 0)` with G the
    /// controlling agent's candidate priority.
    public static func priority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        (UInt64(min(g, d)) << 32) + 2 * UInt64(max(g, d)) + (g > d ? 1 : 0)
    }

    /// `local -> remote`.
    public var description: String { "\(localBase) -> \(remote.address) (\(local.type.rawValue)/\(remote.type.rawValue))" }
}
