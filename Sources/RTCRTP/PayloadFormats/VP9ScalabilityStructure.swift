import NIOCore

/// The VP9 scalability structure (SS), sent when the descriptor's V bit is set, usually on key
/// frames (RFC 9628 §4.2.1):
///
/// ```
///       +-+-+-+-+-+-+-+-+
///  V:   | N_S |Y|G|-|-|-|
///  Y:   |  WIDTH (16)   |  N_S + 1 times
///       |  HEIGHT (16)  |
///  G:   |      N_G      |
///       |  TID  |U| R |-|-|  N_G times, each followed by R octets P_DIFF
/// ```
public struct VP9ScalabilityStructure: Hashable, Sendable {
    /// The width and height of one spatial layer.
    public struct Resolution: Hashable, Sendable {
        /// Width in pixels.
        public var width: UInt16
        /// Height in pixels.
        public var height: UInt16

        /// Creates a resolution.
        public init(width: UInt16, height: UInt16) {
            self.width = width
            self.height = height
        }
    }

    /// One picture of the group of pictures (GOF) that non-flexible mode repeats.
    public struct PictureGroupEntry: Hashable, Sendable {
        /// TID: the temporal layer (0–7).
        public var temporalLayerIndex: UInt8
        /// U: a switching-up point.
        public var isSwitchingUpPoint: Bool
        /// P_DIFF values: how many pictures back each reference is (at most 3).
        public var referenceDifferences: [UInt8]

        /// Creates an entry.
        public init(temporalLayerIndex: UInt8, isSwitchingUpPoint: Bool = false, referenceDifferences: [UInt8]) {
            self.temporalLayerIndex = temporalLayerIndex
            self.isSwitchingUpPoint = isSwitchingUpPoint
            self.referenceDifferences = referenceDifferences
        }
    }

    /// N_S + 1: the number of spatial layers (1–8).
    public var spatialLayerCount: Int
    /// Y: the resolution of each spatial layer, or nil when absent.
    public var resolutions: [Resolution]?
    /// G: the picture group description, or nil when absent.
    public var pictureGroup: [PictureGroupEntry]?

    /// Creates a scalability structure. `resolutions`, when given, should hold one entry per
    /// spatial layer; `pictureGroup` at most 255 entries of at most 3 references.
    public init(spatialLayerCount: Int, resolutions: [Resolution]? = nil, pictureGroup: [PictureGroupEntry]? = nil) {
        self.spatialLayerCount = spatialLayerCount
        self.resolutions = resolutions
        self.pictureGroup = pictureGroup
    }

    /// Octets on the wire.
    public var serializedSize: Int {
        var size = 1 + 4 * (resolutions == nil ? 0 : min(max(spatialLayerCount, 1), 8))
        if let pictureGroup { size += 1 + pictureGroup.prefix(255).reduce(0) { $0 + 1 + min($1.referenceDifferences.count, 3) } }
        return size
    }

    /// Reads an SS at `offset` of `buffer`'s readable bytes and returns it with its size.
    static func read(_ buffer: ByteBuffer, at offset: Int) throws(RTPPayloadError) -> (VP9ScalabilityStructure, Int) {
        let base = buffer.readerIndex
        let available = buffer.readableBytes
        var cursor = offset
        func byte() throws(RTPPayloadError) -> UInt8 {
            guard let value = buffer.getInteger(at: base + cursor, as: UInt8.self) else {
                throw .truncatedDescriptor(needed: cursor + 1, available: available)
            }
            cursor += 1
            return value
        }
        let header = try byte()
        var ss = VP9ScalabilityStructure(spatialLayerCount: Int(header >> 5) + 1)
        if header & 0x10 != 0 {
            var resolutions: [Resolution] = []
            for _ in 0..<ss.spatialLayerCount {
                let width = UInt16(try byte()) << 8 | UInt16(try byte())
                let height = UInt16(try byte()) << 8 | UInt16(try byte())
                resolutions.append(Resolution(width: width, height: height))
            }
            ss.resolutions = resolutions
        }
        if header & 0x08 != 0 {
            let count = Int(try byte())
            var group: [PictureGroupEntry] = []
            for _ in 0..<count {
                let entry = try byte()
                var diffs: [UInt8] = []
                for _ in 0..<Int((entry >> 2) & 0x03) { diffs.append(try byte()) }
                group.append(PictureGroupEntry(temporalLayerIndex: entry >> 5, isSwitchingUpPoint: entry & 0x10 != 0,
                                               referenceDifferences: diffs))
            }
            ss.pictureGroup = group
        }
        return (ss, cursor - offset)
    }

    /// Appends the SS (RFC 9628 §4.2.1). Counts beyond the field widths are truncated.
    public func write(into buffer: inout ByteBuffer) {
        let layers = min(max(spatialLayerCount, 1), 8)
        var header = UInt8(layers - 1) << 5
        if resolutions != nil { header |= 0x10 }
        if pictureGroup != nil { header |= 0x08 }
        buffer.writeInteger(header)
        if let resolutions {
            for i in 0..<layers {
                let resolution = i < resolutions.count ? resolutions[i] : Resolution(width: 0, height: 0)
                buffer.writeInteger(resolution.width)
                buffer.writeInteger(resolution.height)
            }
        }
        if let pictureGroup {
            let entries = pictureGroup.prefix(255)
            buffer.writeInteger(UInt8(entries.count))
            for entry in entries {
                let diffs = entry.referenceDifferences.prefix(3)
                buffer.writeInteger((entry.temporalLayerIndex & 0x07) << 5 | (entry.isSwitchingUpPoint ? 0x10 : 0) | UInt8(diffs.count) << 2)
                for diff in diffs { buffer.writeInteger(diff) }
            }
        }
    }
}
