/// One synchronization source an m-section declares with `a=ssrc` lines (RFC 5576 §4.1):
/// the SSRC with its `cname` and, from browsers, its `msid` (RFC 8830 §2).
public struct JSEPSource: Hashable, Sendable {
    /// The SSRC.
    public var ssrc: UInt32
    /// `a=ssrc:<ssrc> cname:` — the RTCP canonical name (RFC 7022).
    public var cname: String?
    /// `a=ssrc:<ssrc> msid:` — the stream and track this source belongs to.
    public var msid: MediaStreamID?

    /// Creates a source.
    public init(ssrc: UInt32, cname: String? = nil, msid: MediaStreamID? = nil) {
        self.ssrc = ssrc
        self.cname = cname
        self.msid = msid
    }

    /// The `a=ssrc` attributes for this source: `cname`, then `msid`.
    public var attributes: [Attribute] {
        var out: [Attribute] = []
        if let cname { out.append(.ssrc(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: cname))) }
        if let msid { out.append(.ssrc(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: msid.sdpValue))) }
        return out
    }
}
