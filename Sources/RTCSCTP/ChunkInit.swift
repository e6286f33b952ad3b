import NIOCore

/// INIT and INIT ACK chunks (same layout; INIT ACK must carry a State Cookie). RFC 9260 §3.3.2, §3.3.3.
public struct InitChunk: Equatable, Sendable {
    /// Initiate Tag: the verification tag the sender wants on packets sent to it. Never 0.
    public var initiateTag: UInt32
    /// Advertised Receiver Window Credit (a_rwnd) in bytes.
    public var advertisedReceiverWindowCredit: UInt32
    /// Number of Outbound Streams (OS).
    public var numberOfOutboundStreams: UInt16
    /// Number of Inbound Streams (MIS).
    public var numberOfInboundStreams: UInt16
    /// Initial TSN.
    public var initialTSN: UInt32
    /// Optional/variable-length parameters, in order.
    public var parameters: [SCTPParameter]

    /// Creates an INIT / INIT ACK.
    public init(initiateTag: UInt32, advertisedReceiverWindowCredit: UInt32, numberOfOutboundStreams: UInt16,
                numberOfInboundStreams: UInt16, initialTSN: UInt32, parameters: [SCTPParameter] = []) {
        self.initiateTag = initiateTag
        self.advertisedReceiverWindowCredit = advertisedReceiverWindowCredit
        self.numberOfOutboundStreams = numberOfOutboundStreams
        self.numberOfInboundStreams = numberOfInboundStreams
        self.initialTSN = initialTSN
        self.parameters = parameters
    }

    /// Decodes the chunk value. RFC 9260 §3.3.2.
    public init(type: UInt8, value: ByteBuffer) throws(SCTPParseError) {
        guard value.readableBytes >= 16 else {
            throw .chunkTooShort(type: type, length: value.readableBytes + 4, minimum: 20)
        }
        let r = value.readerIndex
        initiateTag = value.getInteger(at: r)!
        advertisedReceiverWindowCredit = value.getInteger(at: r + 4)!
        numberOfOutboundStreams = value.getInteger(at: r + 8)!
        numberOfInboundStreams = value.getInteger(at: r + 10)!
        initialTSN = value.getInteger(at: r + 12)!
        parameters = try SCTPParameter.parseList(value.getSlice(at: r + 16, length: value.readableBytes - 16)!)
    }

    /// Writes the chunk with the given type (INIT or INIT ACK). RFC 9260 §3.3.2.
    public func write(type: UInt8, to buffer: inout ByteBuffer) {
        SCTPChunk.writeTLVChunk(type: type, flags: 0, to: &buffer) { b in
            b.writeInteger(initiateTag)
            b.writeInteger(advertisedReceiverWindowCredit)
            b.writeInteger(numberOfOutboundStreams)
            b.writeInteger(numberOfInboundStreams)
            b.writeInteger(initialTSN)
            var pad = 0
            for p in parameters { pad = p.write(to: &b) }
            return pad
        }
    }

    /// The first parameter of `type`, if any.
    public func parameter(_ type: UInt16) -> SCTPParameter? { parameters.first { $0.type == type } }

    /// The State Cookie (INIT ACK). RFC 9260 §3.3.3.1.
    public var stateCookie: ByteBuffer? { parameter(SCTPParameter.stateCookie)?.value }

    /// `true` when the sender supports PR-SCTP: a Forward-TSN-Supported parameter, or FORWARD
    /// TSN listed in Supported Extensions. RFC 3758 §3.1.
    public var supportsForwardTSN: Bool {
        parameter(SCTPParameter.forwardTSNSupported) != nil || supportedExtensions.contains(SCTPChunkType.forwardTSN)
    }

    /// `true` when RE-CONFIG is listed in Supported Extensions. RFC 6525 §5.
    public var supportsReconfig: Bool { supportedExtensions.contains(SCTPChunkType.reconfig) }

    /// The chunk types listed in a Supported Extensions parameter. RFC 5061 §4.2.7.
    public var supportedExtensions: [UInt8] {
        guard let p = parameter(SCTPParameter.supportedExtensions) else { return [] }
        return p.value.getBytes(at: p.value.readerIndex, length: p.value.readableBytes) ?? []
    }
}
