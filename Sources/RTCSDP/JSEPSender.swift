/// The sending half of a transceiver as SDP shows it: `a=msid` (RFC 8830 §2) and the SSRCs with
/// their `cname` and the `FID` group of the RTX SSRC (RFC 5576, RFC 4588 §8.7).
public struct JSEPSender: Hashable, Sendable {
    /// The track id (the msid "appdata").
    public var trackID: String
    /// The MediaStream ids; empty writes `a=msid:- <track>` (RFC 8830 §2).
    public var streamIDs: [String]
    /// The media SSRC.
    public var ssrc: UInt32
    /// The RTX SSRC, written in `a=ssrc-group:FID` when a codec has RTX.
    public var rtxSSRC: UInt32?
    /// The RTCP CNAME (RFC 7022).
    public var cname: String

    /// Creates a sender description.
    public init(trackID: String, streamIDs: [String] = [], ssrc: UInt32, rtxSSRC: UInt32? = nil, cname: String) {
        self.trackID = trackID
        self.streamIDs = streamIDs
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
    }

    /// The `a=msid` values: one per stream, or `- <track>` without streams.
    public var msids: [MediaStreamID] {
        streamIDs.isEmpty ? [MediaStreamID(streamID: "-", trackID: trackID)]
            : streamIDs.map { MediaStreamID(streamID: $0, trackID: trackID) }
    }

    /// Writes this sender into `section`: msids, sources and, when `withRTX`, the FID group.
    func describe(into section: inout JSEPMediaSection, withRTX: Bool) {
        section.msids = msids
        let msid = msids.first
        section.sources = [JSEPSource(ssrc: ssrc, cname: cname, msid: msid)]
        if withRTX, let rtxSSRC {
            section.ssrcGroups = [SSRCGroup(semantics: "FID", ssrcs: [ssrc, rtxSSRC])]
            section.sources.append(JSEPSource(ssrc: rtxSSRC, cname: cname, msid: msid))
        }
    }
}
