/// Why a session description (or a single attribute such as a trickled candidate) could not be
/// parsed: the 1-based line number, the offending line's text and a typed reason.
///
/// RFC 8866 §5 defines the line grammar the parser enforces.
public struct SDPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based number of the offending line (1 for a standalone attribute or candidate).
    public var line: Int
    /// The text of the offending line, without its line ending.
    public var text: String
    /// What was wrong with it.
    public var reason: Reason

    /// Creates an error for `line` (1-based) holding `text`.
    public init(line: Int, text: String, reason: Reason) {
        self.line = line
        self.text = text
        self.reason = reason
    }

    /// A readable one-line summary: line number, reason and the line itself.
    public var description: String { "SDP line \(line): \(reason) — \"\(text)\"" }

    /// What was wrong with a line (RFC 8866 §5 structure, RFC 8839/8829 attribute grammars).
    public enum Reason: Error, Hashable, Sendable, CustomStringConvertible {
        /// The input holds no lines at all.
        case empty
        /// The line is not of the form `<letter>=<value>` (RFC 8866 §5).
        case notTypeValue
        /// The description does not start with `v=` (RFC 8866 §5.1).
        case missingVersion
        /// `v=` holds something other than `0` (RFC 8866 §5.1).
        case unsupportedVersion(String)
        /// A required line (named, e.g. `"o="`) is missing here (RFC 8866 §5).
        case missingLine(String)
        /// The line type is not defined by RFC 8866 (such descriptions must be rejected, §5).
        case unknownLineType(String)
        /// The line type is valid SDP but not allowed at this position, or is repeated.
        case unexpectedLine(String)
        /// A line or attribute had the wrong number of space-separated fields.
        case fieldCount(field: String, expected: String, found: Int)
        /// A field that must be a decimal number (in range) is not.
        case invalidNumber(field: String, value: String)
        /// A field holds a value outside its grammar (e.g. `a=setup:sideways`).
        case invalidValue(field: String, value: String)
        /// An attribute that needs a value (`a=name:value`) has none.
        case missingValue(attribute: String)
        /// A property attribute (`a=rtcp-mux`) was given a value.
        case unexpectedValue(attribute: String)

        /// A readable explanation.
        public var description: String {
            switch self {
            case .empty: return "empty session description"
            case .notTypeValue: return "line is not <type>=<value>"
            case .missingVersion: return "session description must start with v="
            case .unsupportedVersion(let v): return "unsupported SDP version \(v) (only 0)"
            case .missingLine(let l): return "missing \(l) line"
            case .unknownLineType(let t): return "unknown line type \(t)="
            case .unexpectedLine(let t): return "\(t)= line not allowed here"
            case .fieldCount(let f, let e, let n): return "\(f): expected \(e) fields, found \(n)"
            case .invalidNumber(let f, let v): return "\(f): \"\(v)\" is not a valid number"
            case .invalidValue(let f, let v): return "\(f): invalid value \"\(v)\""
            case .missingValue(let a): return "a=\(a) needs a value"
            case .unexpectedValue(let a): return "a=\(a) takes no value"
            }
        }
    }
}
