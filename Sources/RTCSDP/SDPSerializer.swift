extension SDPDocument {
    /// The description as SDP text (RFC 8866 §5): lines in the order §5 requires, each ending
    /// in CRLF. Parsing the result gives back an equal value.
    public func serialized() -> String {
        var w = SDPWriter(capacity: 512 + media.count * 768)
        w.line(UInt8(ascii: "v")) { $0.number(UInt64(version)) }
        w.line(UInt8(ascii: "o")) { w in
            w.write(origin.username); w.byte(0x20)
            w.number(origin.sessionID); w.byte(0x20)
            w.number(origin.sessionVersion); w.byte(0x20)
            w.write(origin.networkType); w.byte(0x20)
            w.write(origin.addressType); w.byte(0x20)
            w.write(origin.address)
        }
        w.line(UInt8(ascii: "s"), sessionName)
        if let sessionInformation { w.line(UInt8(ascii: "i"), sessionInformation) }
        if let uri { w.line(UInt8(ascii: "u"), uri) }
        for e in emails { w.line(UInt8(ascii: "e"), e) }
        for p in phones { w.line(UInt8(ascii: "p"), p) }
        if let connection { w.line(UInt8(ascii: "c")) { connection.write(to: &$0) } }
        for b in bandwidths { w.line(UInt8(ascii: "b"), b.sdpValue) }
        for t in timing {
            w.line(UInt8(ascii: "t")) { w in
                w.number(t.start); w.byte(0x20); w.number(t.stop)
            }
            for r in t.repeats { w.line(UInt8(ascii: "r"), r) }
        }
        if let timeZones { w.line(UInt8(ascii: "z"), timeZones) }
        if let encryptionKey { w.line(UInt8(ascii: "k"), encryptionKey) }
        for a in attributes { w.line(UInt8(ascii: "a")) { a.write(to: &$0) } }
        for m in media {
            w.line(UInt8(ascii: "m")) { w in
                w.write(m.kind); w.byte(0x20)
                w.number(m.port)
                if let portCount = m.portCount { w.byte(UInt8(ascii: "/")); w.number(portCount) }
                w.byte(0x20); w.write(m.proto)
                for f in m.formats { w.byte(0x20); w.write(f) }
            }
            if let title = m.title { w.line(UInt8(ascii: "i"), title) }
            for c in m.connections { w.line(UInt8(ascii: "c")) { c.write(to: &$0) } }
            for b in m.bandwidths { w.line(UInt8(ascii: "b"), b.sdpValue) }
            if let key = m.encryptionKey { w.line(UInt8(ascii: "k"), key) }
            for a in m.attributes { w.line(UInt8(ascii: "a")) { a.write(to: &$0) } }
        }
        return w.text
    }
}

extension Connection {
    /// The text after `c=`.
    public var sdpValue: String { "\(networkType) \(addressType) \(address)" }

    func write(to w: inout SDPWriter) {
        w.write(networkType); w.byte(0x20); w.write(addressType); w.byte(0x20); w.write(address)
    }
}

extension Bandwidth {
    /// The text after `b=`.
    public var sdpValue: String { "\(type):\(value)" }
}
