/// An RTP header extension negotiated with `a=extmap` (RFC 8285 §8): the local identifier the
/// packets carry, the extension URI and an optional direction.
public struct JSEPHeaderExtension: Hashable, Sendable {
    /// The identifier in packets: 1–14 in the one-byte form, up to 255 in the two-byte form
    /// (RFC 8285 §4.2, §4.3).
    public var id: UInt16
    /// The extension URI, e.g. ``JSEPHeaderExtension/midURI``.
    public var uri: String
    /// The direction written after the id (`a=extmap:3/sendonly …`); `nil` for the default,
    /// which is the m-section's direction (RFC 8285 §8).
    public var direction: MediaDirection?

    /// Creates a header extension mapping.
    public init(id: UInt16, uri: String, direction: MediaDirection? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
    }

    /// Reads an `a=extmap` attribute value (extension attributes after the URI are dropped).
    public init(_ map: ExtensionMap) {
        self.init(id: map.id, uri: map.uri, direction: map.direction)
    }

    /// The `a=extmap` attribute value.
    public var extensionMap: ExtensionMap { ExtensionMap(id: id, direction: direction, uri: uri) }

    /// Media identification, the BUNDLE `mid` (RFC 9143 §15).
    public static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RTP stream identifier, the simulcast `rid` (RFC 8852 §3.1).
    public static let ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    /// Repaired RTP stream identifier, the `rid` an RTX stream repairs (RFC 8852 §3.2).
    public static let repairedRIDURI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    /// Absolute send time (webrtc.org abs-send-time).
    public static let absoluteSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Transport-wide sequence number, what Chromium and aiortc offer
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    public static let transportWideCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// Transport-wide sequence number with feedback requests (webrtc.org transport-wide-cc-02).
    public static let transportWideCC02URI = "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02"
    /// Client-to-mixer audio level (RFC 6464 §4).
    public static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
}
