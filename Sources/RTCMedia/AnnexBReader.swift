import NIOCore
import RTCRTP

/// Splits an H.264 Annex B byte stream (ITU-T H.264 Annex B) held in memory into access
/// units, the frames of RTP's H.264 payload format.
///
/// A new access unit starts (H.264 §7.4.1.2.3) at an access unit delimiter (type 9), SPS (7),
/// PPS (8), SEI (6) or types 14–18 after a coded slice, and at a coded slice (types 1 and 5)
/// whose `first_mb_in_slice` (the first exp-Golomb field of its header) is 0, i.e. the first
/// slice of a new picture. SPS and PPS therefore travel with the IDR picture that follows
/// them. An access unit is a key frame when it holds an IDR slice (type 5). NAL units
/// before the first slice that lead to no picture (a stream that ends in parameter sets) are
/// dropped. The file has no timestamps: they come from the frame rate you give.
public struct AnnexBReader: Sendable {
    /// One access unit.
    public struct AccessUnit: Hashable, Sendable {
        /// Its NAL units in Annex B form, each after a 4-byte start code.
        public var data: ByteBuffer
        /// Whether it holds an IDR slice.
        public var isKeyFrame: Bool
        /// Its position in the stream, from 0.
        public var index: Int
        /// `index` frames at the frame rate: index × 1 s / frames per second.
        public var timestamp: TimeAmount
        /// The NAL unit types it holds, in order.
        public var nalUnitTypes: [UInt8]
    }

    /// Frames per second the timestamps assume (e.g. 30, or 30000/1001 for NTSC's 29.97).
    public let framesPerSecond: Double
    private let units: [ByteBuffer]
    private var next = 0
    private var accessUnitCount = 0

    /// Creates a reader over `stream` at `framesPerSecond` (above 0, at most 1000). Throws
    /// ``MediaReaderError/malformed(_:)`` for a frame rate out of range or a NAL unit whose
    /// forbidden_zero_bit is set.
    public init(_ stream: ByteBuffer, framesPerSecond: Double) throws(MediaReaderError) {
        guard framesPerSecond > 0, framesPerSecond <= 1_000 else { throw .malformed("frame rate \(framesPerSecond)") }
        self.framesPerSecond = framesPerSecond
        units = H264PayloadFormat.nalUnits(inAnnexB: stream)
        for unit in units where (unit.getInteger(at: unit.readerIndex, as: UInt8.self) ?? 0) & 0x80 != 0 {
            throw .malformed("NAL unit with forbidden_zero_bit set")
        }
    }

    /// The next access unit, or nil at the end of the stream.
    public mutating func nextAccessUnit() -> AccessUnit? {
        var nals: [ByteBuffer] = []
        var types: [UInt8] = []
        var hasSlice = false
        while next < units.count {
            let unit = units[next]
            let type = H264PayloadFormat.type(of: unit) ?? 0
            if hasSlice, Self.startsAccessUnit(unit, type: type) { break }
            nals.append(unit)
            types.append(type)
            if type == 1 || type == 5 { hasSlice = true }
            next += 1
        }
        guard hasSlice else { return nil }
        var data = ByteBuffer()
        data.reserveCapacity(nals.reduce(0) { $0 + 4 + $1.readableBytes })
        for nal in nals {
            data.writeInteger(UInt32(1))
            data.writeImmutableBuffer(nal)
        }
        let index = accessUnitCount
        accessUnitCount += 1
        let timestamp = Self.time(ofFrame: index, framesPerSecond: framesPerSecond)
        return AccessUnit(data: data, isKeyFrame: types.contains(H264PayloadFormat.NALUnitType.idrSlice), index: index,
                          timestamp: timestamp, nalUnitTypes: types)
    }

    /// When frame `index` starts at `framesPerSecond`: index × 1 s / frames per second, to the
    /// nearest nanosecond (computed from the index, so it does not drift).
    public static func time(ofFrame index: Int, framesPerSecond: Double) -> TimeAmount {
        .nanoseconds(Int64((Double(index) * 1_000_000_000 / framesPerSecond).rounded()))
    }

    /// Whether NAL unit `unit` of `type`, after a coded slice, begins a new access unit.
    static func startsAccessUnit(_ unit: ByteBuffer, type: UInt8) -> Bool {
        switch type {
        case 6, 7, 8, 9, 14...18: return true
        case 1, 5: return firstMacroblock(ofSlice: unit) == 0
        default: return false
        }
    }

    /// `first_mb_in_slice`, the ue(v) after a slice NAL unit's header byte (H.264 §7.3.3,
    /// §9.1), read past emulation prevention bytes; nil when the unit ends first.
    public static func firstMacroblock(ofSlice unit: ByteBuffer) -> UInt32? {
        var bits = RBSPBitReader(unit, skipping: 1)
        return bits.readExpGolomb()
    }
}

/// Reads the bits of a NAL unit's payload (RBSP), most significant first, dropping each
/// emulation prevention byte (`00 00 03` → `00 00`, H.264 §7.4.1).
struct RBSPBitReader {
    private let unit: ByteBuffer
    private var byteIndex: Int
    private var bitIndex = 0
    private var zeros = 0
    private var current: UInt8?

    /// A reader that starts after `skipping` bytes (the NAL unit header).
    init(_ unit: ByteBuffer, skipping: Int) {
        self.unit = unit
        byteIndex = unit.readerIndex + skipping
    }

    /// The next bit, or nil at the end.
    mutating func readBit() -> UInt32? {
        if current == nil || bitIndex == 8 {
            guard var byte = unit.getInteger(at: byteIndex, as: UInt8.self) else { return nil }
            byteIndex += 1
            if zeros >= 2, byte == 3 {
                guard let following = unit.getInteger(at: byteIndex, as: UInt8.self) else { return nil }
                byteIndex += 1
                byte = following
                zeros = 0
            }
            zeros = byte == 0 ? zeros + 1 : 0
            current = byte
            bitIndex = 0
        }
        guard let byte = current else { return nil }
        defer { bitIndex += 1 }
        return UInt32(byte >> (7 - UInt8(bitIndex)) & 1)
    }

    /// An unsigned exp-Golomb code ue(v) (H.264 §9.1): up to 31 leading zeros.
    mutating func readExpGolomb() -> UInt32? {
        var leadingZeros = 0
        while true {
            guard let bit = readBit() else { return nil }
            if bit == 1 { break }
            leadingZeros += 1
            guard leadingZeros <= 31 else { return nil }
        }
        var value: UInt64 = 0
        for _ in 0..<leadingZeros {
            guard let bit = readBit() else { return nil }
            value = value << 1 | UInt64(bit)
        }
        return UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(leadingZeros)) - 1 + value)
    }
}
