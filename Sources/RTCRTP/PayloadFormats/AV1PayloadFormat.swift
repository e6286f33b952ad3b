import NIOCore

/// The AV1 RTP payload format ("RTP Payload Format For AV1", AOMedia, v1.0, §4).
///
/// Frames are temporal units in the low-overhead bitstream format (AV1 §5.2): OBUs that each
/// carry `obu_has_size_field` = 1 and a LEB128 `obu_size`. Every payload begins with the
/// aggregation header (§4.4):
///
/// ```
///  +-+-+-+-+-+-+-+-+
///  |Z|Y| W |N|-|-|-|
///  +-+-+-+-+-+-+-+-+
/// ```
///
/// Z: the first OBU element continues a fragment from the previous payload; Y: the last one
/// continues in the next; W: the number of OBU elements (0 = every element has a LEB128
/// length, 1–3 = all but the last have one); N: the payload begins a new coded video sequence.
///
/// The payloader drops temporal delimiters and tile lists, strips `obu_size` fields (§4.5),
/// writes every element with its length (W = 0), fragments OBUs across payloads as needed, and
/// sets N on the first payload of a temporal unit that carries a sequence header. The
/// depacketizer puts the size fields back and calls the frame a key frame when N is set.
public struct AV1PayloadFormat: RTPPayloadFormat {
    /// The RTP clock rate of AV1, 90 000 Hz (§5).
    public static let clockRate = 90_000

    /// OBU types this format treats specially (AV1 §6.2.2).
    enum OBUType {
        static let sequenceHeader: UInt8 = 1
        static let temporalDelimiter: UInt8 = 2
        static let tileList: UInt8 = 8
    }

    /// Creates the (stateless) AV1 payloader.
    public init() {}

    /// One OBU of a temporal unit: its header octets (size flag cleared) and its payload.
    struct OBU {
        var header: ByteBuffer
        var body: ByteBuffer
        var type: UInt8 { ((header.getInteger(at: header.readerIndex, as: UInt8.self) ?? 0) >> 3) & 0x0F }
    }

    /// Splits one temporal unit into payloads of at most `maxPayloadSize` bytes (§4.4–4.5).
    /// Throws ``RTPPayloadError/invalidField(_:)`` when the OBUs cannot be parsed.
    public mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        guard maxPayloadSize >= 3 else { throw .maxPayloadSizeTooSmall(minimum: 3, given: maxPayloadSize) }
        let obus = try Self.obus(in: frame).filter { $0.type != OBUType.temporalDelimiter && $0.type != OBUType.tileList }
        guard !obus.isEmpty else { throw .emptyPayload }
        let startsSequence = obus.contains { $0.type == OBUType.sequenceHeader }
        var payloads: [ByteBuffer] = []
        var current = ByteBuffer()
        var currentHeader: UInt8 = startsSequence ? 0x08 : 0
        func flush(continues: Bool) {
            var payload = ByteBuffer()
            payload.reserveCapacity(1 + current.readableBytes)
            payload.writeInteger(currentHeader | (continues ? 0x40 : 0))
            payload.writeImmutableBuffer(current)
            payloads.append(payload)
            current.clear()
            currentHeader = continues ? 0x80 : 0
        }
        for obu in obus {
            var element = obu.header
            element.writeImmutableBuffer(obu.body)
            while element.readableBytes > 0 {
                let room = maxPayloadSize - 1 - current.readableBytes
                let whole = Self.leb128Size(element.readableBytes) + element.readableBytes
                if whole <= room {
                    Self.writeLEB128(element.readableBytes, into: &current)
                    current.writeImmutableBuffer(element)
                    break
                }
                let piece = room - Self.leb128Size(room)
                if piece < 1 {
                    flush(continues: false)
                    continue
                }
                Self.writeLEB128(piece, into: &current)
                current.writeImmutableBuffer(element.readSlice(length: piece) ?? ByteBuffer())
                flush(continues: true)
            }
        }
        if current.readableBytes > 0 { flush(continues: false) }
        return payloads
    }

    /// Rebuilds one temporal unit from its payloads (§4.4–4.5): OBU fragments are joined and
    /// every OBU gets `obu_has_size_field` = 1 and a LEB128 `obu_size` again. The first payload
    /// must not continue a fragment (Z = 0), each later Z must match the Y before it, and the
    /// last must not leave a fragment open.
    public static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame {
        guard !payloads.isEmpty else { throw .noPayloads }
        let inputSize = payloads.reduce(0) { $0 + $1.readableBytes }
        var out = ByteBuffer()
        out.reserveCapacity(inputSize + 8 * payloads.count)
        var fragment: ByteBuffer?
        var isKeyFrame = false
        for (index, payload) in payloads.enumerated() {
            var rest = payload
            guard let header = rest.readInteger(as: UInt8.self) else { throw .emptyPayload }
            let continuesFragment = header & 0x80 != 0
            let leavesFragment = header & 0x40 != 0
            let elementCount = Int((header >> 4) & 0x03)
            if index == 0 {
                guard !continuesFragment else { throw .missingFrameStart }
                isKeyFrame = header & 0x08 != 0
            } else {
                guard continuesFragment == (fragment != nil) else { throw .inconsistentPayloads }
            }
            var elements: [ByteBuffer] = []
            while rest.readableBytes > 0 {
                if elementCount != 0, elements.count == elementCount - 1 {
                    elements.append(rest.readSlice(length: rest.readableBytes) ?? ByteBuffer())
                    break
                }
                let length = try readLEB128(&rest)
                guard length > 0, length <= rest.readableBytes, let element = rest.readSlice(length: length) else {
                    throw .malformedAggregate
                }
                elements.append(element)
            }
            guard !elements.isEmpty, elementCount == 0 || elements.count == elementCount else { throw .malformedAggregate }
            for (i, element) in elements.enumerated() {
                var whole = element
                if i == 0, continuesFragment, var pending = fragment {
                    pending.writeImmutableBuffer(element)
                    whole = pending
                    fragment = nil
                }
                if i == elements.count - 1, leavesFragment {
                    fragment = whole
                } else {
                    try writeOBU(whole, into: &out)
                }
            }
        }
        guard fragment == nil else { throw .incompleteFrame }
        return RTPEncodedFrame(data: out, isKeyFrame: isKeyFrame)
    }

    /// Appends one OBU element with `obu_has_size_field` set and its `obu_size` (AV1 §5.3).
    static func writeOBU(_ element: ByteBuffer, into out: inout ByteBuffer) throws(RTPPayloadError) {
        guard let header = element.getInteger(at: element.readerIndex, as: UInt8.self) else { throw .malformedAggregate }
        guard header & 0x80 == 0 else { throw .invalidField("AV1 OBU forbidden bit set") }
        if header & 0x02 != 0 {  // the sender kept obu_size: the element is a whole OBU already
            out.writeImmutableBuffer(element)
            return
        }
        let headerSize = header & 0x04 != 0 ? 2 : 1
        guard element.readableBytes >= headerSize else { throw .truncatedDescriptor(needed: headerSize, available: element.readableBytes) }
        out.writeInteger(header | 0x02)
        if headerSize == 2 { out.writeInteger(element.getInteger(at: element.readerIndex + 1, as: UInt8.self) ?? 0) }
        let body = element.readableBytes - headerSize
        writeLEB128(body, into: &out)
        out.writeImmutableBuffer(element.getSlice(at: element.readerIndex + headerSize, length: body) ?? ByteBuffer())
    }

    /// The OBUs of a low-overhead bitstream temporal unit (AV1 §5.2–5.3), headers with
    /// `obu_has_size_field` cleared. An OBU without a size field runs to the end of `frame`.
    static func obus(in frame: ByteBuffer) throws(RTPPayloadError) -> [OBU] {
        var rest = frame
        var obus: [OBU] = []
        while let first = rest.readInteger(as: UInt8.self) {
            var header = ByteBuffer()
            header.writeInteger(first & ~0x02)
            if first & 0x04 != 0 {
                guard let ext = rest.readInteger(as: UInt8.self) else { throw .invalidField("AV1 OBU extension missing") }
                header.writeInteger(ext)
            }
            var size = rest.readableBytes
            if first & 0x02 != 0 { size = try readLEB128(&rest) }
            guard let body = rest.readSlice(length: size) else { throw .invalidField("AV1 obu_size beyond frame") }
            obus.append(OBU(header: header, body: body))
        }
        return obus
    }

    /// Reads a LEB128 value of at most 8 octets and 32 bits (AV1 §4.10.5).
    static func readLEB128(_ buffer: inout ByteBuffer) throws(RTPPayloadError) -> Int {
        var value = 0
        for i in 0..<8 {
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw .malformedAggregate }
            value |= Int(byte & 0x7F) << (7 * i)
            if byte & 0x80 == 0 {
                guard value <= Int(UInt32.max) else { throw .invalidField("AV1 LEB128 value beyond 32 bits") }
                return value
            }
        }
        throw .invalidField("AV1 LEB128 longer than 8 octets")
    }

    /// Octets of the shortest LEB128 encoding of `value`.
    static func leb128Size(_ value: Int) -> Int {
        var size = 1
        var v = value >> 7
        while v > 0 { size += 1; v >>= 7 }
        return size
    }

    /// Appends the shortest LEB128 encoding of `value`.
    static func writeLEB128(_ value: Int, into buffer: inout ByteBuffer) {
        var v = value
        repeat {
            let byte = UInt8(v & 0x7F)
            v >>= 7
            buffer.writeInteger(v > 0 ? byte | 0x80 : byte)
        } while v > 0
    }
}
