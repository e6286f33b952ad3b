import NIOCore
import RTCRTP
import Testing

/// `RTPPayloadFormat.isKeyFrameStart(_:)`, which a forwarder uses to start or switch a
/// subscriber's stream: true only for the first payload of a key frame.
@Suite struct PayloadFormatKeyFrameStartTests {
    static let filler = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    static func keyStarts<F: RTPPayloadFormat>(_ format: inout F, _ frame: [UInt8], maxPayloadSize: Int = 300) throws -> [Bool] {
        try format.packetize(ByteBuffer(bytes: frame), maxPayloadSize: maxPayloadSize).map { F.isKeyFrameStart($0) }
    }

    @Test func vp8KeyFrameStartsButNotDeltaFramesOrLaterPayloads() throws {
        var vp8 = VP8PayloadFormat()
        #expect(try Self.keyStarts(&vp8, [0x10, 0x02, 0x00] + Self.filler) == [true, false, false, false])  // P = 0
        #expect(try Self.keyStarts(&vp8, [0x11, 0x02, 0x00] + Self.filler) == [false, false, false, false])  // P = 1
    }

    @Test func vp9KeyFrameIsANonPredictedFrameStartInTheBaseSpatialLayer() {
        func payload(predicted: Bool, start: Bool, spatial: UInt8) -> ByteBuffer {
            var buffer = ByteBuffer()
            VP9PayloadDescriptor(isInterPicturePredicted: predicted, isStartOfFrame: start, isEndOfFrame: true, pictureID: .long(7),
                                 layerIndices: .init(temporalLayerIndex: 0, spatialLayerIndex: spatial, tl0PictureIndex: 1))
                .write(into: &buffer)
            buffer.writeBytes([1, 2, 3])
            return buffer
        }
        #expect(VP9PayloadFormat.isKeyFrameStart(payload(predicted: false, start: true, spatial: 0)))
        #expect(!VP9PayloadFormat.isKeyFrameStart(payload(predicted: true, start: true, spatial: 0)))
        #expect(!VP9PayloadFormat.isKeyFrameStart(payload(predicted: false, start: false, spatial: 0)))
        #expect(!VP9PayloadFormat.isKeyFrameStart(payload(predicted: false, start: true, spatial: 1)))
    }

    @Test func h264KeyFrameStartsWithItsParameterSets() throws {
        var h264 = H264PayloadFormat()
        let sps: [UInt8] = [0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1F]
        let pps: [UInt8] = [0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80]
        let idr = [0, 0, 0, 1, 0x65] + Self.filler
        let starts = try Self.keyStarts(&h264, sps + pps + idr)
        #expect(starts.first == true)  // STAP-A with SPS and PPS
        #expect(starts.dropFirst().allSatisfy { !$0 })
        #expect(try Self.keyStarts(&h264, [0, 0, 0, 1, 0x41] + Self.filler).allSatisfy { !$0 })
        #expect(!H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x7C, 0x85, 0xAA])))  // FU-A start of an IDR: SPS/PPS missed
        #expect(H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x67, 0x42, 0x00, 0x1F])))  // a lone SPS
        #expect(H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x78, 0x00, 0x02, 0x65, 0x88])))  // STAP-A with an IDR
        #expect(!H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x7C, 0x05, 0xAA])))  // FU-A continuation
        #expect(!H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x7C, 0x81, 0xAA])))  // FU-A start of a non-IDR
        #expect(!H264PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x78, 0x00, 0x09, 0x67])))  // STAP-A size past the end
    }

    @Test func av1KeyFrameStartsANewCodedVideoSequence() {
        #expect(AV1PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x18, 0x0A, 0x0B])))  // Z = 0, N = 1
        #expect(!AV1PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x10, 0x32, 0x00])))  // N = 0
        #expect(!AV1PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x88, 0x32, 0x00])))  // Z = 1
    }

    @Test func everyOpusPacketIsAKeyFrameAndEmptyPayloadsNever() {
        #expect(OpusPayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x78, 1, 2])))
        #expect(!VP8PayloadFormat.isKeyFrameStart(ByteBuffer()))
        #expect(!VP8PayloadFormat.isKeyFrameStart(ByteBuffer(bytes: [0x10])))  // start, but no VP8 header after it
        #expect(!VP9PayloadFormat.isKeyFrameStart(ByteBuffer()))
        #expect(!H264PayloadFormat.isKeyFrameStart(ByteBuffer()))
        #expect(!AV1PayloadFormat.isKeyFrameStart(ByteBuffer()))
    }
}
