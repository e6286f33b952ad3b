/// A typed RTP (audio or video) m-section (RFC 8829 §5.2.1, §5.8): what JSEP negotiates —
/// mid, direction, codecs with their RTX, header extensions, msid, SSRCs, rid/simulcast,
/// rtcp-mux and rtcp-rsize — plus everything else of the section kept as it was, so
/// ``init(_:mLineIndex:)`` followed by ``mediaDescription`` loses nothing JSEP cares about.
///
/// A section with port 0 is stopped (sender side) or rejected (answer side) (RFC 8829 §5.2.2,
/// §5.3.1).
public struct JSEPMediaSection: Hashable, Sendable {
    /// `audio` or `video`.
    public var kind: JSEPMediaKind
    /// `a=mid` (RFC 5888 §4); may be empty only for a stopped section that had none.
    public var mid: String
    /// The direction attribute; `sendrecv` when none was written (RFC 8866 §6.7).
    public var direction: MediaDirection
    /// The `m=` port: 9 before candidates are known, 0 for a stopped or rejected section.
    public var port: UInt16
    /// The transport protocol, `UDP/TLS/RTP/SAVPF` for WebRTC (RFC 8829 §5.1.2).
    public var proto: String
    /// The codecs in `m=` preference order; RTX payload types are folded into
    /// ``JSEPCodec/rtxPayloadType`` of the codec their `apt` names.
    public var codecs: [JSEPCodec]
    /// `a=extmap` lines (RFC 8285 §8).
    public var headerExtensions: [JSEPHeaderExtension]
    /// `a=msid` lines: the streams the sender's track belongs to (RFC 8830 §2).
    public var msids: [MediaStreamID]
    /// `a=ssrc` lines grouped by SSRC, in order of first appearance (RFC 5576 §4.1).
    public var sources: [JSEPSource]
    /// `a=ssrc-group` lines, e.g. `FID <media> <rtx>` (RFC 5576 §4.2, RFC 4588 §8.7).
    public var ssrcGroups: [SSRCGroup]
    /// `a=rid` lines (RFC 8851 §4), kept for simulcast.
    public var rids: [RIDAttribute]
    /// `a=simulcast` (RFC 8853 §5.1).
    public var simulcast: Simulcast?
    /// `a=rtcp-mux` (RFC 5761 §5.1.1); JSEP requires it (RFC 8829 §5.1.3).
    public var rtcpMux: Bool
    /// `a=rtcp-rsize` (RFC 5506 §5).
    public var rtcpReducedSize: Bool
    /// The section's `c=` lines.
    public var connections: [Connection]
    /// The section's `b=` lines.
    public var bandwidths: [Bandwidth]
    /// Every attribute not modelled above (ICE, DTLS, candidates, `a=rtcp`, unknown ones), in
    /// order; written before the modelled ones.
    public var otherAttributes: [Attribute]

    /// Creates a section; the defaults are what an offer of ours writes (RFC 8829 §5.2.1).
    public init(kind: JSEPMediaKind, mid: String, direction: MediaDirection = .sendrecv, port: UInt16 = 9,
                proto: String = "UDP/TLS/RTP/SAVPF", codecs: [JSEPCodec], headerExtensions: [JSEPHeaderExtension] = [],
                msids: [MediaStreamID] = [], sources: [JSEPSource] = [], ssrcGroups: [SSRCGroup] = [],
                rids: [RIDAttribute] = [], simulcast: Simulcast? = nil, rtcpMux: Bool = true, rtcpReducedSize: Bool = true,
                connections: [Connection] = [Connection()], bandwidths: [Bandwidth] = [], otherAttributes: [Attribute] = []) {
        self.kind = kind
        self.mid = mid
        self.direction = direction
        self.port = port
        self.proto = proto
        self.codecs = codecs
        self.headerExtensions = headerExtensions
        self.msids = msids
        self.sources = sources
        self.ssrcGroups = ssrcGroups
        self.rids = rids
        self.simulcast = simulcast
        self.rtcpMux = rtcpMux
        self.rtcpReducedSize = rtcpReducedSize
        self.connections = connections
        self.bandwidths = bandwidths
        self.otherAttributes = otherAttributes
    }

    /// Whether the section is stopped or rejected: port 0 without `a=bundle-only`
    /// (RFC 8829 §5.2.2, §5.3.1; RFC 8843 §6).
    public var isStopped: Bool { port == 0 && !isBundleOnly }

    /// Whether `a=bundle-only` is present: port 0 then means "only usable inside the BUNDLE
    /// group", not stopped (RFC 8843 §6).
    public var isBundleOnly: Bool { otherAttributes.contains(.other(name: "bundle-only", value: nil)) }

    /// The codec with payload type `payloadType` (not its RTX).
    public func codec(payloadType: UInt8) -> JSEPCodec? { codecs.first { $0.payloadType == payloadType } }

    /// The codec whose RTX payload type is `payloadType` (RFC 4588 §8.6).
    public func codec(rtxPayloadType payloadType: UInt8) -> JSEPCodec? { codecs.first { $0.rtxPayloadType == payloadType } }

    /// The id of the header extension `uri`, if negotiated (RFC 8285 §8).
    public func extensionID(_ uri: String) -> UInt16? { headerExtensions.first { $0.uri == uri }?.id }

    /// The `FID` groups as (media SSRC, RTX SSRC) pairs (RFC 4588 §8.7).
    public var rtxPairs: [(media: UInt32, rtx: UInt32)] {
        ssrcGroups.filter { $0.semantics == "FID" && $0.ssrcs.count == 2 }.map { ($0.ssrcs[0], $0.ssrcs[1]) }
    }

    /// The SSRCs that carry media: every declared source that is not the RTX half of an `FID` group.
    public var mediaSSRCs: [UInt32] {
        let rtx = Set(rtxPairs.map(\.rtx))
        return sources.map(\.ssrc).filter { !rtx.contains($0) }
    }
}
