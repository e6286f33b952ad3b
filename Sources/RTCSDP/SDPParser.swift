extension SDPDocument {
    /// Parses a session description (RFC 8866 §5). Lines may end in CRLF or LF; blank lines
    /// are ignored. The line order of §5 is enforced: `v=`, `o=`, `s=` first, then the other
    /// session lines with at least one `t=`, then media sections (`m=` followed by `i=`,
    /// `c=`, `b=`, `k=`, `a=`). Unknown line types are rejected (§5); unknown attributes are
    /// kept verbatim.
    ///
    /// - Throws: ``SDPParseError`` naming the 1-based line, its text and the reason.
    public init(parsing text: String) throws(SDPParseError) {
        self = try SDPParser(text).parse()
    }
}

/// The line-by-line state machine behind ``SDPDocument/init(parsing:)``.
struct SDPParser {
    /// One non-empty line: its 1-based number, where it lies in the text (bytes, without its
    /// line ending), and its type and value once split.
    struct Line {
        let number: Int
        let range: Range<Int>
        let type: UInt8
        let value: String
    }

    private let text: String
    private let lines: [Line]
    private let lastLine: Int
    /// The first line that is not `x=value` with a known type, if any (reported by `parse`).
    private let malformed: (index: Int, reason: SDPParseError.Reason)?

    /// Splits `text` into lines (CRLF or LF; blank lines skipped) and each line into its type
    /// and value, in one pass over the contiguous UTF-8.
    init(_ text: String) {
        var text = text
        var lines: [Line] = []
        var malformed: (index: Int, reason: SDPParseError.Reason)?
        var number = 0
        text.withUTF8 { bytes in
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
                number += 1
                var end = i
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                defer { start = i + 1 }
                guard end > start else { continue }
                let type = bytes[start]
                var value = ""
                if malformed == nil {
                    if end - start < 2 || bytes[start + 1] != UInt8(ascii: "=") {
                        malformed = (lines.count, .notTypeValue)
                    } else if !SDPParser.lineTypes.contains(type) {
                        malformed = (lines.count, .unknownLineType(String(decoding: [type], as: UTF8.self)))
                    } else {
                        value = String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 2)..<end]), as: UTF8.self)
                    }
                }
                lines.append(Line(number: number, range: start..<end, type: type, value: value))
            }
        }
        self.text = text
        self.lines = lines
        self.lastLine = max(number, 1)
        self.malformed = malformed
    }

    /// The line types of RFC 8866 §5.
    static let lineTypes: [UInt8] = Array("vosiuepcbtrzkam".utf8)

    func error(_ reason: SDPParseError.Reason, at i: Int) -> SDPParseError {
        if i < lines.count {
            let lineText = String(decoding: Array(text.utf8)[lines[i].range], as: UTF8.self)
            return SDPParseError(line: lines[i].number, text: lineText, reason: reason)
        }
        return SDPParseError(line: lastLine, text: "", reason: reason)
    }

    func parse() throws(SDPParseError) -> SDPDocument {
        guard !lines.isEmpty else { throw SDPParseError(line: 1, text: "", reason: .empty) }
        if let malformed { throw error(malformed.reason, at: malformed.index) }
        var i = 0
        func expect(_ type: Character, _ reason: SDPParseError.Reason) throws(SDPParseError) -> String {
            guard i < lines.count, lines[i].type == type.asciiValue! else { throw self.error(reason, at: i) }
            defer { i += 1 }
            return lines[i].value
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
            while i < lines.count, lines[i].type != UInt8(ascii: "m") {
                let type = lines[i].type, value = lines[i].value
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
            while i < lines.count {
                var media: MediaDescription
                do { media = try SDPParser.media(lines[i].value) } catch { throw self.error(error, at: i) }
                i += 1
                while i < lines.count, lines[i].type != UInt8(ascii: "m") {
                    let type = lines[i].type, value = lines[i].value
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
