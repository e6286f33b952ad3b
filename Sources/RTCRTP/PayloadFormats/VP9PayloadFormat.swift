import NIOCore

/// The VP9 RTP payload format (RFC 9628).
///
/// The payloader uses non-flexible mode with one spatial and one temporal layer (RFC 9628
/// §4.2): every payload carries a 15-bit picture ID and layer indices with a TL0PICIDX that
/// advances per frame; the first payload of a key frame adds a scalability structure with the
/// frame's resolution (when its header can be read) and a one-picture group referring to the
/// previous picture. B marks the first payload, E the last; P is clear on key frames.
///
/// The depacketizer accepts flexible and non-flexible mode and layered pictures (several
/// frames, each from B to E, one after another), checks the picture ID stays the same, and
/// calls the picture a key frame when its first payload has B = 1, P = 0 and is in spatial
/// layer 0 (RFC 9628 §4.2).
public struct VP9PayloadFormat: RTPPayloadFormat {
    /// The RTP clock rate of VP9, 90 000 Hz (RFC 9628 §4.1).
    public static let clockRate = 90_000

    /// The 15-bit picture ID the next frame gets.
    public var pictureID: UInt16
    /// The TL0PICIDX the next frame gets.
    public var tl0PictureIndex: UInt8

    /// Creates a payloader whose first frame gets `firstPictureID` (masked to 15 bits) and
    /// `firstTL0PictureIndex`; the send stream usually starts them at random values.
    public init(firstPictureID: UInt16 = 0, firstTL0PictureIndex: UInt8 = 0) {
        pictureID = firstPictureID & 0x7FFF
        tl0PictureIndex = firstTL0PictureIndex
    }

    /// Splits one VP9 frame into payloads of at most `maxPayloadSize` bytes in non-flexible
    /// mode, and advances ``pictureID`` and ``tl0PictureIndex``. Whether the frame is a key frame
    /// comes from its uncompressed header (VP9 bitstream §6.2); a frame whose header cannot be
    /// read is sent as an inter frame.
    public mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        guard frame.readableBytes > 0 else { throw .emptyPayload }
        let header = Self.frameHeader(of: frame)
        let isKeyFrame = header?.isKeyFrame ?? false
        var descriptor = VP9PayloadDescriptor(
            isInterPicturePredicted: !isKeyFrame, isStartOfFrame: true, isEndOfFrame: false, pictureID: .long(pictureID),
            layerIndices: .init(temporalLayerIndex: 0, spatialLayerIndex: 0, tl0PictureIndex: tl0PictureIndex))
        if isKeyFrame {
            let resolution = header.flatMap { header in
                header.width.map {
                    [VP9ScalabilityStructure.Resolution(width: UInt16(truncatingIfNeeded: $0),
                                                        height: UInt16(truncatingIfNeeded: header.height ?? 0))]
                }
            }
            descriptor.scalabilityStructure = VP9ScalabilityStructure(
                spatialLayerCount: 1, resolutions: resolution,
                pictureGroup: [.init(temporalLayerIndex: 0, referenceDifferences: [1])])
        }
        let overhead = descriptor.serializedSize
        guard maxPayloadSize > overhead else { throw .maxPayloadSizeTooSmall(minimum: overhead + 1, given: maxPayloadSize) }
        pictureID = (pictureID &+ 1) & 0x7FFF
        tl0PictureIndex &+= 1
        var rest = frame
        let lengths = balancedChunkLengths(total: frame.readableBytes, capacity: maxPayloadSize - overhead)
        var payloads: [ByteBuffer] = []
        payloads.reserveCapacity(lengths.count)
        for (i, length) in lengths.enumerated() {
            descriptor.isEndOfFrame = i == lengths.count - 1
            var payload = ByteBuffer()
            payload.reserveCapacity(descriptor.serializedSize + length)
            descriptor.write(into: &payload)
            payload.writeImmutableBuffer(rest.readSlice(length: length) ?? ByteBuffer())
            payloads.append(payload)
            descriptor.isStartOfFrame = false
            descriptor.scalabilityStructure = nil
        }
        return payloads
    }

    /// Rebuilds one VP9 picture from its payloads (RFC 9628 §4.2, §4.4): the first payload must
    /// have B = 1, the last E = 1, a B may only follow an E (a new layer frame), and the picture
    /// ID must not change. The frames of a layered picture are concatenated in order.
    public static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame {
        guard !payloads.isEmpty else { throw .noPayloads }
        var pieces: [ByteBuffer] = []
        pieces.reserveCapacity(payloads.count)
        var first: VP9PayloadDescriptor?
        var previousEnded = true
        var total = 0
        for payload in payloads {
            let (descriptor, media) = try VP9PayloadDescriptor.parse(payload)
            if let first {
                guard descriptor.isStartOfFrame == previousEnded else { throw .inconsistentPayloads }
                if let id = descriptor.pictureID?.value, let firstID = first.pictureID?.value, id != firstID {
                    throw .inconsistentPayloads
                }
            } else {
                guard descriptor.isStartOfFrame else { throw .missingFrameStart }
                first = descriptor
            }
            previousEnded = descriptor.isEndOfFrame
            total += media.readableBytes
            pieces.append(media)
        }
        guard previousEnded else { throw .incompleteFrame }
        guard total > 0 else { throw .emptyPayload }
        var data = ByteBuffer()
        data.reserveCapacity(total)
        for piece in pieces { data.writeImmutableBuffer(piece) }
        guard let start = first else { throw .noPayloads }
        let isKeyFrame = !start.isInterPicturePredicted && (start.layerIndices?.spatialLayerIndex ?? 0) == 0
        return RTPEncodedFrame(data: data, isKeyFrame: isKeyFrame)
    }

    /// What the start of a VP9 uncompressed header says (VP9 bitstream §6.2).
    public struct FrameHeader: Hashable, Sendable {
        /// frame_type is KEY_FRAME.
        public var isKeyFrame: Bool
        /// The frame width of a key frame, when its header is complete enough to read it.
        public var width: Int?
        /// The frame height of a key frame, when its header is complete enough to read it.
        public var height: Int?
    }

    /// Reads frame_marker, profile, show_existing_frame and frame_type, and for key frames the
    /// sync code, colour config and frame size (VP9 bitstream §6.2, §6.2.1, §6.2.2, §6.2.3);
    /// nil when `frame` does not start with a VP9 frame header.
    public static func frameHeader(of frame: ByteBuffer) -> FrameHeader? {
        var bits = BitReader(frame)
        guard let marker = bits.read(2), marker == 2,
              let low = bits.read(1), let high = bits.read(1) else { return nil }
        let profile = high << 1 | low
        if profile == 3 { guard bits.read(1) == 0 else { return nil } }
        guard let showExisting = bits.read(1) else { return nil }
        if showExisting == 1 { return FrameHeader(isKeyFrame: false) }
        guard let frameType = bits.read(1) else { return nil }
        guard frameType == 0 else { return FrameHeader(isKeyFrame: false) }
        var header = FrameHeader(isKeyFrame: true)
        guard bits.read(2) != nil, bits.read(24) == 0x49_8342 else { return header }  // show_frame, error_resilient, sync code
        if profile >= 2 { guard bits.read(1) != nil else { return header } }  // ten_or_twelve_bit
        guard let colorSpace = bits.read(3) else { return header }
        let extraBits = colorSpace != 7 ? 1 + (profile == 1 || profile == 3 ? 3 : 0) : (profile == 1 || profile == 3 ? 1 : 0)
        guard bits.read(extraBits) != nil, let width = bits.read(16), let height = bits.read(16) else { return header }
        header.width = Int(width) + 1
        header.height = Int(height) + 1
        return header
    }

    /// A most-significant-bit-first reader over a buffer's readable bytes.
    struct BitReader {
        let buffer: ByteBuffer
        var position = 0

        init(_ buffer: ByteBuffer) { self.buffer = buffer }

        /// The next `count` (0–32) bits, or nil past the end.
        mutating func read(_ count: Int) -> UInt32? {
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let byte = buffer.getInteger(at: buffer.readerIndex + position >> 3, as: UInt8.self) else { return nil }
                value = value << 1 | UInt32(byte >> (7 - UInt8(position & 7)) & 1)
                position += 1
            }
            return value
        }
    }
}
