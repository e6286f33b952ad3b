import NIOCore

/// The VP8 payload descriptor that begins every VP8 RTP payload (RFC 7741 §4.2):
///
/// ```
///       +-+-+-+-+-+-+-+-+
///       |X|R|N|S|R| PID |  (required)
///  X:   |I|L|T|K| RSV   |
///  I:   |M| PictureID   |  (second octet when M = 1)
///  L:   |   TL0PICIDX   |
///  T/K: |TID|Y| KEYIDX  |
///       +-+-+-+-+-+-+-+-+
/// ```
///
/// Reserved bits are ignored when parsing and written as zero (RFC 7741 §4.2).
public struct VP8PayloadDescriptor: Hashable, Sendable {
    /// N: the frame can be discarded without affecting any other frame (RFC 7741 §4.2).
    public var isNonReference: Bool
    /// S: the payload begins a VP8 partition; with ``partitionIndex`` 0 it begins the frame.
    public var isStartOfPartition: Bool
    /// PID: the index (0–7) of the partition the payload begins in.
    public var partitionIndex: UInt8
    /// I: the picture ID, 7 or 15 bits.
    public var pictureID: RTPPictureID?
    /// L: the running index of base-layer (TID 0) frames.
    public var tl0PictureIndex: UInt8?
    /// T: the temporal layer index TID (0–3).
    public var temporalLayerIndex: UInt8?
    /// Y: the frame depends only on the base layer (meaningful when ``temporalLayerIndex`` is set).
    public var isLayerSync: Bool
    /// K: KEYIDX (0–31), the running index of key frames' temporal key.
    public var keyIndex: UInt8?

    /// Creates a descriptor; values are masked to their field widths when written.
    public init(isNonReference: Bool = false, isStartOfPartition: Bool, partitionIndex: UInt8 = 0,
                pictureID: RTPPictureID? = nil, tl0PictureIndex: UInt8? = nil,
                temporalLayerIndex: UInt8? = nil, isLayerSync: Bool = false, keyIndex: UInt8? = nil) {
        self.isNonReference = isNonReference
        self.isStartOfPartition = isStartOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.tl0PictureIndex = tl0PictureIndex
        self.temporalLayerIndex = temporalLayerIndex
        self.isLayerSync = isLayerSync
        self.keyIndex = keyIndex
    }

    /// Whether the payload begins a frame: S = 1 and PID = 0 (RFC 7741 §4.2).
    public var isStartOfFrame: Bool { isStartOfPartition && partitionIndex == 0 }

    /// Whether the X octet is needed.
    var hasExtension: Bool {
        pictureID != nil || tl0PictureIndex != nil || temporalLayerIndex != nil || keyIndex != nil
    }

    /// Octets the descriptor takes on the wire.
    public var serializedSize: Int {
        guard hasExtension else { return 1 }
        var size = 2 + (pictureID?.serializedSize ?? 0)
        if tl0PictureIndex != nil { size += 1 }
        if temporalLayerIndex != nil || keyIndex != nil { size += 1 }
        return size
    }

    /// Parses the descriptor at the start of `payload` and returns it with the VP8 data that
    /// follows (a view, not a copy) (RFC 7741 §4.2).
    public static func parse(_ payload: ByteBuffer) throws(RTPPayloadError) -> (descriptor: VP8PayloadDescriptor, media: ByteBuffer) {
        let base = payload.readerIndex
        let length = payload.readableBytes
        guard let b0 = payload.getInteger(at: base, as: UInt8.self) else { throw .emptyPayload }
        var descriptor = VP8PayloadDescriptor(isNonReference: b0 & 0x20 != 0, isStartOfPartition: b0 & 0x10 != 0,
                                              partitionIndex: b0 & 0x07)
        var offset = 1
        if b0 & 0x80 != 0 {
            guard let x = payload.getInteger(at: base + 1, as: UInt8.self) else {
                throw .truncatedDescriptor(needed: 2, available: length)
            }
            offset = 2
            if x & 0x80 != 0 {
                let id = try RTPPictureID.read(payload, at: offset)
                descriptor.pictureID = id
                offset += id.serializedSize
            }
            if x & 0x40 != 0 {
                guard let tl0 = payload.getInteger(at: base + offset, as: UInt8.self) else {
                    throw .truncatedDescriptor(needed: offset + 1, available: length)
                }
                descriptor.tl0PictureIndex = tl0
                offset += 1
            }
            if x & 0x30 != 0 {
                guard let tk = payload.getInteger(at: base + offset, as: UInt8.self) else {
                    throw .truncatedDescriptor(needed: offset + 1, available: length)
                }
                if x & 0x20 != 0 {
                    descriptor.temporalLayerIndex = tk >> 6
                    descriptor.isLayerSync = tk & 0x20 != 0
                }
                if x & 0x10 != 0 { descriptor.keyIndex = tk & 0x1F }
                offset += 1
            }
        }
        let media = payload.getSlice(at: base + offset, length: length - offset) ?? ByteBuffer()
        return (descriptor, media)
    }

    /// Appends the descriptor (RFC 7741 §4.2).
    public func write(into buffer: inout ByteBuffer) {
        var b0 = partitionIndex & 0x07
        if hasExtension { b0 |= 0x80 }
        if isNonReference { b0 |= 0x20 }
        if isStartOfPartition { b0 |= 0x10 }
        buffer.writeInteger(b0)
        guard hasExtension else { return }
        var x: UInt8 = 0
        if pictureID != nil { x |= 0x80 }
        if tl0PictureIndex != nil { x |= 0x40 }
        if temporalLayerIndex != nil { x |= 0x20 }
        if keyIndex != nil { x |= 0x10 }
        buffer.writeInteger(x)
        pictureID?.write(into: &buffer)
        if let tl0PictureIndex { buffer.writeInteger(tl0PictureIndex) }
        if temporalLayerIndex != nil || keyIndex != nil {
            var tk: UInt8 = 0
            if let temporalLayerIndex {
                tk |= (temporalLayerIndex & 0x03) << 6
                if isLayerSync { tk |= 0x20 }
            }
            if let keyIndex { tk |= keyIndex & 0x1F }
            buffer.writeInteger(tk)
        }
    }
}
