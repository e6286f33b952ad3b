import NIOCore

/// The Opus RTP payload format (RFC 7587): each RTP payload is exactly one Opus packet
/// (RFC 7587 §4.2), never fragmented, so the payloader refuses a packet larger than the
/// payload size and the depacketizer expects one payload per frame. Every Opus packet is
/// independently decodable, so ``RTPEncodedFrame/isKeyFrame`` is always true.
///
/// The RTP timestamp advances by ``sampleCount(of:)`` per packet at the fixed 48 kHz RTP clock
/// (RFC 7587 §4.1), whatever the codec's internal sampling rate.
public struct OpusPayloadFormat: RTPPayloadFormat {
    /// The RTP clock rate of Opus, always 48 000 Hz (RFC 7587 §4.1).
    public static let clockRate = 48_000

    /// The longest duration one Opus packet may hold: 120 ms at 48 kHz (RFC 6716 §3.2.5).
    public static let maximumSamplesPerPacket = 5_760

    /// Creates the (stateless) Opus payloader.
    public init() {}

    /// Returns the Opus packet as the single payload (RFC 7587 §4.2). Throws
    /// ``RTPPayloadError/emptyPayload`` for an empty packet and
    /// ``RTPPayloadError/frameTooLarge(size:maxPayloadSize:)`` when it does not fit.
    public mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        guard maxPayloadSize >= 1 else { throw .maxPayloadSizeTooSmall(minimum: 1, given: maxPayloadSize) }
        guard frame.readableBytes > 0 else { throw .emptyPayload }
        guard frame.readableBytes <= maxPayloadSize else {
            throw .frameTooLarge(size: frame.readableBytes, maxPayloadSize: maxPayloadSize)
        }
        return [frame]
    }

    /// Returns the one payload as an Opus packet after checking its table-of-contents framing
    /// (RFC 7587 §4.2, RFC 6716 §3.1–3.2); see ``sampleCount(of:)``.
    public static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame {
        guard let payload = payloads.first else { throw .noPayloads }
        guard payloads.count == 1 else { throw .unexpectedPayloadCount(expected: 1, count: payloads.count) }
        _ = try sampleCount(of: payload)
        return RTPEncodedFrame(data: payload, isKeyFrame: true)
    }

    /// Samples at 48 kHz that one Opus packet decodes to, from its TOC byte and frame count
    /// (RFC 6716 §3.1 for the frame size of each configuration, §3.2 for the frame count codes).
    ///
    /// Checks the framing rules a TOC-level parser can: a non-empty packet (R1), an odd length
    /// for two equal frames (R3, code 1), a first-frame length that fits (code 2), at least one
    /// frame and at most 120 ms (R5, code 3).
    public static func sampleCount(of packet: ByteBuffer) throws(RTPPayloadError) -> Int {
        let base = packet.readerIndex
        let length = packet.readableBytes
        guard let toc = packet.getInteger(at: base, as: UInt8.self) else { throw .emptyPayload }
        let frameSamples = samplesPerFrame(configuration: toc >> 3)
        let frames: Int
        switch toc & 0x03 {
        case 0:
            frames = 1
        case 1:
            guard (length - 1) % 2 == 0 else { throw .invalidField("Opus code 1 with unequal frame sizes") }
            frames = 2
        case 2:
            guard let first = packet.getInteger(at: base + 1, as: UInt8.self) else {
                throw .truncatedDescriptor(needed: 2, available: length)
            }
            var firstLength = Int(first)
            var lengthBytes = 1
            if first >= 252 {
                guard let second = packet.getInteger(at: base + 2, as: UInt8.self) else {
                    throw .truncatedDescriptor(needed: 3, available: length)
                }
                firstLength += 4 * Int(second)
                lengthBytes = 2
            }
            guard 1 + lengthBytes + firstLength <= length else { throw .invalidField("Opus code 2 frame length beyond packet") }
            frames = 2
        default:
            guard let countByte = packet.getInteger(at: base + 1, as: UInt8.self) else {
                throw .truncatedDescriptor(needed: 2, available: length)
            }
            frames = Int(countByte & 0x3F)
            guard frames >= 1 else { throw .invalidField("Opus code 3 with zero frames") }
        }
        let total = frames * frameSamples
        guard total <= maximumSamplesPerPacket else { throw .invalidField("Opus packet longer than 120 ms") }
        return total
    }

    /// Samples at 48 kHz in one frame of TOC configuration `configuration` (RFC 6716 §3.1, Table 2).
    static func samplesPerFrame(configuration: UInt8) -> Int {
        switch configuration {
        case 0...11: [480, 960, 1_920, 2_880][Int(configuration % 4)]  // SILK-only: 10, 20, 40, 60 ms
        case 12...15: [480, 960][Int(configuration % 2)]  // Hybrid: 10, 20 ms
        default: [120, 240, 480, 960][Int(configuration % 4)]  // CELT-only: 2.5, 5, 10, 20 ms
        }
    }
}
