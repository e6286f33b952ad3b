extension MediaDirection {
    /// Creates the direction that sends and/or receives as given (RFC 8866 §6.7).
    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// Whether the side that wrote this direction sends media (`sendrecv` or `sendonly`).
    public var sends: Bool { self == .sendrecv || self == .sendonly }

    /// Whether the side that wrote this direction receives media (`sendrecv` or `recvonly`).
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The same direction seen from the other side: `sendonly` ↔ `recvonly`.
    public var reversed: MediaDirection { MediaDirection(sends: receives, receives: sends) }

    /// The direction an answer writes for an m-section offered with `offered`, when the answerer
    /// would like `local` (RFC 8829 §5.3.1, RFC 3264 §6.1): the answerer sends only if it wants
    /// to and the offerer receives, and receives only if it wants to and the offerer sends.
    public static func answer(offered: MediaDirection, local: MediaDirection) -> MediaDirection {
        MediaDirection(sends: local.sends && offered.receives, receives: local.receives && offered.sends)
    }
}
