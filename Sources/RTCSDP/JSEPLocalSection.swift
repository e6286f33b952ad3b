/// One m-section an offer of ours describes, in m-line order (RFC 8829 §5.2.1): a media
/// transceiver or the data channel section.
public enum JSEPLocalSection: Hashable, Sendable {
    /// An audio or video transceiver.
    case media(JSEPTransceiver)
    /// The data channel section.
    case data(JSEPDataSection)

    /// The section's mid.
    public var mid: String {
        switch self {
        case .media(let t): return t.mid
        case .data(let d): return d.mid
        }
    }
}

/// The data channel m-section's parameters (RFC 8841 §5, §6).
public struct JSEPDataSection: Hashable, Sendable {
    /// The mid.
    public var mid: String
    /// `a=sctp-port` (RFC 8841 §5); 5000 in WebRTC.
    public var sctpPort: UInt16
    /// `a=max-message-size` (RFC 8841 §6).
    public var maxMessageSize: UInt64

    /// Creates data section parameters.
    public init(mid: String, sctpPort: UInt16 = 5000, maxMessageSize: UInt64 = 262_144) {
        self.mid = mid
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
    }

    /// The m-section with `transport`'s ICE and DTLS attributes.
    public func mediaDescription(transport: TransportParameters) -> MediaDescription {
        .dataChannel(mid: mid, transport: transport, sctpPort: sctpPort, maxMessageSize: maxMessageSize)
    }
}
