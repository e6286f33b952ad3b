extension JSEPMediaSection {
    /// Reads an audio or video m-section (RFC 8829 §5.8). Returns `nil` when `media` is not an
    /// RTP audio/video section. Codecs come in `m=` order with RTX folded into the codec its
    /// `apt` names; `a=rtcp-fb:*` applies to every codec; `a=ssrc` lines are grouped by SSRC.
    ///
    /// A stopped section (port 0 without `a=bundle-only`) is read leniently: no mid is required and payload types without
    /// an `a=rtpmap` are skipped.
    ///
    /// - Throws: ``JSEPError`` for a missing mid, bad or duplicate payload types, an `rtx` without
    ///   a valid `apt`, bad or conflicting extmap ids, or an `FID` group without two SSRCs.
    public init?(_ media: MediaDescription, mLineIndex: Int) throws(JSEPError) {
        guard let kind = JSEPMediaKind(rawValue: media.kind), kind.isRTP, media.proto.split(separator: "/").contains("RTP") else { return nil }
        let stopped = media.port == 0 && !media.attributes.contains(.other(name: "bundle-only", value: nil))
        guard let mid = media.mid ?? (stopped ? "" : nil) else { throw .missingMid(mLineIndex: mLineIndex) }
        self.init(kind: kind, mid: mid, direction: media.direction, port: media.port, proto: media.proto, codecs: [],
                  rtcpMux: false, rtcpReducedSize: false, connections: media.connections, bandwidths: media.bandwidths)
        codecs = try Self.codecs(of: media, mid: mid, lenient: stopped)
        try readAttributes(media.attributes)
    }

    private mutating func readAttributes(_ attributes: [Attribute]) throws(JSEPError) {
        var sourceIndex: [UInt32: Int] = [:]
        for attribute in attributes {
            switch attribute {
            case .mid, .direction, .rtpMap, .formatParameters, .rtcpFeedback: break
            case .extensionMap(let map):
                guard (1...255).contains(map.id), map.id != 15 else { throw .invalidExtensionID(mid: mid, id: map.id) }
                if let existing = headerExtensions.first(where: { $0.id == map.id }) {
                    guard existing.uri == map.uri else { throw .conflictingExtensionID(mid: mid, id: map.id) }
                    continue
                }
                headerExtensions.append(JSEPHeaderExtension(map))
            case .msid(let m): msids.append(m)
            case .rtcpMux: rtcpMux = true
            case .rtcpReducedSize: rtcpReducedSize = true
            case .rid(let r): rids.append(r)
            case .simulcast(let s) where simulcast == nil: simulcast = s
            case .ssrcGroup(let g):
                if g.semantics == "FID", g.ssrcs.count != 2 {
                    throw .invalidSSRCGroup(mid: mid, semantics: g.semantics, count: g.ssrcs.count)
                }
                ssrcGroups.append(g)
            case .ssrc(let s):
                let index: Int
                if let i = sourceIndex[s.ssrc] {
                    index = i
                } else {
                    index = sources.count
                    sourceIndex[s.ssrc] = index
                    sources.append(JSEPSource(ssrc: s.ssrc))
                }
                switch s.attribute {
                case "cname" where sources[index].cname == nil: sources[index].cname = s.value
                case "msid" where sources[index].msid == nil:
                    sources[index].msid = s.value.flatMap { try? MediaStreamID(sdpValue: $0) }
                default: break
                }
            default: otherAttributes.append(attribute)
            }
        }
    }

    /// Builds the codec list of `media`: payload types in `m=` order, RTX bound by `apt`.
    static func codecs(of media: MediaDescription, mid: String, lenient: Bool) throws(JSEPError) -> [JSEPCodec] {
        var payloadTypes: [UInt8] = []
        for format in media.formats {
            guard let pt: UInt8 = SDPText.number(format), pt <= 127 else {
                if lenient { continue }
                throw .invalidPayloadType(mid: mid, format: format)
            }
            guard !payloadTypes.contains(pt) else { throw .duplicatePayloadType(mid: mid, payloadType: pt) }
            payloadTypes.append(pt)
        }
        var maps: [UInt8: RTPMap] = [:]
        for map in media.rtpMaps {
            guard maps.updateValue(map, forKey: map.payloadType) == nil else {
                throw .duplicatePayloadType(mid: mid, payloadType: map.payloadType)
            }
        }
        var fmtps: [UInt8: String] = [:]
        for f in media.formatParameters {
            guard let pt = f.payloadType else { continue }
            guard fmtps.updateValue(f.parameters, forKey: pt) == nil else {
                throw .duplicateFormatParameters(mid: mid, payloadType: pt)
            }
        }
        var codecs: [JSEPCodec] = []
        var rtx: [(pt: UInt8, apt: String?)] = []
        for pt in payloadTypes {
            guard let map = maps[pt] ?? staticMap(pt) else {
                if lenient { continue }
                throw .missingRTPMap(mid: mid, payloadType: pt)
            }
            if map.encodingName.lowercased() == "rtx" {
                rtx.append((pt, fmtps[pt].flatMap { FormatParameters(payloadType: pt, parameters: $0).value(for: "apt") }))
                continue
            }
            let feedback = media.rtcpFeedback(payloadType: pt).map { JSEPFeedback(type: $0.type, parameter: $0.parameter) }
            codecs.append(JSEPCodec(payloadType: pt, name: map.encodingName, clockRate: map.clockRate, channels: map.channels,
                                    parameters: fmtps[pt] ?? "", feedback: feedback))
        }
        for (pt, apt) in rtx {
            guard let apt, let target: UInt8 = SDPText.number(apt),
                  let index = codecs.firstIndex(where: { $0.payloadType == target }) else {
                if lenient { continue }
                throw .invalidRTXAssociation(mid: mid, payloadType: pt, apt: apt)
            }
            // A second RTX for the same codec adds nothing a sender can use; the first wins.
            if codecs[index].rtxPayloadType == nil { codecs[index].rtxPayloadType = pt }
        }
        return codecs
    }

    /// The static payload types of RFC 3551 §6 that WebRTC peers list without an `a=rtpmap`.
    static func staticMap(_ pt: UInt8) -> RTPMap? {
        switch pt {
        case 0: return RTPMap(payloadType: 0, encodingName: "PCMU", clockRate: 8000)
        case 3: return RTPMap(payloadType: 3, encodingName: "GSM", clockRate: 8000)
        case 8: return RTPMap(payloadType: 8, encodingName: "PCMA", clockRate: 8000)
        case 9: return RTPMap(payloadType: 9, encodingName: "G722", clockRate: 8000)
        case 13: return RTPMap(payloadType: 13, encodingName: "CN", clockRate: 8000)
        case 18: return RTPMap(payloadType: 18, encodingName: "G729", clockRate: 8000)
        default: return nil
        }
    }
}
