extension SDPDocument {
    /// The description as SDP text (RFC 8866 §5): lines in the order §5 requires, each ending
    /// in CRLF. Parsing the result gives back an equal value.
    public func serialized() -> String {
        var out = ""
        out.reserveCapacity(1024 + media.count * 1024)
        func line(_ type: String, _ value: String) {
            out += type
            out += "="
            out += value
            out += "\r\n"
        }
        line("v", String(version))
        line("o", "\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)")
        line("s", sessionName)
        if let sessionInformation { line("i", sessionInformation) }
        if let uri { line("u", uri) }
        for e in emails { line("e", e) }
        for p in phones { line("p", p) }
        if let connection { line("c", connection.sdpValue) }
        for b in bandwidths { line("b", b.sdpValue) }
        for t in timing {
            line("t", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r", r) }
        }
        if let timeZones { line("z", timeZones) }
        if let encryptionKey { line("k", encryptionKey) }
        for a in attributes { line("a", a.sdpLine) }
        for m in media {
            var mline = m.kind + " " + String(m.port)
            if let portCount = m.portCount { mline += "/" + String(portCount) }
            mline += " " + m.proto
            for f in m.formats { mline += " " + f }
            line("m", mline)
            if let title = m.title { line("i", title) }
            for c in m.connections { line("c", c.sdpValue) }
            for b in m.bandwidths { line("b", b.sdpValue) }
            if let key = m.encryptionKey { line("k", key) }
            for a in m.attributes { line("a", a.sdpLine) }
        }
        return out
    }
}

extension Connection {
    /// The text after `c=`.
    public var sdpValue: String { "\(networkType) \(addressType) \(address)" }
}

extension Bandwidth {
    /// The text after `b=`.
    public var sdpValue: String { "\(type):\(value)" }
}
