import NIOCore

/// The VP9 payload descriptor that begins every VP9 RTP payload (RFC 9628 §4.2):
///
/// ```
///        +-+-+-+-+-+-+-+-+
///        |I|P|L|F|B|E|V|Z|  (required)
///   I:   |M| PICTURE ID  |  (second octet when M = 1)
///   L:   | TID |U| SID |D|
///        |   TL0PICIDX   |  (non-flexible mode only)
///   P,F: | P_DIFF      |N|  (flexible mode, up to 3 times)
///   V:   | SS            |
/// ```
public struct VP9PayloadDescriptor: Hashable, Sendable {
    /// The L octets: temporal and spatial layer of the frame.
    public struct LayerIndices: Hashable, Sendable {
        /// TID: temporal layer (0–7).
        public var temporalLayerIndex: UInt8
        /// U: a switching-up point.
        public var isSwitchingUpPoint: Bool
        /// SID: spatial layer (0–7).
        public var spatialLayerIndex: UInt8
        /// D: the frame depends on the spatial layer below.
        public var dependsOnLowerSpatialLayer: Bool
        /// TL0PICIDX: running index of base temporal layer frames; present in non-flexible mode only.
        public var tl0PictureIndex: UInt8?

        /// Creates layer indices.
        public init(temporalLayerIndex: UInt8, isSwitchingUpPoint: Bool = false, spatialLayerIndex: UInt8,
                    dependsOnLowerSpatialLayer: Bool = false, tl0PictureIndex: UInt8? = nil) {
            self.temporalLayerIndex = temporalLayerIndex
            self.isSwitchingUpPoint = isSwitchingUpPoint
            self.spatialLayerIndex = spatialLayerIndex
            self.dependsOnLowerSpatialLayer = dependsOnLowerSpatialLayer
            self.tl0PictureIndex = tl0PictureIndex
        }
    }

    /// P: the frame uses inter-picture prediction (false on key frames).
    public var isInterPicturePredicted: Bool
    /// F: flexible mode (references in the descriptor) rather than non-flexible (a GOF in the SS).
    public var isFlexibleMode: Bool
    /// B: the payload begins a frame.
    public var isStartOfFrame: Bool
    /// E: the payload ends a frame.
    public var isEndOfFrame: Bool
    /// Z: the frame is not used as a reference by higher spatial layers.
    public var isNotReferenceForUpperSpatialLayers: Bool
    /// I: the picture ID, 7 or 15 bits.
    public var pictureID: RTPPictureID?
    /// L: the layer indices.
    public var layerIndices: LayerIndices?
    /// P_DIFF values of flexible mode with P = 1: how many pictures back each reference is (1–3
    /// values of 1–127).
    public var referenceDifferences: [UInt8]
    /// V: the scalability structure.
    public var scalabilityStructure: VP9ScalabilityStructure?

    /// Creates a descriptor.
    public init(isInterPicturePredicted: Bool, isFlexibleMode: Bool = false, isStartOfFrame: Bool, isEndOfFrame: Bool,
                isNotReferenceForUpperSpatialLayers: Bool = false, pictureID: RTPPictureID? = nil,
                layerIndices: LayerIndices? = nil, referenceDifferences: [UInt8] = [],
                scalabilityStructure: VP9ScalabilityStructure? = nil) {
        self.isInterPicturePredicted = isInterPicturePredicted
        self.isFlexibleMode = isFlexibleMode
        self.isStartOfFrame = isStartOfFrame
        self.isEndOfFrame = isEndOfFrame
        self.isNotReferenceForUpperSpatialLayers = isNotReferenceForUpperSpatialLayers
        self.pictureID = pictureID
        self.layerIndices = layerIndices
        self.referenceDifferences = referenceDifferences
        self.scalabilityStructure = scalabilityStructure
    }

    /// Whether the P_DIFF octets are on the wire: flexible mode and inter-predicted.
    var hasReferenceDifferences: Bool { isFlexibleMode && isInterPicturePredicted }

    /// Octets the descriptor takes on the wire.
    public var serializedSize: Int {
        var size = 1 + (pictureID?.serializedSize ?? 0)
        if layerIndices != nil { size += isFlexibleMode ? 1 : 2 }
        if hasReferenceDifferences { size += max(1, min(referenceDifferences.count, 3)) }
        return size + (scalabilityStructure?.serializedSize ?? 0)
    }

    /// Parses the descriptor at the start of `payload` and returns it with the VP9 data that
    /// follows (a view, not a copy) (RFC 9628 §4.2). Throws for truncation and for flexible-mode
    /// references that are zero or more than three.
    public static func parse(_ payload: ByteBuffer) throws(RTPPayloadError) -> (descriptor: VP9PayloadDescriptor, media: ByteBuffer) {
        let base = payload.readerIndex
        let length = payload.readableBytes
        var offset = 0
        func byte() throws(RTPPayloadError) -> UInt8 {
            guard let value = payload.getInteger(at: base + offset, as: UInt8.self) else {
                throw offset == 0 ? .emptyPayload : .truncatedDescriptor(needed: offset + 1, available: length)
            }
            offset += 1
            return value
        }
        let b0 = try byte()
        var descriptor = VP9PayloadDescriptor(isInterPicturePredicted: b0 & 0x40 != 0, isFlexibleMode: b0 & 0x10 != 0,
                                              isStartOfFrame: b0 & 0x08 != 0, isEndOfFrame: b0 & 0x04 != 0,
                                              isNotReferenceForUpperSpatialLayers: b0 & 0x01 != 0)
        if b0 & 0x80 != 0 {
            let id = try RTPPictureID.read(payload, at: offset)
            descriptor.pictureID = id
            offset += id.serializedSize
        }
        if b0 & 0x20 != 0 {
            let l = try byte()
            var layers = LayerIndices(temporalLayerIndex: l >> 5, isSwitchingUpPoint: l & 0x10 != 0,
                                      spatialLayerIndex: (l >> 1) & 0x07, dependsOnLowerSpatialLayer: l & 0x01 != 0)
            if !descriptor.isFlexibleMode { layers.tl0PictureIndex = try byte() }
            descriptor.layerIndices = layers
        }
        if descriptor.hasReferenceDifferences {
            while true {
                let value = try byte()
                guard value >> 1 != 0 else { throw .invalidField("VP9 P_DIFF of zero") }
                descriptor.referenceDifferences.append(value >> 1)
                if value & 0x01 == 0 { break }
                guard descriptor.referenceDifferences.count < 3 else { throw .invalidField("VP9 more than 3 references") }
            }
        }
        if b0 & 0x02 != 0 {
            let (ss, size) = try VP9ScalabilityStructure.read(payload, at: offset)
            descriptor.scalabilityStructure = ss
            offset += size
        }
        let media = payload.getSlice(at: base + offset, length: length - offset) ?? ByteBuffer()
        return (descriptor, media)
    }

    /// Appends the descriptor (RFC 9628 §4.2). In flexible mode with P = 1 an empty
    /// ``referenceDifferences`` is written as one reference to the previous picture.
    public func write(into buffer: inout ByteBuffer) {
        var b0: UInt8 = 0
        if pictureID != nil { b0 |= 0x80 }
        if isInterPicturePredicted { b0 |= 0x40 }
        if layerIndices != nil { b0 |= 0x20 }
        if isFlexibleMode { b0 |= 0x10 }
        if isStartOfFrame { b0 |= 0x08 }
        if isEndOfFrame { b0 |= 0x04 }
        if scalabilityStructure != nil { b0 |= 0x02 }
        if isNotReferenceForUpperSpatialLayers { b0 |= 0x01 }
        buffer.writeInteger(b0)
        pictureID?.write(into: &buffer)
        if let layerIndices {
            var l = (layerIndices.temporalLayerIndex & 0x07) << 5 | (layerIndices.spatialLayerIndex & 0x07) << 1
            if layerIndices.isSwitchingUpPoint { l |= 0x10 }
            if layerIndices.dependsOnLowerSpatialLayer { l |= 0x01 }
            buffer.writeInteger(l)
            if !isFlexibleMode { buffer.writeInteger(layerIndices.tl0PictureIndex ?? 0) }
        }
        if hasReferenceDifferences {
            let diffs = referenceDifferences.isEmpty ? [1] : Array(referenceDifferences.prefix(3))
            for (i, diff) in diffs.enumerated() {
                buffer.writeInteger((diff & 0x7F) << 1 | (i < diffs.count - 1 ? 1 : 0))
            }
        }
        scalabilityStructure?.write(into: &buffer)
    }
}
