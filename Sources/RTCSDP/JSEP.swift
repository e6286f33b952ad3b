/// Pure JSEP functions (RFC 8829): build offers (§5.2) and answers (§5.3) with audio, video and
/// data m-sections in one BUNDLE group (RFC 8843, max-bundle), and read what an offer/answer
/// exchange negotiated (``JSEPNegotiation``). No state: a session keeps its transceivers and
/// the last `o=` version and passes them in.
public enum JSEP {
    /// The `o=` line of a new local description: version 1 for the first, the previous one plus
    /// one after that (RFC 8829 §5.2.2, §5.3.2; RFC 8866 §5.2).
    public static func origin(sessionID: UInt64, previousVersion: UInt64?) -> Origin {
        let version = previousVersion.map { $0 == .max ? $0 : $0 + 1 } ?? 1
        return Origin(sessionID: sessionID, sessionVersion: version, address: "127.0.0.1")
    }

    /// Orders mids as our endpoint allocates them: numeric mids ascending, then the others in
    /// their given order.
    static func midOrder(_ a: String, _ b: String) -> Bool {
        switch (SDPText.number(a, as: UInt64.self), SDPText.number(b, as: UInt64.self)) {
        case (let x?, let y?): return x < y
        case (.some, nil): return true
        default: return false
        }
    }

    /// A port-0 m-section that keeps `kind`, `proto`, `formats` and the mid, and nothing else
    /// (RFC 8829 §5.2.2 stopped, §5.3.1 rejected).
    static func rejectedSection(kind: String, proto: String, formats: [String], mid: String?) -> MediaDescription {
        var m = MediaDescription(kind: kind, port: 0, proto: proto, formats: formats.isEmpty ? ["0"] : formats)
        if let mid { m.attributes.append(.mid(mid)) }
        return m
    }
}
