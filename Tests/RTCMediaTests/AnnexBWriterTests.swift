import NIOCore
import RTCMedia
import Testing

@Suite struct AnnexBWriterTests {
    static let sps: [UInt8] = [0x67, 0x42, 0xE0, 0x1F]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    static let idr: [UInt8] = [0x65, 0x88, 0x84]
    static let slice: [UInt8] = [0x41, 0x9A, 0x02]
    static let startCode: [UInt8] = [0, 0, 0, 1]

    @Test func parameterSetsGoBeforeEveryIDRAndStartCodesAreNormalized() throws {
        var writer = AnnexBWriter()
        var out = ByteBuffer()
        #expect(try writer.write(accessUnit: ByteBuffer(bytes: Self.startCode + Self.slice), into: &out) == false,
                "an inter frame before the first key frame is skipped")
        #expect(out.readableBytes == 0 && writer.skippedAccessUnitCount == 1)
        // 3-byte start codes in, 4-byte start codes out.
        let key = [0, 0, 1] + Self.sps + [0, 0, 1] + Self.pps + [0, 0, 1] + Self.idr
        #expect(try writer.write(accessUnit: ByteBuffer(bytes: key), into: &out))
        try writer.write(accessUnit: ByteBuffer(bytes: Self.slice), into: &out)  // a bare NAL unit
        try writer.write(accessUnit: ByteBuffer(bytes: Self.startCode + Self.idr), into: &out)
        #expect(Array(out.readableBytesView) == Self.startCode + Self.sps + Self.startCode + Self.pps + Self.startCode + Self.idr
            + Self.startCode + Self.slice
            + Self.startCode + Self.sps + Self.startCode + Self.pps + Self.startCode + Self.idr)
        #expect(writer.accessUnitCount == 3)
        #expect(try writer.finish(into: &out) == [])
        #expect(throws: MediaWriterError.finished) { try writer.write(accessUnit: ByteBuffer(bytes: Self.idr), into: &out) }
    }

    @Test func anIDRWithoutKnownParameterSetsIsNotAStart() throws {
        var writer = AnnexBWriter()
        var out = ByteBuffer()
        #expect(try writer.write(accessUnit: ByteBuffer(bytes: Self.startCode + Self.idr), into: &out) == false)
        #expect(throws: MediaWriterError.emptyFrame) { try writer.write(accessUnit: ByteBuffer(bytes: [0, 0, 0, 1]), into: &out) }
        var eager = AnnexBWriter(waitsForKeyFrame: false)
        #expect(try eager.write(accessUnit: ByteBuffer(bytes: Self.slice), into: &out))
        #expect(Array(out.readableBytesView) == Self.startCode + Self.slice)
    }
}
