/// Why SDP text could not be read as a JSEP description: its syntax (RFC 8866) or its content
/// (RFC 8829 and the RFCs it builds on).
public enum JSEPDescriptionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is not valid SDP.
    case syntax(SDPParseError)
    /// The SDP is valid but not a consistent JSEP description.
    case content(JSEPError)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .syntax(let e): return e.description
        case .content(let e): return e.description
        }
    }
}
