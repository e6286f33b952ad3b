extension SDPDocument {
    /// Parses a session description (RFC 8866 §5). Lines may end in CRLF or LF; blank lines
    /// are ignored. The line order of §5 is enforced: `v=`, `o=`, `s=` first, then the other
    /// session lines with at least one `t=`, then media sections (`m=` followed by `i=`,
    /// `c=`, `b=`, `k=`, `a=`). Unknown line types are rejected (§5); unknown attributes are
    /// kept verbatim.
    ///
    /// - Throws: ``SDPParseError`` naming the 1-based line, its text and the reason.
    public init(parsing text: String) throws(SDPParseError) {
        var lines: [(number: Int, text: String)] = []
        var number = 0
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            var bytes = raw
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            if bytes.isEmpty { continue }
            lines.append((number, String(decoding: bytes, as: UTF8.self)))
        }
        self = try SDPParser(lines: lines, lastLine: max(number, 1)).parse()
    }
}

/// The line-by-line state machine behind ``SDPDocument/init(parsing:)``.
struct SDPParser {
    let lines: [(number: Int, text: String)]
    let lastLine: Int

    init(lines: [(number: Int, text: String)], lastLine: Int) {
        self.lines = lines
        self.lastLine = lastLine
    }

    /// Splits `x=value`; throws `notTypeValue` or `unknownLineType`.
    static func split(_ text: String) throws(SDPParseError.Reason) -> (type: UInt8, value: String) {
        let u = text.utf8
        guard u.count >= 2, u[u.index(after: u.startIndex)] == UInt8(ascii: "=") else { throw .notTypeValue }
        let type = u[u.startIndex]
        guard "vosiuepcbtrzkam".utf8.contains(type) else {
            throw .unknownLineType(String(decoding: [type], as: UTF8.self))
        }
        return (type, String(decoding: u.dropFirst(2), as: UTF8.self))
    }

    func error(_ reason: SDPParseError.Reason, at i: Int) -> SDPParseError {
        if i < lines.count { return SDPParseError(line: lines[i].number, text: lines[i].text, reason: reason) }
        return SDPParseError(line: lastLine, text: "", reason: reason)
    }

    func parse() throws(SDPParseError) -> SDPDocument {
        guard !lines.isEmpty else { throw SDPParseError(line: 1, text: "", reason: .empty) }
        var parsed: [(type: UInt8, value: String)] = []
        parsed.reserveCapacity(lines.count)
        for i in lines.indices {
            do { parsed.append(try SDPParser.split(lines[i].text)) } catch { throw self.error(error, at: i) }
        }
        var i = 0
        func expect(_ type: Character, _ reason: SDPParseError.Reason) throws(SDPParseError) -> String {
            guard i < parsed.count, parsed[i].type == type.asciiValue! else { throw self.error(reason, at: i) }
            defer { i += 1 }
            return parsed[i].value
        }
        do {
            let v = try expect("v", .missingVersion)
            guard v == "0" else { throw error(.unsupportedVersion(v), at: 0) }
            let originText = try expect("o", .missingLine("o="))
            let origin: Origin
            do { origin = try SDPParser.origin(originText) } catch { throw self.error(error, at: i - 1) }
            let name = try expect("s", .missingLine("s="))
            var session = SDPDocument(origin: origin, sessionName: name, timing: [])

            // Session-level lines up to the first m=.
            while i < parsed.count, parsed[i].type != UInt8(ascii: "m") {
                let (type, value) = parsed[i]
                do throws(SDPParseError.Reason) {
                    switch type {
                    case UInt8(ascii: "i") where session.sessionInformation == nil: session.sessionInformation = value
                    case UInt8(ascii: "u") where session.uri == nil: session.uri = value
                    case UInt8(ascii: "e"): session.emails.append(value)
                    case UInt8(ascii: "p"): session.phones.append(value)
                    case UInt8(ascii: "c") where session.connection == nil: session.connection = try SDPParser.connection(value)
                    case UInt8(ascii: "b"): session.bandwidths.append(try SDPParser.bandwidth(value))
                    case UInt8(ascii: "t"): session.timing.append(try SDPParser.timing(value))
                    case UInt8(ascii: "r") where !session.timing.isEmpty: session.timing[session.timing.count - 1].repeats.append(value)
                    case UInt8(ascii: "z") where session.timeZones == nil: session.timeZones = value
                    case UInt8(ascii: "k") where session.encryptionKey == nil: session.encryptionKey = value
                    case UInt8(ascii: "a"): session.attributes.append(try Attribute.parse(value))
                    default: throw SDPParseError.Reason.unexpectedLine(String(decoding: [type], as: UTF8.self))
                    }
                } catch {
                    throw self.error(error, at: i)
                }
                i += 1
            }
            guard !session.timing.isEmpty else { throw error(.missingLine("t="), at: i) }

            // Media sections.
            while i < parsed.count {
                var media: MediaDescription
                do { media = try SDPParser.media(parsed[i].value) } catch { throw self.error(error, at: i) }
                i += 1
                while i < parsed.count, parsed[i].type != UInt8(ascii: "m") {
                    let (type, value) = parsed[i]
                    do throws(SDPParseError.Reason) {
                        switch type {
                        case UInt8(ascii: "i") where media.title == nil: media.title = value
                        case UInt8(ascii: "c"): media.connections.append(try SDPParser.connection(value))
                        case UInt8(ascii: "b"): media.bandwidths.append(try SDPParser.bandwidth(value))
                        case UInt8(ascii: "k") where media.encryptionKey == nil: media.encryptionKey = value
                        case UInt8(ascii: "a"): media.attributes.append(try Attribute.parse(value))
                        default: throw SDPParseError.Reason.unexpectedLine(String(decoding: [type], as: UTF8.self))
                        }
                    } catch {
                        throw self.error(error, at: i)
                    }
                    i += 1
                }
                session.media.append(media)
            }
            return session
        }
    }

    static func origin(_ s: String) throws(SDPParseError.Reason) -> Origin {
        let f = SDPText.fields(s)
        guard f.count == 6 else { throw .fieldCount(field: "o=", expected: "6", found: f.count) }
        return Origin(username: f[0],
                      sessionID: try SDPText.number(f[1], field: "o= sess-id"),
                      sessionVersion: try SDPText.number(f[2], field: "o= sess-version"),
                      networkType: f[3], addressType: f[4], address: f[5])
    }

    static func connection(_ s: String) throws(SDPParseError.Reason) -> Connection {
        let f = SDPText.fields(s)
        guard f.count == 3 else { throw .fieldCount(field: "c=", expected: "3", found: f.count) }
        return Connection(networkType: f[0], addressType: f[1], address: f[2])
    }

    static func bandwidth(_ s: String) throws(SDPParseError.Reason) -> Bandwidth {
        guard let (type, value) = SDPText.splitFirst(s, on: UInt8(ascii: ":")), !type.isEmpty else {
            throw .invalidValue(field: "b=", value: s)
        }
        guard SDPText.fields(type) == [type] else { throw .invalidValue(field: "b= type", value: type) }
        return Bandwidth(type: type, value: try SDPText.number(value, field: "b= bandwidth"))
    }

    static func timing(_ s: String) throws(SDPParseError.Reason) -> Timing {
        let f = SDPText.fields(s)
        guard f.count == 2 else { throw .fieldCount(field: "t=", expected: "2", found: f.count) }
        return Timing(start: try SDPText.number(f[0], field: "t= start"), stop: try SDPText.number(f[1], field: "t= stop"))
    }

    static func media(_ s: String) throws(SDPParseError.Reason) -> MediaDescription {
        let f = SDPText.fields(s)
        guard f.count >= 3 else { throw .fieldCount(field: "m=", expected: "at least 3", found: f.count) }
        let port: UInt16
        let count: UInt16?
        if let (p, n) = SDPText.splitFirst(f[1], on: UInt8(ascii: "/")) {
            port = try SDPText.number(p, field: "m= port")
            count = try SDPText.number(n, field: "m= number of ports")
        } else {
            port = try SDPText.number(f[1], field: "m= port")
            count = nil
        }
        return MediaDescription(kind: f[0], port: port, portCount: count, proto: f[2], formats: Array(f.dropFirst(3)), connections: [])
    }
}
