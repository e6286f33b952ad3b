extension JSEP {
    /// Builds an answer to `offer` (RFC 8829 §5.3.1): one m-section per offered one, in order.
    ///
    /// For an offered audio/video section, the local transceiver with the same mid (or, without
    /// one, ``JSEPAnswerOptions/defaultDirection`` and no sender) gives the wished direction:
    /// - codecs: the offered ones a local codec matches (``JSEPCodec/matches(_:)``), in the
    ///   offer's order with the offerer's payload types, RTX kept when both sides have it,
    ///   feedback the intersection (``intersect(offered:local:)``);
    /// - header extensions: the offered URIs known locally, with the offerer's ids;
    /// - direction: ``MediaDirection/answer(offered:local:)``;
    /// - `a=msid` and SSRCs of the local sender when the answer sends; `rtcp-mux`; `rtcp-rsize`
    ///   when offered; `transport`'s ICE/DTLS attributes (`a=setup:active` or `passive`).
    ///
    /// Sections that cannot be accepted get port 0 with only their mid (see
    /// ``JSEPRejection/Reason``). `a=group:BUNDLE` lists the accepted mids of the offer's first
    /// BUNDLE group; without a BUNDLE group only the first acceptable section is accepted, as this
    /// endpoint uses one transport. The `o=` version is `previousVersion + 1` (1 for the first).
    ///
    /// - Throws: ``JSEPError`` when the offer is inconsistent (see ``JSEPDescription/init(_:)``).
    public static func answer(to offer: SDPDocument, transceivers: [JSEPTransceiver], transport: TransportParameters,
                              capabilities: JSEPCapabilities = .default, options: JSEPAnswerOptions = JSEPAnswerOptions(),
                              sessionID: UInt64, previousVersion: UInt64?) throws(JSEPError) -> JSEPAnswer {
        let offered = try JSEPDescription(offer)
        let bundleGroup = offered.bundleGroups.first.map { Set($0) }
        var media: [MediaDescription] = []
        var rejections: [JSEPRejection] = []
        var bundle: [String] = []
        var dataAccepted = false
        for (index, section) in offered.sections.enumerated() {
            let original = offer.media[index]
            var reason: JSEPRejection.Reason?
            var accepted: MediaDescription?
            if section.isStopped {
                reason = .stoppedByOfferer
            } else if let mid = section.mid, let group = bundleGroup, !group.contains(mid) {
                reason = .notBundled
            } else if bundleGroup == nil, !bundle.isEmpty {
                reason = .notBundled
            } else {
                switch section {
                case .unsupported:
                    reason = .unsupportedMedia
                case .data(let d):
                    if options.acceptsData, !dataAccepted, let mid = d.mid {
                        dataAccepted = true
                        accepted = JSEPDataSection(mid: mid, sctpPort: options.sctpPort, maxMessageSize: options.maxMessageSize)
                            .mediaDescription(transport: transport)
                    } else {
                        reason = .dataNotAccepted
                    }
                case .media(let m):
                    switch answeredSection(m, transceiver: transceivers.first { $0.mid == m.mid }, transport: transport,
                                           capabilities: capabilities, options: options) {
                    case .success(let s): accepted = s.mediaDescription
                    case .failure(let r): reason = r.reason
                    }
                }
            }
            if let accepted, let mid = accepted.mid {
                media.append(accepted)
                bundle.append(mid)
            } else {
                media.append(rejectedSection(kind: original.kind, proto: original.proto, formats: original.formats, mid: original.mid))
                rejections.append(JSEPRejection(mLineIndex: index, mid: original.mid, reason: reason ?? .unsupportedMedia))
            }
        }
        var attributes: [Attribute] = []
        if bundleGroup != nil, !bundle.isEmpty { attributes.append(.group(.bundle(bundle))) }
        if offered.extmapAllowMixed { attributes.append(.extmapAllowMixed) }
        let document = SDPDocument(origin: origin(sessionID: sessionID, previousVersion: previousVersion),
                                   attributes: attributes, media: media)
        return JSEPAnswer(description: document, rejections: rejections)
    }

    /// The offered codecs that a local codec matches (``JSEPCodec/matches(_:)``), in the offer's
    /// order and with the offerer's payload types (RFC 8829 §5.3.1). Each takes the local codec's
    /// format parameters (what this side can receive), the feedback both sides list, and the
    /// offered RTX payload type when the local codec has RTX too (RFC 4588 §8.6).
    public static func intersect(offered: [JSEPCodec], local: [JSEPCodec]) -> [JSEPCodec] {
        offered.compactMap { o in
            guard let l = local.first(where: { $0.matches(o) }) else { return nil }
            return JSEPCodec(payloadType: o.payloadType, name: o.name, clockRate: o.clockRate, channels: o.channels,
                             parameters: l.parameters, feedback: o.feedback.filter { l.feedback.contains($0) },
                             rtxPayloadType: l.rtxPayloadType == nil ? nil : o.rtxPayloadType)
        }
    }

    /// The offered header extensions whose URI is known locally, with the offerer's ids and the
    /// direction seen from this side (RFC 8285 §7).
    public static func intersect(offered: [JSEPHeaderExtension], local: [JSEPHeaderExtension]) -> [JSEPHeaderExtension] {
        offered.filter { o in local.contains { $0.uri == o.uri } }.map {
            JSEPHeaderExtension(id: $0.id, uri: $0.uri, direction: $0.direction?.reversed)
        }
    }

    struct Rejected: Error { var reason: JSEPRejection.Reason }

    static func answeredSection(_ offered: JSEPMediaSection, transceiver: JSEPTransceiver?, transport: TransportParameters,
                                capabilities: JSEPCapabilities, options: JSEPAnswerOptions) -> Result<JSEPMediaSection, Rejected> {
        if let transceiver {
            guard transceiver.kind == offered.kind else { return .failure(Rejected(reason: .kindMismatch)) }
            guard !transceiver.isStopped else { return .failure(Rejected(reason: .stoppedLocally)) }
        }
        guard offered.rtcpMux else { return .failure(Rejected(reason: .rtcpMuxRequired)) }
        let codecs = intersect(offered: offered.codecs, local: transceiver?.codecs ?? capabilities.codecs(for: offered.kind))
        guard !codecs.isEmpty else { return .failure(Rejected(reason: .noCommonCodec)) }
        let extensions = intersect(offered: offered.headerExtensions,
                                   local: transceiver?.headerExtensions ?? capabilities.headerExtensions(for: offered.kind))
        let direction = MediaDirection.answer(offered: offered.direction, local: transceiver?.direction ?? options.defaultDirection)
        var section = JSEPMediaSection(kind: offered.kind, mid: offered.mid, direction: direction, proto: offered.proto,
                                       codecs: codecs, headerExtensions: extensions, rtcpMux: true,
                                       rtcpReducedSize: offered.rtcpReducedSize, otherAttributes: transport.attributes)
        if direction.sends, let sender = transceiver?.sender {
            sender.describe(into: &section, withRTX: codecs.contains { $0.rtxPayloadType != nil })
        }
        if options.acceptsSimulcast, direction.receives, let send = offered.simulcast?.send {
            section.rids = offered.rids.filter { $0.direction == .send }.map {
                RIDAttribute(id: $0.id, direction: .recv, restrictions: $0.restrictions)
            }
            section.simulcast = Simulcast(recv: send)
        }
        return .success(section)
    }
}
