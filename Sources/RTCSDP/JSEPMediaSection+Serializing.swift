extension JSEPMediaSection {
    /// The section as an SDP media description: `m=<kind> <port> <proto>` with every codec's
    /// payload type followed by its RTX one, then ``otherAttributes``, then `a=mid`, `a=extmap`s,
    /// the direction, `a=msid`s, `a=rtcp-mux`, `a=rtcp-rsize`, the codecs' `rtpmap`/`rtcp-fb`/`fmtp`,
    /// `a=rid`s, `a=simulcast`, `a=ssrc-group`s and `a=ssrc`s — the order Chromium writes.
    public var mediaDescription: MediaDescription {
        var attributes = otherAttributes
        if !mid.isEmpty { attributes.append(.mid(mid)) }
        attributes += headerExtensions.map { .extensionMap($0.extensionMap) }
        attributes.append(.direction(direction))
        attributes += msids.map { .msid($0) }
        if rtcpMux { attributes.append(.rtcpMux) }
        if rtcpReducedSize { attributes.append(.rtcpReducedSize) }
        for codec in codecs { attributes += codec.attributes }
        attributes += rids.map { .rid($0) }
        if let simulcast { attributes.append(.simulcast(simulcast)) }
        attributes += ssrcGroups.map { .ssrcGroup($0) }
        for source in sources { attributes += source.attributes }
        return MediaDescription(kind: kind.rawValue, port: port, proto: proto,
                                formats: codecs.flatMap(\.payloadTypes).map { String($0) },
                                connections: connections, bandwidths: bandwidths, attributes: attributes)
    }
}
