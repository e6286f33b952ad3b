import NIOCore

/// The VP8 RTP payload format (RFC 7741).
///
/// The payloader writes a descriptor with a 15-bit picture ID on every payload (S = 1 and
/// PID = 0 on the first, RFC 7741 §4.2), splits the frame into chunks of nearly equal size,
/// and advances the picture ID by one per frame. It does not know VP8 partition boundaries,
/// so it marks only the frame start, which RFC 7741 §4.4 allows.
///
/// The depacketizer strips the descriptors, checks that the payloads belong to one frame, and
/// reads the key-frame flag from the VP8 payload header of the first payload (RFC 7741 §4.3).
public struct VP8PayloadFormat: RTPPayloadFormat {
    /// The RTP clock rate of VP8, 90 000 Hz (RFC 7741 §4.1).
    public static let clockRate = 90_000

    /// The 15-bit picture ID the next frame gets.
    public var pictureID: UInt16

    /// Creates a payloader whose first frame gets `firstPictureID` (masked to 15 bits); the
    /// send stream usually starts it at a random value.
    public init(firstPictureID: UInt16 = 0) {
        pictureID = firstPictureID & 0x7FFF
    }

    /// Octets of the descriptor this payloader writes: X, I and a 15-bit picture ID.
    static let descriptorSize = 4

    /// Splits one VP8 frame into payloads of at most `maxPayloadSize` bytes, each starting with
    /// a descriptor (RFC 7741 §4.2, §4.4), and advances ``pictureID``.
    public mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        let overhead = Self.descriptorSize
        guard maxPayloadSize > overhead else {
            throw .maxPayloadSizeTooSmall(minimum: overhead + 1, given: maxPayloadSize)
        }
        guard frame.readableBytes > 0 else { throw .emptyPayload }
        var descriptor = VP8PayloadDescriptor(isStartOfPartition: true, pictureID: .long(pictureID))
        pictureID = (pictureID &+ 1) & 0x7FFF
        var payloads: [ByteBuffer] = []
        var rest = frame
        for length in balancedChunkLengths(total: frame.readableBytes, capacity: maxPayloadSize - overhead) {
            var payload = ByteBuffer()
            payload.reserveCapacity(overhead + length)
            descriptor.write(into: &payload)
            payload.writeImmutableBuffer(rest.readSlice(length: length) ?? ByteBuffer())
            payloads.append(payload)
            descriptor.isStartOfPartition = false
        }
        return payloads
    }

    /// Rebuilds one VP8 frame from its payloads (RFC 7741 §4.2–4.3).
    ///
    /// The first payload must start the frame (S = 1, PID = 0) with at least one octet of the
    /// VP8 payload header, whose P bit (0 = key frame) gives ``RTPEncodedFrame/isKeyFrame``; the
    /// frame must hold the whole 3-octet header; no later payload may start a frame or carry a
    /// different picture ID.
    public static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame {
        guard !payloads.isEmpty else { throw .noPayloads }
        var pieces: [ByteBuffer] = []
        pieces.reserveCapacity(payloads.count)
        var firstPictureID: UInt16?
        var total = 0
        for (index, payload) in payloads.enumerated() {
            let (descriptor, media) = try VP8PayloadDescriptor.parse(payload)
            if index == 0 {
                guard descriptor.isStartOfFrame else { throw .missingFrameStart }
                guard media.readableBytes > 0 else { throw .truncatedDescriptor(needed: 1, available: 0) }
                firstPictureID = descriptor.pictureID?.value
            } else {
                guard !descriptor.isStartOfFrame else { throw .inconsistentPayloads }
                if let id = descriptor.pictureID?.value, let firstPictureID, id != firstPictureID {
                    throw .inconsistentPayloads
                }
            }
            total += media.readableBytes
            pieces.append(media)
        }
        guard total >= 3 else { throw .truncatedDescriptor(needed: 3, available: total) }
        var data = ByteBuffer()
        data.reserveCapacity(total)
        for piece in pieces { data.writeImmutableBuffer(piece) }
        let isKeyFrame = (pieces[0].getInteger(at: pieces[0].readerIndex, as: UInt8.self) ?? 1) & 0x01 == 0
        return RTPEncodedFrame(data: data, isKeyFrame: isKeyFrame)
    }

    /// The width and height a VP8 key frame declares after its start code 9d 01 2a (RFC 6386
    /// §9.1), or nil when `frame` is not a well-formed key frame header.
    public static func keyFrameDimensions(of frame: ByteBuffer) -> (width: Int, height: Int)? {
        let base = frame.readerIndex
        guard frame.readableBytes >= 10,
              let tag = frame.getInteger(at: base, as: UInt8.self), tag & 0x01 == 0,
              frame.getBytes(at: base + 3, length: 3) == [0x9D, 0x01, 0x2A],
              let width = frame.getInteger(at: base + 6, endianness: .little, as: UInt16.self),
              let height = frame.getInteger(at: base + 8, endianness: .little, as: UInt16.self)
        else { return nil }
        return (Int(width & 0x3FFF), Int(height & 0x3FFF))
    }
}
