/// One RTCP feedback mechanism negotiated for a codec: the type and optional parameter of an
/// `a=rtcp-fb` line without its payload type (RFC 4585 §4.2), e.g. `nack pli`.
public struct JSEPFeedback: Hashable, Sendable {
    /// The feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`, …
    public var type: String
    /// The parameter after the type, e.g. `pli` or `fir`; `nil` when there is none.
    public var parameter: String?

    /// Creates a feedback mechanism.
    public init(type: String, parameter: String? = nil) {
        self.type = type
        self.parameter = parameter
    }

    /// Generic NACK, `nack` (RFC 4585 §4.2).
    public static let nack = JSEPFeedback(type: "nack")
    /// Picture loss indication, `nack pli` (RFC 4585 §4.2).
    public static let pli = JSEPFeedback(type: "nack", parameter: "pli")
    /// Full intra request, `ccm fir` (RFC 5104 §7.1).
    public static let fir = JSEPFeedback(type: "ccm", parameter: "fir")
    /// Receiver estimated maximum bitrate, `goog-remb` (draft-alvestrand-rmcat-remb).
    public static let remb = JSEPFeedback(type: "goog-remb")
    /// Transport-wide congestion control feedback, `transport-cc`
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §4).
    public static let transportCC = JSEPFeedback(type: "transport-cc")

    /// The `a=rtcp-fb` attribute for payload type `payloadType`.
    public func attribute(payloadType: UInt8) -> RTCPFeedback {
        RTCPFeedback(payloadType: payloadType, type: type, parameter: parameter)
    }
}
