import RTCCore

/// `a=group:<semantics> *(SP <mid>)` — a group of media sections, e.g. `BUNDLE 0 1 2`
/// (RFC 5888 §5; BUNDLE: RFC 9143 §7.1).
public struct MediaGroup: Hashable, Sendable {
    /// The grouping semantics, e.g. `BUNDLE` or `LS`.
    public var semantics: String
    /// The `a=mid` tags of the grouped media sections, in order.
    public var mids: [String]

    /// Creates a group.
    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    /// A BUNDLE group of `mids` (RFC 9143 §7.1).
    public static func bundle(_ mids: [String]) -> MediaGroup { MediaGroup(semantics: "BUNDLE", mids: mids) }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard let first = f.first else { throw .fieldCount(field: "group", expected: "at least 1", found: 0) }
        self.init(semantics: first, mids: Array(f.dropFirst()))
    }

    /// The text after `a=group:`.
    public var sdpValue: String { ([semantics] + mids).joined(separator: " ") }
}

/// `a=setup:` — which side starts the DTLS handshake (RFC 4145 §4; RFC 8842 §5.1).
public enum SetupRole: String, Hashable, Sendable {
    /// The endpoint initiates the connection (DTLS client).
    case active
    /// The endpoint accepts the connection (DTLS server).
    case passive
    /// Either; offers must use this (RFC 8842 §5.2).
    case actpass
    /// No connection for now.
    case holdconn
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2).
public struct MediaStreamID: Hashable, Sendable {
    /// The MediaStream id (`-` for no stream).
    public var streamID: String
    /// The track id ("appdata"), if present.
    public var trackID: String?

    /// Creates an msid.
    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    init(sdpValue: String) throws(SDPParseError.Reason) {
        let f = SDPText.fields(sdpValue)
        guard f.count == 1 || f.count == 2 else { throw .fieldCount(field: "msid", expected: "1 or 2", found: f.count) }
        self.init(streamID: f[0], trackID: f.count == 2 ? f[1] : nil)
    }

    /// The text after `a=msid:`.
    public var sdpValue: String { trackID.map { streamID + " " + $0 } ?? streamID }
}

/// The media direction attributes (RFC 8866 §6.7; JSEP RFC 8829 §5.2.1).
public enum MediaDirection: String, Hashable, Sendable {
    /// `a=sendrecv` (the default when none is given).
    case sendrecv
    /// `a=sendonly`.
    case sendonly
    /// `a=recvonly`.
    case recvonly
    /// `a=inactive`.
    case inactive
}
