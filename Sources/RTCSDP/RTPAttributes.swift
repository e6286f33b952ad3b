/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
/// (RFC 8866 §6.6), e.g. `111 opus/48000/2`.
public struct RTPMap: Hashable, Sendable {
    /// The RTP payload type, 0–127.
    public var payloadType: UInt8
    /// The encoding name as written, e.g. `opus`, `VP8` (compare case-insensitively).
    public var encodingName: String
    /// The RTP clock rate in Hz.
    public var clockRate: UInt32
    /// Encoding parameters: the channel count for audio, when present.
    public var channels: UInt16?

    /// Creates an rtpmap.
    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count == 2 else { throw .fieldCount(field: "rtpmap", expected: "2", found: f.count) }
        payloadType = try parsePayloadType(f[0], field: "rtpmap payload type")
        let parts = SDPText.split(f[1], on: UInt8(ascii: "/"))
        guard parts.count == 2 || parts.count == 3 else {
            throw .invalidValue(field: "rtpmap encoding", value: f[1])
        }
        guard !parts[0].isEmpty else { throw .invalidValue(field: "rtpmap encoding name", value: f[1]) }
        encodingName = parts[0]
        clockRate = try SDPText.number(parts[1], field: "rtpmap clock rate")
        channels = parts.count == 3 ? try SDPText.number(parts[2], field: "rtpmap channels") : nil
    }

    /// The text after `a=rtpmap:`.
    public var sdpValue: String {
        var s = "\(payloadType) \(encodingName)/\(clockRate)"
        if let channels { s += "/\(channels)" }
        return s
    }
}

func parsePayloadType(_ s: String, field: String) throws(SDPParseError.Reason) -> UInt8 {
    let pt: UInt8 = try SDPText.number(s, field: field)
    guard pt <= 127 else { throw .invalidNumber(field: field, value: s) }
    return pt
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15), e.g.
/// `111 minptime=10;useinbandfec=1`. The format is an RTP payload type for RTP media, but
/// may be any `m=` format (legacy data channels wrote `a=fmtp:5000 protocol=…`).
public struct FormatParameters: Hashable, Sendable {
    /// The media format these parameters apply to, as written (usually a payload type).
    public var format: String
    /// The parameters, verbatim (usually `key=value` pairs joined by `;`).
    public var parameters: String

    /// Creates format parameters for an arbitrary `m=` format.
    public init(format: String, parameters: String) {
        self.format = format
        self.parameters = parameters
    }

    /// Creates format parameters for RTP payload type `payloadType`.
    public init(payloadType: UInt8, parameters: String) {
        self.init(format: String(payloadType), parameters: parameters)
    }

    /// The format as an RTP payload type (0–127), or `nil` when it is not one.
    public var payloadType: UInt8? {
        guard let pt: UInt8 = SDPText.number(format), pt <= 127 else { return nil }
        return pt
    }

    /// The `key=value` pairs of ``parameters`` in order (split on `;`, spaces trimmed); a
    /// parameter without `=` has a `nil` value (e.g. RED's `111/111`).
    public var pairs: [(key: String, value: String?)] {
        SDPText.split(parameters, on: UInt8(ascii: ";")).compactMap { item in
            let trimmed = SDPText.fields(item).joined(separator: " ")
            guard !trimmed.isEmpty else { return nil }
            if let (k, v) = SDPText.splitFirst(trimmed, on: UInt8(ascii: "=")) { return (k, v) }
            return (trimmed, nil)
        }
    }

    /// The value of parameter `key` (e.g. `apt`, `profile-level-id`), if present.
    public func value(for key: String) -> String? {
        pairs.first { $0.key == key }?.value ?? nil
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        if let (format, rest) = SDPText.splitFirst(sdpValue, on: SDPText.space) {
            self.format = format
            parameters = rest
        } else {
            format = sdpValue
            parameters = ""
        }
        guard !format.isEmpty else { throw .invalidValue(field: "fmtp format", value: sdpValue) }
    }

    /// The text after `a=fmtp:`.
    public var sdpValue: String { parameters.isEmpty ? format : format + " " + parameters }
}

/// `a=rtcp-fb:<payload type | *> <type> [<parameter>]` (RFC 4585 §4.2), e.g. `96 nack pli`.
public struct RTCPFeedback: Hashable, Sendable {
    /// The payload type, or `nil` for `*` (all payload types).
    public var payloadType: UInt8?
    /// The feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`, …
    public var type: String
    /// The parameter(s) after the type, e.g. `pli` or `fir`.
    public var parameter: String?

    /// Creates an rtcp-fb attribute.
    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count >= 2 else { throw .fieldCount(field: "rtcp-fb", expected: "at least 2", found: f.count) }
        payloadType = f[0] == "*" ? nil : try parsePayloadType(f[0], field: "rtcp-fb payload type")
        type = f[1]
        parameter = f.count > 2 ? f[2...].joined(separator: " ") : nil
    }

    /// The text after `a=rtcp-fb:`.
    public var sdpValue: String {
        var s = (payloadType.map { String($0) } ?? "*") + " " + type
        if let parameter { s += " " + parameter }
        return s
    }
}

/// `a=extmap:<id>[/<direction>] <uri> [<extension attributes>]` — an RTP header extension
/// (RFC 8285 §8).
public struct ExtensionMap: Hashable, Sendable {
    /// The local identifier (1–14 one-byte, 1–255 two-byte form).
    public var id: UInt16
    /// The optional direction after `/`.
    public var direction: MediaDirection?
    /// The extension URI, e.g. `urn:ietf:params:rtp-hdrext:sdes:mid`.
    public var uri: String
    /// Extension attributes after the URI, verbatim.
    public var extensionAttributes: String?

    /// Creates an extmap.
    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count >= 2 else { throw .fieldCount(field: "extmap", expected: "at least 2", found: f.count) }
        if let (id, dir) = SDPText.splitFirst(f[0], on: UInt8(ascii: "/")) {
            self.id = try SDPText.number(id, field: "extmap id")
            guard let d = MediaDirection(rawValue: dir) else { throw .invalidValue(field: "extmap direction", value: dir) }
            direction = d
        } else {
            id = try SDPText.number(f[0], field: "extmap id")
            direction = nil
        }
        uri = f[1]
        extensionAttributes = f.count > 2 ? f[2...].joined(separator: " ") : nil
    }

    /// The text after `a=extmap:`.
    public var sdpValue: String {
        var s = String(id)
        if let direction { s += "/" + direction.rawValue }
        s += " " + uri
        if let extensionAttributes { s += " " + extensionAttributes }
        return s
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `1866297955 cname:nd19Nx9i`.
public struct SSRCAttribute: Hashable, Sendable {
    /// The synchronization source.
    public var ssrc: UInt32
    /// The source attribute name: `cname`, `msid`, …
    public var attribute: String
    /// The source attribute value, verbatim (may contain spaces, as `msid` values do).
    public var value: String?

    /// Creates an ssrc attribute.
    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        guard let (id, rest) = SDPText.splitFirst(sdpValue, on: SDPText.space) else {
            throw .fieldCount(field: "ssrc", expected: "2", found: 1)
        }
        ssrc = try SDPText.number(id, field: "ssrc")
        if let (a, v) = SDPText.splitFirst(rest, on: UInt8(ascii: ":")) {
            attribute = a
            value = v
        } else {
            attribute = rest
            value = nil
        }
        guard !attribute.isEmpty else { throw .invalidValue(field: "ssrc attribute", value: rest) }
    }

    /// The text after `a=ssrc:`.
    public var sdpValue: String {
        var s = "\(ssrc) \(attribute)"
        if let value { s += ":" + value }
        return s
    }
}

/// `a=ssrc-group:<semantics> *(SP <ssrc-id>)` (RFC 5576 §4.2), e.g. `FID 3884849856 1332526280`.
public struct SSRCGroup: Hashable, Sendable {
    /// The semantics: `FID` (RTX), `FEC`, `SIM`, …
    public var semantics: String
    /// The grouped SSRCs in order.
    public var ssrcs: [UInt32]

    /// Creates an ssrc-group.
    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard let first = f.first else { throw .fieldCount(field: "ssrc-group", expected: "at least 1", found: 0) }
        semantics = first
        var ssrcs: [UInt32] = []
        for s in f.dropFirst() { ssrcs.append(try SDPText.number(s, field: "ssrc-group ssrc")) }
        self.ssrcs = ssrcs
    }

    /// The text after `a=ssrc-group:`.
    public var sdpValue: String { ([semantics] + ssrcs.map { String($0) }).joined(separator: " ") }
}
