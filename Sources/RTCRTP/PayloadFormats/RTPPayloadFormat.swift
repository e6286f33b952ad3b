import NIOCore

/// An RTP payload format: how one encoded media frame is split into the payloads of RTP
/// packets (the payloader) and how those payloads become the frame again (the depacketizer).
///
/// Both directions are sans-IO and work on payloads only: the caller (the send or receive
/// stream) owns RTP headers, sequence numbers and timestamps, sets the marker bit on the last
/// payload a `packetize` call returns, and hands `depacketize` the payloads of one frame
/// (same timestamp, in sequence order, ending with the marker bit).
///
/// Depacketizers treat every payload as hostile: malformed input throws a typed
/// ``RTPPayloadError``, never traps, and the output is never larger than a small constant
/// factor of the input.
public protocol RTPPayloadFormat: Sendable {
    /// The RTP timestamp clock rate of the format in Hz (48 000 for Opus, 90 000 for video).
    static var clockRate: Int { get }

    /// Splits one encoded frame into RTP payloads, none larger than `maxPayloadSize` bytes
    /// (the MTU minus IP, UDP, SRTP and RTP header overhead).
    mutating func packetize(_ frame: ByteBuffer, maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer]

    /// Rebuilds one encoded frame from the payloads of its RTP packets, in sequence order.
    static func depacketize(_ payloads: [ByteBuffer]) throws(RTPPayloadError) -> RTPEncodedFrame

    /// Whether `payload` may be the first payload of a frame, judged from its payload
    /// descriptor alone (never throws; a malformed payload is not a start). A receiver uses it
    /// to resume after a loss. The default says yes, which suits formats whose every payload
    /// is a whole frame (Opus).
    static func isFrameStart(_ payload: ByteBuffer) -> Bool

    /// Whether `payload` is the first payload of a key frame — a frame a decoder can start at —
    /// judged from this one payload (never throws; a malformed payload is not one). A forwarder
    /// uses it to start or switch a subscriber's stream. The default is ``isFrameStart(_:)``,
    /// which suits formats whose every frame is a key frame (Opus).
    static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool
}

extension RTPPayloadFormat {
    /// Every payload starts a frame unless the format says otherwise.
    public static func isFrameStart(_ payload: ByteBuffer) -> Bool { true }

    /// Every frame start is a key-frame start unless the format says otherwise.
    public static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool { isFrameStart(payload) }
}

extension RTPPayloadFormat {
    /// Splits one encoded frame given as bytes; see ``packetize(_:maxPayloadSize:)``.
    public mutating func packetize(_ frame: [UInt8], maxPayloadSize: Int) throws(RTPPayloadError) -> [ByteBuffer] {
        try packetize(ByteBuffer(bytes: frame), maxPayloadSize: maxPayloadSize)
    }

    /// Rebuilds one encoded frame from payloads given as bytes; see ``depacketize(_:)``.
    public static func depacketize(_ payloads: [[UInt8]]) throws(RTPPayloadError) -> RTPEncodedFrame {
        try depacketize(payloads.map { ByteBuffer(bytes: $0) })
    }
}

/// One encoded media frame as the codec produces and consumes it (an Opus packet, a VP8 or
/// VP9 frame, an H.264 access unit in Annex B form).
public struct RTPEncodedFrame: Hashable, Sendable {
    /// The encoded bytes.
    public var data: ByteBuffer
    /// Whether a decoder can start at this frame (an Opus packet, a VP8/VP9 key frame, an
    /// H.264 access unit with an IDR slice).
    public var isKeyFrame: Bool

    /// Creates a frame.
    public init(data: ByteBuffer, isKeyFrame: Bool) {
        self.data = data
        self.isKeyFrame = isKeyFrame
    }
}

/// Why a frame could not be packetized or depacketized. Every case is a refusal of input,
/// never a sign of internal failure.
public enum RTPPayloadError: Error, Hashable, Sendable {
    /// `depacketize` was given no payloads.
    case noPayloads
    /// The format carries a frame in exactly `expected` payloads but got `count` (Opus: 1).
    case unexpectedPayloadCount(expected: Int, count: Int)
    /// A payload (or the frame to packetize) holds no bytes where the format needs some.
    case emptyPayload
    /// A payload descriptor or header needs `needed` bytes but only `available` remain.
    case truncatedDescriptor(needed: Int, available: Int)
    /// The first payload does not begin a frame (VP8 S=0 or PID≠0, VP9 B=0, an H.264 FU-A
    /// continuation).
    case missingFrameStart
    /// The payloads end in the middle of a frame (VP9 E=0 on the last one, an H.264 FU-A without
    /// its end fragment).
    case incompleteFrame
    /// The payloads of one frame disagree (different picture IDs, a fragment that does not
    /// continue the one before it, a frame start in the middle).
    case inconsistentPayloads
    /// The payload has a packet or NAL unit type this depacketizer does not accept.
    case unsupportedPacketType(UInt8)
    /// An aggregation packet's length fields do not match its size (H.264 STAP-A).
    case malformedAggregate
    /// A field has a value the format forbids (reserved bits, impossible layer counts).
    case invalidField(String)
    /// `maxPayloadSize` is smaller than the `minimum` this format needs.
    case maxPayloadSizeTooSmall(minimum: Int, given: Int)
    /// The frame cannot be split and is larger than `maxPayloadSize` (Opus).
    case frameTooLarge(size: Int, maxPayloadSize: Int)
}

/// A VP8 or VP9 picture ID: 7 bits (M=0) or 15 bits (M=1) (RFC 7741 §4.2, RFC 9628 §4.2).
public enum RTPPictureID: Hashable, Sendable {
    /// A 7-bit picture ID, one octet on the wire.
    case short(UInt8)
    /// A 15-bit picture ID, two octets on the wire with the M bit set.
    case long(UInt16)

    /// The numeric value.
    public var value: UInt16 {
        switch self {
        case .short(let v): UInt16(v & 0x7F)
        case .long(let v): v & 0x7FFF
        }
    }

    /// Octets on the wire.
    public var serializedSize: Int {
        if case .short = self { 1 } else { 2 }
    }

    /// Reads a picture ID at `offset` of `buffer`'s readable bytes.
    static func read(_ buffer: ByteBuffer, at offset: Int) throws(RTPPayloadError) -> RTPPictureID {
        let base = buffer.readerIndex
        guard let first = buffer.getInteger(at: base + offset, as: UInt8.self) else {
            throw .truncatedDescriptor(needed: offset + 1, available: buffer.readableBytes)
        }
        guard first & 0x80 != 0 else { return .short(first) }
        guard let second = buffer.getInteger(at: base + offset + 1, as: UInt8.self) else {
            throw .truncatedDescriptor(needed: offset + 2, available: buffer.readableBytes)
        }
        return .long(UInt16(first & 0x7F) << 8 | UInt16(second))
    }

    /// Appends the picture ID with its M bit.
    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .short(let v): buffer.writeInteger(v & 0x7F)
        case .long(let v): buffer.writeInteger(0x8000 | (v & 0x7FFF))
        }
    }
}

/// Splits `total` bytes into `count` chunk lengths that differ by at most one, largest first,
/// so no packet of a frame is much smaller than the others.
func balancedChunkLengths(total: Int, capacity: Int) -> [Int] {
    let count = max(1, (total + capacity - 1) / capacity)
    let base = total / count
    let extra = total % count
    return (0..<count).map { base + ($0 < extra ? 1 : 0) }
}
