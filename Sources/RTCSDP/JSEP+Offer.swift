extension JSEP {
    /// Builds an offer (RFC 8829 §5.2.1 initial, §5.2.2 subsequent) with one m-section per entry
    /// of `sections`, in that order:
    /// - a live transceiver: its (or the capabilities') codecs with RTX, header extensions,
    ///   direction, `a=msid` and SSRCs with an `FID` group when it sends, `rtcp-mux`, `rtcp-rsize`
    ///   and `transport`'s ICE/DTLS attributes (use `a=setup:actpass`);
    /// - a stopped transceiver: port 0, its mid, `a=inactive` and its codecs' rtpmaps, outside
    ///   the BUNDLE group;
    /// - the data section.
    ///
    /// One `a=group:BUNDLE` lists every section in use (max-bundle, RFC 8843 §7.2). The `o=`
    /// version is `previousVersion + 1` (1 for the first description).
    ///
    /// - Throws: ``JSEPError/duplicateMid(_:)`` for a repeated or empty mid,
    ///   ``JSEPError/invalidTransceiver(mid:)`` for an `application` transceiver.
    public static func offer(sections: [JSEPLocalSection], transport: TransportParameters,
                             capabilities: JSEPCapabilities = .default, sessionID: UInt64,
                             previousVersion: UInt64?) throws(JSEPError) -> SDPDocument {
        var seen: Set<String> = []
        var media: [MediaDescription] = []
        var bundle: [String] = []
        for section in sections {
            guard !section.mid.isEmpty, seen.insert(section.mid).inserted else { throw .duplicateMid(section.mid) }
            switch section {
            case .data(let data):
                media.append(data.mediaDescription(transport: transport))
                bundle.append(data.mid)
            case .media(let transceiver):
                guard transceiver.kind.isRTP else { throw .invalidTransceiver(mid: transceiver.mid) }
                let section = offeredSection(transceiver, transport: transport, capabilities: capabilities)
                media.append(section.mediaDescription)
                if !section.isStopped { bundle.append(transceiver.mid) }
            }
        }
        var attributes: [Attribute] = []
        if !bundle.isEmpty { attributes.append(.group(.bundle(bundle))) }
        return SDPDocument(origin: origin(sessionID: sessionID, previousVersion: previousVersion),
                           attributes: attributes, media: media)
    }

    /// Builds an offer with the transceivers and the data section ordered by mid (numeric mids
    /// ascending), as our endpoint allocates mids; see ``offer(sections:transport:capabilities:sessionID:previousVersion:)``.
    public static func offer(transceivers: [JSEPTransceiver], data: JSEPDataSection?, transport: TransportParameters,
                             capabilities: JSEPCapabilities = .default, sessionID: UInt64,
                             previousVersion: UInt64?) throws(JSEPError) -> SDPDocument {
        var sections = transceivers.map { JSEPLocalSection.media($0) }
        if let data { sections.append(.data(data)) }
        let indexed = sections.enumerated().sorted { a, b in
            midOrder(a.element.mid, b.element.mid) || (!midOrder(b.element.mid, a.element.mid) && a.offset < b.offset)
        }
        return try offer(sections: indexed.map(\.element), transport: transport, capabilities: capabilities,
                         sessionID: sessionID, previousVersion: previousVersion)
    }

    /// The typed m-section an offer writes for `transceiver`.
    static func offeredSection(_ transceiver: JSEPTransceiver, transport: TransportParameters,
                               capabilities: JSEPCapabilities) -> JSEPMediaSection {
        let codecs = transceiver.codecs ?? capabilities.codecs(for: transceiver.kind)
        if transceiver.isStopped {
            return JSEPMediaSection(kind: transceiver.kind, mid: transceiver.mid, direction: .inactive, port: 0,
                                    codecs: codecs.map { JSEPCodec(payloadType: $0.payloadType, name: $0.name,
                                                                   clockRate: $0.clockRate, channels: $0.channels) },
                                    rtcpMux: false, rtcpReducedSize: false)
        }
        var section = JSEPMediaSection(
            kind: transceiver.kind, mid: transceiver.mid, direction: transceiver.direction, codecs: codecs,
            headerExtensions: transceiver.headerExtensions ?? capabilities.headerExtensions(for: transceiver.kind),
            otherAttributes: transport.attributes)
        if transceiver.direction.sends, let sender = transceiver.sender {
            sender.describe(into: &section, withRTX: codecs.contains { $0.rtxPayloadType != nil })
        }
        return section
    }
}
