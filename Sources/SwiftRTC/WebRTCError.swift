/// Errors of the SwiftRTC client API. Each says what went wrong and what to do.
public enum WebRTCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The peer connection was closed; create a new one.
    case closed
    /// The data channel is closing or closed; messages can no longer be sent on it.
    case dataChannelClosed(label: String)
    /// The data channel failed (for example the peer sent a message above max-message-size).
    case dataChannelFailed(label: String, reason: String)
    /// `receiveText()`/`receiveBinary()` got the other kind of message.
    case unexpectedMessageType(expected: String, label: String)
    /// No network interface could be bound for ICE (check `includeLoopbackCandidates`/`includeIPv6`).
    case noUsableNetworkInterface
    /// An ICE server URL could not be used.
    case invalidICEServer(url: String, reason: String)
    /// A setting this version accepts in its type but cannot honour yet: refused rather than
    /// silently ignored (no ICE server setting throws it any more).
    case notSupportedYet(String)
    /// A track that cannot be used where it was given (wrong kind, other codec than negotiated).
    case invalidTrack(String)
    /// A media file that cannot be a track's source: `path` and what is wrong with it.
    case invalidMediaFile(path: String, reason: String)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .closed: return "the peer connection is closed; create a new one"
        case .dataChannelClosed(let label): return "data channel \"\(label)\" is closed"
        case .dataChannelFailed(let label, let reason): return "data channel \"\(label)\" failed: \(reason)"
        case .unexpectedMessageType(let expected, let label): return "data channel \"\(label)\": expected a \(expected) message"
        case .noUsableNetworkInterface: return "no network interface could be bound for ICE; enable includeLoopbackCandidates or check the host's addresses"
        case .invalidICEServer(let url, let reason): return "ICE server \(url) is not usable: \(reason)"
        case .notSupportedYet(let what): return "not supported yet: \(what)"
        case .invalidTrack(let reason): return "invalid track: \(reason)"
        case .invalidMediaFile(let path, let reason): return "\(path) cannot be a track's source: \(reason)"
        }
    }
}
