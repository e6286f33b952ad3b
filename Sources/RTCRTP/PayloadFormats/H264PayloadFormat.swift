import NIOCore

/// The H.264 RTP payload format in packetization mode 1, non-interleaved (RFC 6184 §6.3):
/// single NAL unit packets (§5.6), STAP-A aggregation (§5.7.1) and FU-A fragmentation (§5.8).
///
/// Frames are access units in Annex B byte-stream form (ITU-T H.264 Annex B): NAL units each
/// preceded by a start code `00 00 01` or `00 00 00 01`. The depacketizer writes every NAL unit
/// with a 4-byte start code.
///
/// The payloader remembers the last SPS (type 7) and PPS (type 8) it was given, in a frame or
/// through ``sequenceParameterSet`` / ``pictureParameterSet``, and puts them in front of any
/// access unit that has an IDR slice (type 5) but lacks them, so a receiver can start decoding
/// at every key frame.
public struct H264PayloadFormat: RTPPayloadFormat {
    /// The RTP clock rate of H.264, 90 000 Hz (RFC 6184 §5.1).
    public static let clockRate = 90_000

    /// NAL unit types this format uses (ITU-T H.264 Table 7-1, RFC 6184 Table 1).
    public enum NALUnitType {
        /// A coded slice of an IDR picture: the access unit is a key frame.
        public static let idrSlice: UInt8 = 5
        /// Sequence parameter set.
        public static let sequenceParameterSet: UInt8 = 7
        /// Picture parameter set.
        public static let pictureParameterSet: UInt8 = 8
        /// Single-time aggregation packet, type A (RFC 6184 §5.7.1).
        public static let stapA: UInt8 = 24
        /// Fragmentation unit, type A (RFC 6184 §5.8).
        public static let fuA: UInt8 = 28
    }

    /// The SPS NAL unit (without start code) put before IDR access units that lack one.
    public var sequenceParameterSet: ByteBuffer?
    /// The PPS NAL unit (without start code) put before IDR access units that lack one.
    public var pictureParameterSet: ByteBuffer?

    /// Creates a payloader, optionally with the parameter sets out-of-band signalling announced
    /// (`sprop-parameter-sets`, RFC 6184 §8.1).
    public init(sequenceParameterSet: ByteBuffer? = nil, pictureParameterSet: ByteBuffer? = nil) {
        self.sequenceParameterSet = sequenceParameterSet
        self.pictureParameterSet = pictureParameterSet
    }

    /// Smallest payload that can carry a fragment: FU indicator, FU header and one octet.
    static let minimumPayloadSize = 3

    /// Splits one Annex B access unit into payloads of at most `maxPayloadSize` bytes: runs of
    /// NAL units that fit together (each under 64 KiB) go into one STAP-A, a NAL unit that fits alone goes as a
    /// single NAL unit packet, a larger one into FU-A fragments of nearly equal size
    /// (RFC 6184 §5.6–5.8).
    public mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        guard maxPayloadSize >= Self.minimumPayloadSize else {
            throw .maxPayloadSizeTooSmall(minimum: Self.minimumPayloadSize, given: maxPayloadSize)
        }
        var nals = Self.nalUnits(inAnnexB: frame)
        guard !nals.isEmpty else { throw .emptyPayload }
        addParameterSets(to: &nals)
        var payloads: [ByteBuffer] = []
        var index = 0
        while index < nals.count {
            let nal = nals[index]
            if nal.readableBytes > maxPayloadSize {
                Self.fragment(nal, maxPayloadSize: maxPayloadSize, into: &payloads)
                index += 1
                continue
            }
            var end = index + 1
            var aggregateSize = 1 + 2 + nal.readableBytes
            while end < nals.count, nal.readableBytes <= 0xFFFF, nals[end].readableBytes <= 0xFFFF,
                  aggregateSize + 2 + nals[end].readableBytes <= maxPayloadSize {
                aggregateSize += 2 + nals[end].readableBytes
                end += 1
            }
            if end - index >= 2 {
                payloads.append(Self.aggregate(nals[index..<end], size: aggregateSize))
            } else {
                payloads.append(nal)
            }
            index = end
        }
        return payloads
    }

    /// Remembers the frame's SPS/PPS and puts the remembered ones in front of an IDR access
    /// unit that lacks them.
    mutating func addParameterSets(to nals: inout [ByteBuffer]) {
        var hasSPS = false
        var hasPPS = false
        var hasIDR = false
        for nal in nals {
            switch Self.type(of: nal) {
            case NALUnitType.sequenceParameterSet: hasSPS = true; sequenceParameterSet = nal
            case NALUnitType.pictureParameterSet: hasPPS = true; pictureParameterSet = nal
            case NALUnitType.idrSlice: hasIDR = true
            default: break
            }
        }
        guard hasIDR else { return }
        var prefix: [ByteBuffer] = []
        if !hasSPS, let sequenceParameterSet { prefix.append(sequenceParameterSet) }
        if !hasPPS, let pictureParameterSet { prefix.append(pictureParameterSet) }
        nals.insert(contentsOf: prefix, at: 0)
    }

    /// A STAP-A of `nals`: F is the OR and NRI the maximum of theirs (RFC 6184 §5.7.1).
    static func aggregate(_ nals: ArraySlice<ByteBuffer>, size: Int) -> ByteBuffer {
        var forbidden: UInt8 = 0
        var nri: UInt8 = 0
        for nal in nals {
            let header = nal.getInteger(at: nal.readerIndex, as: UInt8.self) ?? 0
            forbidden |= header & 0x80
            nri = max(nri, header & 0x60)
        }
        var payload = ByteBuffer()
        payload.reserveCapacity(size)
        payload.writeInteger(forbidden | nri | NALUnitType.stapA)
        for nal in nals {
            payload.writeInteger(UInt16(truncatingIfNeeded: nal.readableBytes))
            payload.writeImmutableBuffer(nal)
        }
        return payload
    }

    /// FU-A fragments of `nal`: the FU indicator keeps F and NRI, the FU header the type, with S
    /// on the first fragment and E on the last (RFC 6184 §5.8).
    static func fragment(_ nal: ByteBuffer, maxPayloadSize: Int, into payloads: inout [ByteBuffer]) {
        var body = nal
        let header = body.readInteger(as: UInt8.self) ?? 0
        let lengths = balancedChunkLengths(total: body.readableBytes, capacity: maxPayloadSize - 2)
        for (i, length) in lengths.enumerated() {
            var fuHeader = header & 0x1F
            if i == 0 { fuHeader |= 0x80 }
            if i == lengths.count - 1 { fuHeader |= 0x40 }
            var payload = ByteBuffer()
            payload.reserveCapacity(2 + length)
            payload.writeInteger((header & 0xE0) | NALUnitType.fuA)
            payload.writeInteger(fuHeader)
            payload.writeImmutableBuffer(body.readSlice(length: length) ?? ByteBuffer())
            payloads.append(payload)
        }
    }

    /// Rebuilds one Annex B access unit from its payloads (RFC 6184 §5.6–5.8, §6.3).
    ///
    /// Accepts single NAL unit packets (types 1–23), STAP-A and FU-A; other types (STAP-B,
    /// MTAP, FU-B and reserved ones) are not allowed in packetization mode 1 and throw
    /// ``RTPPayloadError/unsupportedPacketType(_:)``. FU-A fragments must run start to end
    /// without interruption. ``RTPEncodedFrame/isKeyFrame`` is true when an IDR slice is present.
    public static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame {
        guard !payloads.isEmpty else { throw .noPayloads }
        let inputSize = payloads.reduce(0) { $0 + $1.readableBytes }
        var out = ByteBuffer()
        out.reserveCapacity(inputSize + 4 * payloads.count)
        var fragmentType: UInt8?
        var isKeyFrame = false
        func writeNAL(_ nal: ByteBuffer) {
            out.writeInteger(UInt32(1))
            out.writeImmutableBuffer(nal)
        }
        for (index, payload) in payloads.enumerated() {
            let base = payload.readerIndex
            let length = payload.readableBytes
            guard let header = payload.getInteger(at: base, as: UInt8.self) else { throw .emptyPayload }
            let type = header & 0x1F
            switch type {
            case 1...23:
                guard fragmentType == nil else { throw .inconsistentPayloads }
                if type == NALUnitType.idrSlice { isKeyFrame = true }
                writeNAL(payload)
            case NALUnitType.stapA:
                guard fragmentType == nil else { throw .inconsistentPayloads }
                var offset = 1
                guard length > offset else { throw .malformedAggregate }
                while offset < length {
                    guard let size = payload.getInteger(at: base + offset, as: UInt16.self), size > 0,
                          let nal = payload.getSlice(at: base + offset + 2, length: Int(size))
                    else { throw .malformedAggregate }
                    if Self.type(of: nal) == NALUnitType.idrSlice { isKeyFrame = true }
                    writeNAL(nal)
                    offset += 2 + Int(size)
                }
            case NALUnitType.fuA:
                guard let fuHeader = payload.getInteger(at: base + 1, as: UInt8.self) else {
                    throw .truncatedDescriptor(needed: 2, available: length)
                }
                let isStart = fuHeader & 0x80 != 0
                let isEnd = fuHeader & 0x40 != 0
                let nalType = fuHeader & 0x1F
                guard !(isStart && isEnd) else { throw .invalidField("FU-A with both S and E set") }
                guard (1...23).contains(nalType) else { throw .unsupportedPacketType(nalType) }
                let data = payload.getSlice(at: base + 2, length: length - 2) ?? ByteBuffer()
                if isStart {
                    guard fragmentType == nil else { throw .inconsistentPayloads }
                    fragmentType = nalType
                    if nalType == NALUnitType.idrSlice { isKeyFrame = true }
                    out.writeInteger(UInt32(1))
                    out.writeInteger((header & 0xE0) | nalType)
                } else {
                    guard let fragmentType else { throw index == 0 ? .missingFrameStart : .inconsistentPayloads }
                    guard fragmentType == nalType else { throw .inconsistentPayloads }
                }
                out.writeImmutableBuffer(data)
                if isEnd { fragmentType = nil }
            default:
                throw .unsupportedPacketType(type)
            }
        }
        guard fragmentType == nil else { throw .incompleteFrame }
        return RTPEncodedFrame(data: out, isKeyFrame: isKeyFrame)
    }

    /// The NAL unit type (low five bits of the header octet) of `nal`, or nil when it is empty.
    public static func type(of nal: ByteBuffer) -> UInt8? {
        nal.getInteger(at: nal.readerIndex, as: UInt8.self).map { $0 & 0x1F }
    }

    /// The NAL units of an Annex B byte stream, without start codes, as views into `frame`.
    ///
    /// A unit ends where the next start code (`00 00 01`, or `00 00 00 01` whose leading zero
    /// is not part of the unit) begins; empty units are skipped. Bytes before the first start
    /// code, if any, count as a unit, so a bare NAL unit is accepted too.
    public static func nalUnits(inAnnexB frame: ByteBuffer) -> [ByteBuffer] {
        let base = frame.readerIndex
        var units: [ByteBuffer] = []
        frame.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            var unitStart = 0
            var i = 0
            func emit(until end: Int) {
                if end > unitStart, let slice = frame.getSlice(at: base + unitStart, length: end - unitStart) {
                    units.append(slice)
                }
            }
            while i + 2 < count {
                if bytes[i + 2] > 1 {
                    i += 3
                } else if bytes[i] == 0, bytes[i + 1] == 0, bytes[i + 2] == 1 {
                    emit(until: i > unitStart && bytes[i - 1] == 0 ? i - 1 : i)
                    i += 3
                    unitStart = i
                } else {
                    i += 1
                }
            }
            emit(until: count)
        }
        return units
    }
}
