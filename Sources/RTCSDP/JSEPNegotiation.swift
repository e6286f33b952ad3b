/// What a completed offer/answer exchange negotiated (RFC 8829 §5.10, §5.11): per accepted
/// audio/video mid the codecs, RTX payload types, extension ids, directions and remote SSRCs;
/// the data mid; the BUNDLE group; and the table that demultiplexes the BUNDLE transport.
public struct JSEPNegotiation: Hashable, Sendable {
    /// The accepted audio/video sections, in m-line order.
    public var media: [JSEPNegotiatedMedia]
    /// The mid of the accepted data channel section, if any.
    public var dataMid: String?
    /// The answer's BUNDLE group (RFC 9143 §7.3).
    public var bundleMids: [String]
    /// The mids the answer rejected or the offer stopped (port 0).
    public var inactiveMids: [String]

    /// Reads an offer and its answer; `localIsOfferer` says which one is ours.
    ///
    /// - Throws: ``JSEPError`` when either is inconsistent, when the answer does not have one
    ///   m-section per offered one with the same mid and kind, or when it uses a payload type
    ///   the offer did not offer in that section (RFC 8829 §5.3.1).
    public init(offer: SDPDocument, answer: SDPDocument, localIsOfferer: Bool) throws(JSEPError) {
        try self.init(offer: try JSEPDescription(offer), answer: try JSEPDescription(answer), localIsOfferer: localIsOfferer)
    }

    /// Reads an offer and its answer already read for JSEP (``JSEPDescription/init(_:)``);
    /// `localIsOfferer` says which one is ours. Throws as ``init(offer:answer:localIsOfferer:)``.
    public init(offer o: JSEPDescription, answer a: JSEPDescription, localIsOfferer: Bool) throws(JSEPError) {
        guard o.sections.count == a.sections.count else {
            throw .mLineCountMismatch(offer: o.sections.count, answer: a.sections.count)
        }
        media = []
        dataMid = nil
        inactiveMids = []
        bundleMids = a.bundleGroups.first ?? []
        for (index, (offered, answered)) in zip(o.sections, a.sections).enumerated() {
            let mid = offered.mid
            switch (offered, answered) {
            case (.media(let om), .media(let am)):
                guard om.mid == am.mid || am.isStopped, om.kind == am.kind else {
                    throw .mLineMismatch(mLineIndex: index, offered: mid, answered: answered.mid)
                }
                if om.isStopped || am.isStopped {
                    if let mid { inactiveMids.append(mid) }
                    continue
                }
                for codec in am.codecs {
                    guard let match = om.codec(payloadType: codec.payloadType) else {
                        throw .answerCodecNotOffered(mid: am.mid, payloadType: codec.payloadType)
                    }
                    if let rtx = codec.rtxPayloadType, rtx != match.rtxPayloadType {
                        throw .answerCodecNotOffered(mid: am.mid, payloadType: rtx)
                    }
                }
                let (local, remote) = localIsOfferer ? (om, am) : (am, om)
                let direction = MediaDirection(sends: local.direction.sends && remote.direction.receives,
                                               receives: local.direction.receives && remote.direction.sends)
                media.append(JSEPNegotiatedMedia(mid: am.mid, kind: am.kind, direction: direction, codecs: am.codecs,
                                                 headerExtensions: am.headerExtensions,
                                                 rtcpReducedSize: om.rtcpReducedSize && am.rtcpReducedSize,
                                                 local: local, remote: remote))
            default:
                let compatible: Bool
                switch (offered, answered) {
                case (.data, .data), (.unsupported, .unsupported): compatible = true
                default: compatible = answered.isStopped
                }
                guard compatible else { throw .mLineMismatch(mLineIndex: index, offered: mid, answered: answered.mid) }
                guard answered.isStopped || answered.mid == mid else {
                    throw .mLineMismatch(mLineIndex: index, offered: mid, answered: answered.mid)
                }
                if case .data = answered, !offered.isStopped, !answered.isStopped {
                    dataMid = answered.mid
                } else if let mid {
                    inactiveMids.append(mid)
                }
            }
        }
    }

    /// The negotiated section with mid `mid`.
    public func media(mid: String) -> JSEPNegotiatedMedia? { media.first { $0.mid == mid } }

    /// The table that routes incoming RTP on the BUNDLE transport to a mid (RFC 8843 §9.2).
    public var demuxTable: BundleDemuxTable { BundleDemuxTable(receiving: media) }
}
