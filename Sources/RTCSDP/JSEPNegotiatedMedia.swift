/// What one accepted audio/video m-section negotiated, seen from the local side: what a session
/// needs to set up its send and receive streams (RFC 8829 §5.10, §5.11).
public struct JSEPNegotiatedMedia: Hashable, Sendable {
    /// The mid.
    public var mid: String
    /// `audio` or `video`.
    public var kind: JSEPMediaKind
    /// The local direction: `sends` when this side may send, `receives` when it may receive.
    public var direction: MediaDirection
    /// The codecs of the answer, in its order: the offerer's payload types, each with its RTX
    /// payload type, parameters and feedback. The first is what a sender uses.
    public var codecs: [JSEPCodec]
    /// The header extensions of the answer, with the offerer's ids.
    public var headerExtensions: [JSEPHeaderExtension]
    /// Whether both sides agreed to reduced-size RTCP (RFC 5506 §5).
    public var rtcpReducedSize: Bool
    /// The local m-section as written.
    public var local: JSEPMediaSection
    /// The remote m-section as written: its SSRCs, `FID` pairs, msids, rids and simulcast.
    public var remote: JSEPMediaSection

    /// Creates a negotiated media record.
    public init(mid: String, kind: JSEPMediaKind, direction: MediaDirection, codecs: [JSEPCodec],
                headerExtensions: [JSEPHeaderExtension], rtcpReducedSize: Bool, local: JSEPMediaSection, remote: JSEPMediaSection) {
        self.mid = mid
        self.kind = kind
        self.direction = direction
        self.codecs = codecs
        self.headerExtensions = headerExtensions
        self.rtcpReducedSize = rtcpReducedSize
        self.local = local
        self.remote = remote
    }

    /// The codec with (primary) payload type `payloadType`.
    public func codec(payloadType: UInt8) -> JSEPCodec? { codecs.first { $0.payloadType == payloadType } }

    /// The id negotiated for header extension `uri` (RFC 8285 §8).
    public func extensionID(_ uri: String) -> UInt16? { headerExtensions.first { $0.uri == uri }?.id }

    /// The remote media SSRCs (not RTX) the remote side declared (RFC 5576 §4.1).
    public var remoteSSRCs: [UInt32] { remote.mediaSSRCs }

    /// The remote RTX SSRC paired with media SSRC `ssrc` by `a=ssrc-group:FID` (RFC 4588 §8.7).
    public func remoteRTXSSRC(for ssrc: UInt32) -> UInt32? { remote.rtxPairs.first { $0.media == ssrc }?.rtx }

    /// The rids the remote side sends (`a=rid:<id> send`, RFC 8851 §4), when simulcast was
    /// negotiated (the local side answered or offered `recv` for them).
    public var remoteRIDs: [String] {
        let localRecv = Set(local.rids.filter { $0.direction == .recv }.map(\.id))
        return remote.rids.filter { $0.direction == .send && localRecv.contains($0.id) }.map(\.id)
    }

    /// The local media SSRC and its RTX SSRC (from the `FID` group), if this side sends.
    public var localSSRCs: (media: UInt32, rtx: UInt32?)? {
        guard direction.sends, let media = local.mediaSSRCs.first else { return nil }
        return (media, local.rtxPairs.first { $0.media == media }?.rtx)
    }
}
