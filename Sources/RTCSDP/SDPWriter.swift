import RTCCore

/// SDP text built as UTF-8 bytes and made a `String` once: appending to a `String` piece by
/// piece, with the `String`s that interpolation and `sdpValue` make on the way, was most of
/// the cost of every offer and answer (`createOffer`, `createAnswer` and `localDescription`
/// each serialize one).
struct SDPWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func write(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func byte(_ b: UInt8) {
        bytes.append(b)
    }

    /// An unsigned number in decimal.
    mutating func number<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        var v = UInt64(value)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            } while v != 0
            bytes.append(contentsOf: buffer[i...])
        }
    }

    /// Bytes as upper-case hex pairs separated by `:` (RFC 8122 §5's fingerprint).
    mutating func colonHex(_ digest: [UInt8]) {
        Hex.append(digest, separator: ":", uppercase: true, to: &bytes)
    }

    /// One `type=value` line with its CRLF, the value written by `body`.
    mutating func line(_ type: UInt8, _ body: (inout SDPWriter) -> Void) {
        bytes.append(type)
        bytes.append(UInt8(ascii: "="))
        body(&self)
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    /// One `type=value` line with its CRLF.
    mutating func line(_ type: UInt8, _ value: String) {
        line(type) { $0.write(value) }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension Attribute {
    /// Writes the text after `a=` (the same as ``sdpLine``): the attributes of every data
    /// channel's description without an intermediate `String`, the others through ``value``.
    func write(to w: inout SDPWriter) {
        switch self {
        case .iceUfrag(let s), .icePwd(let s), .mid(let s):
            w.write(name); w.byte(UInt8(ascii: ":")); w.write(s)
        case .setup(let s):
            w.write("setup:" as StaticString); w.write(s.rawValue)
        case .fingerprint(let f):
            w.write("fingerprint:" as StaticString); w.write(f.algorithm); w.byte(0x20); w.colonHex(f.digest)
        case .candidate(let c):
            w.write("candidate:" as StaticString); c.write(to: &w)
        case .sctpPort(let p):
            w.write("sctp-port:" as StaticString); w.number(p)
        case .maxMessageSize(let m):
            w.write("max-message-size:" as StaticString); w.number(m)
        case .group(let g):
            w.write("group:" as StaticString); w.write(g.semantics)
            for mid in g.mids { w.byte(0x20); w.write(mid) }
        case .iceOptions(let options):
            w.write("ice-options:" as StaticString)
            for (i, o) in options.enumerated() {
                if i > 0 { w.byte(0x20) }
                w.write(o)
            }
        default:
            w.write(name)
            if let value {
                w.byte(UInt8(ascii: ":"))
                w.write(value)
            }
        }
    }
}

extension ICECandidateAttribute {
    /// Writes ``sdpValue``.
    func write(to w: inout SDPWriter) {
        w.write(foundation); w.byte(0x20)
        w.number(component); w.byte(0x20)
        w.write(transport); w.byte(0x20)
        w.number(priority); w.byte(0x20)
        w.write(address); w.byte(0x20)
        w.number(port)
        w.write(" typ " as StaticString); w.write(type.token)
        if let relatedAddress { w.write(" raddr " as StaticString); w.write(relatedAddress) }
        if let relatedPort { w.write(" rport " as StaticString); w.number(relatedPort) }
        if let tcpType { w.write(" tcptype " as StaticString); w.write(tcpType.rawValue) }
        if let generation { w.write(" generation " as StaticString); w.number(generation) }
        if let ufrag { w.write(" ufrag " as StaticString); w.write(ufrag) }
        if let networkID { w.write(" network-id " as StaticString); w.number(networkID) }
        if let networkCost { w.write(" network-cost " as StaticString); w.number(networkCost) }
        for e in extensions { w.byte(0x20); w.write(e.name); w.byte(0x20); w.write(e.value) }
    }
}
