import NIOCore
import RTCRTP
import Testing

/// `RTPPayloadFormat.isFrameStart(_:)`, which the frame assembler uses to resume after a loss:
/// true for the first payload a payloader makes of a frame, false for the others.
@Suite struct PayloadFormatFrameStartTests {
    static func starts<F: RTPPayloadFormat>(_ format: inout F, _ frame: [UInt8], maxPayloadSize: Int = 300) throws -> [Bool] {
        try format.packetize(ByteBuffer(bytes: frame), maxPayloadSize: maxPayloadSize).map { F.isFrameStart($0) }
    }

    @Test func firstPayloadOnlyStartsAFrame() throws {
        let filler = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var vp8 = VP8PayloadFormat()
        #expect(try Self.starts(&vp8, [0x10, 0x02, 0x00] + filler) == [true, false, false, false])
        var vp9 = VP9PayloadFormat()
        #expect(try Self.starts(&vp9, [0x86] + filler) == [true, false, false, false])
        var h264 = H264PayloadFormat()
        #expect(try Self.starts(&h264, [0, 0, 0, 1, 0x65] + filler) == [true, false, false, false])
        var av1 = AV1PayloadFormat()
        let obu: [UInt8] = [0x32, 0xE8, 0x07] + filler  // OBU_FRAME with has_size, LEB128 size 1000
        #expect(try Self.starts(&av1, obu) == [true, false, false, false])
        var opus = OpusPayloadFormat()
        #expect(try Self.starts(&opus, [0x78, 1, 2]) == [true])
    }

    @Test func malformedPayloadsAreNotStarts() {
        #expect(!VP8PayloadFormat.isFrameStart(ByteBuffer()))
        #expect(!VP8PayloadFormat.isFrameStart(ByteBuffer(bytes: [0x90])))  // X set, extension missing
        #expect(!VP9PayloadFormat.isFrameStart(ByteBuffer()))
        #expect(!H264PayloadFormat.isFrameStart(ByteBuffer(bytes: [0x7C])))  // FU-A without its header
        #expect(!H264PayloadFormat.isFrameStart(ByteBuffer(bytes: [0x7C, 0x05, 0xAA])))  // FU-A continuation
        #expect(!AV1PayloadFormat.isFrameStart(ByteBuffer(bytes: [0x80, 0x01, 0xAA])))  // Z = 1
    }
}
