/// Routes RTP packets arriving on a BUNDLE transport to the m-section they belong to
/// (RFC 8843 §9.2): by the `sdes:mid` header extension, else by SSRC, else by a payload type
/// that only one m-section uses — then checks the payload type is negotiated there and says
/// whether it is RTX and of which codec (RFC 4588 §8.6).
///
/// A pure value: ``route(mid:ssrc:payloadType:)`` learns the SSRC → mid binding when a packet
/// carries a mid or is matched by payload type, as RFC 8843 §9.2 asks.
public struct BundleDemuxTable: Hashable, Sendable {
    /// Where a packet goes.
    public struct Route: Hashable, Sendable {
        /// The m-section's mid.
        public var mid: String
        /// The payload type of the codec the packet carries (for RTX: the `apt` codec).
        public var codecPayloadType: UInt8
        /// Whether the packet is a retransmission (RFC 4588) that must be unwrapped.
        public var isRTX: Bool

        /// Creates a route.
        public init(mid: String, codecPayloadType: UInt8, isRTX: Bool) {
            self.mid = mid
            self.codecPayloadType = codecPayloadType
            self.isRTX = isRTX
        }
    }

    /// The `sdes:mid` extension id to read from packets (RFC 9143 §15), if negotiated.
    public var midExtensionID: UInt16?
    /// The `rtp-stream-id` extension id (RFC 8852 §3.1), if negotiated.
    public var ridExtensionID: UInt16?
    /// The `repaired-rtp-stream-id` extension id (RFC 8852 §3.2), if negotiated.
    public var repairedRIDExtensionID: UInt16?
    /// The SSRC → mid bindings: declared by the remote `a=ssrc` lines, then learned.
    public private(set) var ssrcs: [UInt32: String]
    /// Per mid, each negotiated payload type → (codec payload type, is RTX).
    var payloadTypes: [String: [UInt8: Route]]
    /// The payload types that exactly one receiving m-section uses.
    var uniquePayloadTypes: [UInt8: String]

    /// Builds the table from the negotiated sections that receive (RFC 8843 §9.2).
    public init(receiving media: [JSEPNegotiatedMedia]) {
        ssrcs = [:]
        payloadTypes = [:]
        var owners: [UInt8: Set<String>] = [:]
        for m in media where m.direction.receives {
            midExtensionID = midExtensionID ?? m.extensionID(JSEPHeaderExtension.midURI)
            ridExtensionID = ridExtensionID ?? m.extensionID(JSEPHeaderExtension.ridURI)
            repairedRIDExtensionID = repairedRIDExtensionID ?? m.extensionID(JSEPHeaderExtension.repairedRIDURI)
            for source in m.remote.sources { ssrcs[source.ssrc] = m.mid }
            var table: [UInt8: Route] = [:]
            for codec in m.codecs {
                table[codec.payloadType] = Route(mid: m.mid, codecPayloadType: codec.payloadType, isRTX: false)
                if let rtx = codec.rtxPayloadType {
                    table[rtx] = Route(mid: m.mid, codecPayloadType: codec.payloadType, isRTX: true)
                }
            }
            payloadTypes[m.mid] = table
            for pt in table.keys { owners[pt, default: []].insert(m.mid) }
        }
        uniquePayloadTypes = owners.compactMapValues { $0.count == 1 ? $0.first : nil }
    }

    /// The mids that receive.
    public var mids: [String] { payloadTypes.keys.sorted() }

    /// Routes a packet with SSRC `ssrc` and payload type `payloadType`, whose `sdes:mid`
    /// extension (if any) read `mid` (RFC 8843 §9.2):
    /// 1. a mid that names a receiving section wins and binds the SSRC to it; an unknown mid drops;
    /// 2. else a known SSRC;
    /// 3. else a payload type only one receiving section uses, which binds the SSRC.
    ///
    /// Returns `nil` (drop) when nothing matches or the payload type is not negotiated there.
    public mutating func route(mid: String?, ssrc: UInt32, payloadType: UInt8) -> Route? {
        let target: String
        if let mid {
            guard payloadTypes[mid] != nil else { return nil }
            target = mid
        } else if let known = ssrcs[ssrc] {
            target = known
        } else if let owner = uniquePayloadTypes[payloadType] {
            target = owner
        } else {
            return nil
        }
        guard let route = payloadTypes[target]?[payloadType] else { return nil }
        ssrcs[ssrc] = target
        return route
    }

    /// Like ``route(mid:ssrc:payloadType:)`` without learning the SSRC.
    public func lookup(mid: String?, ssrc: UInt32, payloadType: UInt8) -> Route? {
        var copy = self
        return copy.route(mid: mid, ssrc: ssrc, payloadType: payloadType)
    }

    /// Removes the binding of `ssrc` (after an RTCP BYE or when a track ends).
    public mutating func forget(ssrc: UInt32) { ssrcs[ssrc] = nil }
}
