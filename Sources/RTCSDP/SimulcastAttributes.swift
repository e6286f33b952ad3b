/// Whether a RID or simulcast stream is sent or received (RFC 8851 §4, RFC 8853 §5.1).
public enum RIDDirection: String, Hashable, Sendable {
    /// The offerer/answerer sends this stream.
    case send
    /// The offerer/answerer receives this stream.
    case recv
}

/// `a=rid:<rid-id> <send|recv> [<restrictions>]` — an RTP stream identifier with optional
/// restrictions such as `pt=96;max-width=1280` (RFC 8851 §4).
public struct RIDAttribute: Hashable, Sendable {
    /// The rid-id, e.g. `h`.
    public var id: String
    /// Whether the stream is sent or received.
    public var direction: RIDDirection
    /// The restrictions after the direction, verbatim (`pt=…;max-width=…`).
    public var restrictions: String?

    /// Creates a rid attribute.
    public init(id: String, direction: RIDDirection, restrictions: String? = nil) {
        self.id = id
        self.direction = direction
        self.restrictions = restrictions
    }

    /// The restrictions as `key=value` pairs in order (RFC 8851 §4; `pt=` lists stay joined).
    public var restrictionPairs: [(key: String, value: String?)] {
        guard let restrictions else { return [] }
        return SDPText.split(restrictions, on: UInt8(ascii: ";")).compactMap { item in
            guard !item.isEmpty else { return nil }
            if let (k, v) = SDPText.splitFirst(item, on: UInt8(ascii: "=")) { return (k, v) }
            return (item, nil)
        }
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count >= 2 else { throw .fieldCount(field: "rid", expected: "at least 2", found: f.count) }
        guard let d = RIDDirection(rawValue: f[1]) else { throw .invalidValue(field: "rid direction", value: f[1]) }
        id = f[0]
        direction = d
        restrictions = f.count > 2 ? f[2...].joined(separator: " ") : nil
    }

    /// The text after `a=rid:`.
    public var sdpValue: String {
        var s = id + " " + direction.rawValue
        if let restrictions { s += " " + restrictions }
        return s
    }
}

/// `a=simulcast:` — the simulcast streams sent and/or received, each a list of alternative
/// rids (RFC 8853 §5.1), e.g. `send h;m;l` or `send 1,2;3 recv 4`.
public struct Simulcast: Hashable, Sendable {
    /// One stream reference: a rid-id, possibly paused (`~` prefix).
    public struct Stream: Hashable, Sendable {
        /// The rid-id.
        public var rid: String
        /// Whether the stream starts paused (`~h`).
        public var paused: Bool

        /// Creates a stream reference.
        public init(rid: String, paused: Bool = false) {
            self.rid = rid
            self.paused = paused
        }
    }

    /// The streams sent: each element is one simulcast stream given as alternatives (`,`).
    public var send: [[Stream]]?
    /// The streams received, in the same shape.
    public var recv: [[Stream]]?

    /// Creates a simulcast attribute.
    public init(send: [[Stream]]? = nil, recv: [[Stream]]? = nil) {
        self.send = send
        self.recv = recv
    }

    /// Convenience: simulcast sending `rids`, one stream each, none paused.
    public init(sending rids: [String]) {
        self.init(send: rids.map { [Stream(rid: $0)] })
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count == 2 || f.count == 4 else { throw .fieldCount(field: "simulcast", expected: "2 or 4", found: f.count) }
        var send: [[Stream]]?
        var recv: [[Stream]]?
        var i = 0
        while i < f.count {
            let list = try Simulcast.parseList(f[i + 1])
            switch f[i] {
            case "send" where send == nil: send = list
            case "recv" where recv == nil: recv = list
            default: throw .invalidValue(field: "simulcast direction", value: f[i])
            }
            i += 2
        }
        self.send = send
        self.recv = recv
    }

    private static func parseList(_ s: String) throws(SDPParseError.Reason) -> [[Stream]] {
        var out: [[Stream]] = []
        for alternatives in SDPText.split(s, on: UInt8(ascii: ";")) {
            var streams: [Stream] = []
            for item in SDPText.split(alternatives, on: UInt8(ascii: ",")) {
                let paused = item.utf8.first == UInt8(ascii: "~")
                let rid = paused ? String(decoding: item.utf8.dropFirst(), as: UTF8.self) : item
                guard !rid.isEmpty else { throw .invalidValue(field: "simulcast rid", value: s) }
                streams.append(Stream(rid: rid, paused: paused))
            }
            out.append(streams)
        }
        return out
    }

    private static func format(_ list: [[Stream]]) -> String {
        list.map { $0.map { ($0.paused ? "~" : "") + $0.rid }.joined(separator: ",") }.joined(separator: ";")
    }

    /// The text after `a=simulcast:`.
    public var sdpValue: String {
        var parts: [String] = []
        if let send { parts += ["send", Simulcast.format(send)] }
        if let recv { parts += ["recv", Simulcast.format(recv)] }
        return parts.joined(separator: " ")
    }
}
