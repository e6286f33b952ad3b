import RTCCore
import RTCSDP

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

/// Why an `a=candidate` value cannot become an agent candidate (RFC 8839 §5.1).
public enum ICECandidateParseError: Error, Hashable, Sendable {
    /// The text is not a candidate: it breaks the RFC 8839 §5.1 grammar (the reason says where).
    case malformed(String)
    /// The connection address is not an IP literal (e.g. an mDNS `.local` name).
    case unresolvedAddress(String)
    /// The candidate type is not one of host, srflx, prflx, relay.
    case badType(String)
}

/// An ICE candidate the agent can pair (RFC 8445 §5.1): an SDP candidate (RFC 8839 §5.1,
/// ``ICECandidateAttribute``, the one parser) whose address is resolved to an IP literal.
///
/// Make one from text with ``init(sdpAttributeValue:)`` or from a parsed attribute with
/// ``init(_:)``; ``attribute`` and ``sdpAttributeValue`` give the SDP form back.
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
    /// For a local relayed candidate: how the agent reaches its TURN server (`udp`, `tcp` or `tls`;
    /// W3C `RTCIceCandidate.relayProtocol`). Not part of the SDP form; `nil` otherwise.
    public var relayProtocol: String?

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

    /// Resolves a parsed candidate: its address (and related address) must be IP literals and
    /// its type one of the four of RFC 8445. Nothing is parsed again.
    public init(_ attribute: ICECandidateAttribute) throws(ICECandidateParseError) {
        guard let ip = attribute.ipAddress else { throw .unresolvedAddress(attribute.address) }
        let type: ICECandidateType
        switch attribute.type {
        case .host: type = .host
        case .serverReflexive: type = .serverReflexive
        case .peerReflexive: type = .peerReflexive
        case .relay: type = .relayed
        case .other(let token): throw .badType(token)
        }
        var pairs: [(String, String)] = []
        if let t = attribute.tcpType { pairs.append(("tcptype", t.rawValue)) }
        if let g = attribute.generation { pairs.append(("generation", "\(g)")) }
        if let u = attribute.ufrag { pairs.append(("ufrag", u)) }
        if let n = attribute.networkID { pairs.append(("network-id", "\(n)")) }
        if let c = attribute.networkCost { pairs.append(("network-cost", "\(c)")) }
        pairs += attribute.extensions.map { ($0.name, $0.value) }
        self.init(foundation: attribute.foundation, component: UInt16(attribute.component),
                  transport: attribute.transport.lowercased(), priority: attribute.priority,
                  address: TransportAddress(ip: ip, port: attribute.port), type: type,
                  relatedAddress: attribute.relatedAddress.flatMap(IPAddress.init).map { TransportAddress(ip: $0, port: attribute.relatedPort ?? 0) },
                  extensions: pairs)
    }

    /// Parses the value of an `a=candidate:` attribute (RFC 8839 §5.1), with or without the
    /// leading `candidate:` (and `a=`), with the one parser (``ICECandidateAttribute``), then
    /// resolves it (``init(_:)``).
    public init(sdpAttributeValue text: String) throws(ICECandidateParseError) {
        var body = Substring(text)
        if body.hasPrefix("a=") { body = body.dropFirst(2) }
        if !body.hasPrefix("candidate:") { body = "candidate:" + body }
        let attribute: ICECandidateAttribute
        do { attribute = try ICECandidateAttribute(parsing: String(body)) } catch { throw .malformed(error.reason.description) }
        try self.init(attribute)
    }

    /// The SDP form (RFC 8839 §5.1). Extensions are written as they are held, in order.
    public var attribute: ICECandidateAttribute {
        ICECandidateAttribute(foundation: foundation, component: UInt32(component), transport: transport, priority: priority,
                              address: address.ip.description, port: address.port, type: sdpType,
                              relatedAddress: relatedAddress.map { $0.ip.description }, relatedPort: relatedAddress?.port,
                              extensions: extensionPairs.map { ICECandidateAttribute.Extension(name: $0.name, value: $0.value) })
    }

    private var sdpType: ICECandidateAttribute.CandidateType {
        switch type {
        case .host: return .host
        case .serverReflexive: return .serverReflexive
        case .peerReflexive: return .peerReflexive
        case .relayed: return .relay
        }
    }

    /// The `a=candidate` value without `a=` but with `candidate:` (RFC 8839 §5.1), as
    /// browsers' `RTCIceCandidate.candidate` carries it.
    public var sdpAttributeValue: String { attribute.candidateString }

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
