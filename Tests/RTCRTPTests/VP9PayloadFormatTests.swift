import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// RFC 9628: the VP9 payload descriptor and scalability structure in both modes, the
/// non-flexible payloader, key-frame detection and hostile payloads.
@Suite struct VP9PayloadFormatTests {
    static func parse(_ bytes: [UInt8]) throws(RTPPayloadError) -> (VP9PayloadDescriptor, [UInt8]) {
        let (descriptor, media) = try VP9PayloadDescriptor.parse(ByteBuffer(bytes: bytes))
        return (descriptor, Array(media.readableBytesView))
    }

    static func bytes(of descriptor: VP9PayloadDescriptor) -> [UInt8] {
        var buffer = ByteBuffer()
        descriptor.write(into: &buffer)
        #expect(buffer.readableBytes == descriptor.serializedSize)
        return Array(buffer.readableBytesView)
    }

    /// A VP9 profile-0 key frame header (VP9 bitstream §6.2): frame marker, profile, show
    /// flags, sync code 49 83 42, colour space BT.601 with studio range, then width−1 and
    /// height−1 in 16 bits each, followed by `tail` bytes.
    static func keyFrame(width: Int, height: Int, tail: [UInt8] = [0xAB, 0xCD]) -> [UInt8] {
        var bits: [UInt8] = [1, 0, 0, 0, 0, 0, 1, 0]  // marker 10, profile 0, show_existing 0, key, show_frame 1, error_res 0
        for byte: UInt8 in [0x49, 0x83, 0x42] { bits += (0..<8).map { byte >> (7 - $0) & 1 } }
        bits += [0, 0, 1, 0]  // color_space 1, color_range 0
        bits += (0..<16).map { UInt8((width - 1) >> (15 - $0) & 1) }
        bits += (0..<16).map { UInt8((height - 1) >> (15 - $0) & 1) }
        while bits.count % 8 != 0 { bits.append(0) }
        return stride(from: 0, to: bits.count, by: 8).map { i in bits[i..<i + 8].reduce(0) { $0 << 1 | $1 } } + tail
    }

    /// Vectors written from the RFC 9628 §4.2 and §4.2.1 bit layouts.
    @Test func descriptorVectorsDecodeAndEncodeBitForBit() throws {
        // Non-flexible key frame start: I L B V; picture ID 0x1234; TID 0 SID 0; TL0PICIDX 7;
        // SS with one 640×480 layer and a one-picture group referring one picture back.
        let nonFlexible: [UInt8] = [0xAA, 0x92, 0x34, 0x00, 0x07, 0x18, 0x02, 0x80, 0x01, 0xE0, 0x01, 0x04, 0x01]
        let (a, mediaA) = try Self.parse(nonFlexible + [0x82])
        #expect(a == VP9PayloadDescriptor(
            isInterPicturePredicted: false, isStartOfFrame: true, isEndOfFrame: false, pictureID: .long(0x1234),
            layerIndices: .init(temporalLayerIndex: 0, spatialLayerIndex: 0, tl0PictureIndex: 7),
            scalabilityStructure: VP9ScalabilityStructure(spatialLayerCount: 1, resolutions: [.init(width: 640, height: 480)],
                                                          pictureGroup: [.init(temporalLayerIndex: 0, referenceDifferences: [1])])))
        #expect(mediaA == [0x82])
        #expect(Self.bytes(of: a) == nonFlexible)

        // Flexible inter frame: I P L F B E; short picture ID 5; TID 2 U SID 1 D; P_DIFF 3 (N) and 10.
        let flexible: [UInt8] = [0xFC, 0x05, 0x53, 0x07, 0x14]
        let (b, mediaB) = try Self.parse(flexible + [9, 9])
        #expect(b == VP9PayloadDescriptor(
            isInterPicturePredicted: true, isFlexibleMode: true, isStartOfFrame: true, isEndOfFrame: true, pictureID: .short(5),
            layerIndices: .init(temporalLayerIndex: 2, isSwitchingUpPoint: true, spatialLayerIndex: 1, dependsOnLowerSpatialLayer: true),
            referenceDifferences: [3, 10]))
        #expect(mediaB == [9, 9])
        #expect(Self.bytes(of: b) == flexible)

        // B E Z only.
        let (c, _) = try Self.parse([0x0D, 1])
        #expect(c.isNotReferenceForUpperSpatialLayers && c.isStartOfFrame && c.isEndOfFrame && c.pictureID == nil)
        #expect(Self.bytes(of: c) == [0x0D])

        // SS with two spatial layers, resolutions only (N_S = 1, Y).
        let twoLayers: [UInt8] = [0x02, 0x30, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68]
        let (d, _) = try Self.parse(twoLayers + [0])
        #expect(d.scalabilityStructure == VP9ScalabilityStructure(spatialLayerCount: 2, resolutions: [
            .init(width: 320, height: 180), .init(width: 640, height: 360)]))
        #expect(Self.bytes(of: d) == twoLayers)
    }

    @Test func truncatedAndImpossibleDescriptorsAreTypedErrors() {
        #expect(throws: RTPPayloadError.emptyPayload) { try Self.parse([]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try Self.parse([0x80]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) { try Self.parse([0x80, 0x80]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try Self.parse([0x20]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) { try Self.parse([0x20, 0x00]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try Self.parse([0x50]) }
        #expect(throws: RTPPayloadError.invalidField("VP9 P_DIFF of zero")) { try Self.parse([0x50, 0x00]) }
        #expect(throws: RTPPayloadError.invalidField("VP9 more than 3 references")) { try Self.parse([0x50, 0x03, 0x03, 0x03]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 4, available: 3)) { try Self.parse([0x02, 0x18, 0x02]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 4, available: 3)) { try Self.parse([0x02, 0x08, 0x01]) }
    }

    @Test func theKeyFrameHeaderGivesTypeAndResolution() {
        let key = VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: Self.keyFrame(width: 1280, height: 720)))
        #expect(key == VP9PayloadFormat.FrameHeader(isKeyFrame: true, width: 1280, height: 720))
        #expect(VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: [0x86, 0x00])) == .init(isKeyFrame: false))
        #expect(VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: [0x88])) == .init(isKeyFrame: false))  // show_existing_frame
        #expect(VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: [0x42])) == nil)  // frame marker 01
        #expect(VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: [0x82, 0x49])) == .init(isKeyFrame: true))  // cut short
    }

    @Test func randomFramesRoundTripAtSeveralPayloadSizes() throws {
        var rng = SeededRandom(seed: 9628)
        var format = VP9PayloadFormat(firstPictureID: 0x7FFF, firstTL0PictureIndex: 255)
        var pictureID: UInt16 = 0x7FFF
        var tl0: UInt8 = 255
        for maxPayloadSize in [20, 90, 500, 1_188] {
            for round in 0..<30 {
                let isKey = round % 5 == 0
                let frame = isKey ? Self.keyFrame(width: 640, height: 480, tail: rng.bytes(Int(rng.next() % 9_000)))
                                  : [0x86] + rng.bytes(Int(rng.next() % 6_000))
                let payloads = try format.packetize(frame, maxPayloadSize: maxPayloadSize)
                #expect(payloads.allSatisfy { $0.readableBytes <= maxPayloadSize })
                for (i, payload) in payloads.enumerated() {
                    let (descriptor, _) = try VP9PayloadDescriptor.parse(payload)
                    #expect(descriptor.isStartOfFrame == (i == 0) && descriptor.isEndOfFrame == (i == payloads.count - 1))
                    #expect(descriptor.pictureID == .long(pictureID) && descriptor.layerIndices?.tl0PictureIndex == tl0)
                    #expect(!descriptor.isFlexibleMode && descriptor.isInterPicturePredicted == !isKey)
                    let expectedSS = isKey && i == 0
                        ? VP9ScalabilityStructure(spatialLayerCount: 1, resolutions: [.init(width: 640, height: 480)],
                                                  pictureGroup: [.init(temporalLayerIndex: 0, referenceDifferences: [1])])
                        : nil
                    #expect(descriptor.scalabilityStructure == expectedSS)
                }
                pictureID = (pictureID + 1) & 0x7FFF
                tl0 &+= 1
                let rebuilt = try VP9PayloadFormat.depacketize(payloads)
                #expect(Array(rebuilt.data.readableBytesView) == frame)
                #expect(rebuilt.isKeyFrame == isKey)
            }
        }
    }

    @Test func keyFramesNeedPZeroOnTheFirstPayloadOfTheBaseLayer() throws {
        func picture(_ first: UInt8, layers: [UInt8]) -> [[UInt8]] {
            layers.enumerated().map { i, l in [i == 0 ? first : first & ~0x40 | 0x40, l, 0, 0xEE] }
        }
        // P=0 B E L (non-flexible: L octet then TL0PICIDX), spatial layers 0 and 1.
        let key = try VP9PayloadFormat.depacketize(picture(0x2C, layers: [0x00, 0x03]))
        #expect(key.isKeyFrame)
        #expect(Array(key.data.readableBytesView) == [0xEE, 0xEE])
        #expect(!(try VP9PayloadFormat.depacketize(picture(0x6C, layers: [0x00]))).isKeyFrame)  // P=1
        #expect(!(try VP9PayloadFormat.depacketize(picture(0x2C, layers: [0x02]))).isKeyFrame)  // starts at SID 1
    }

    @Test func payloadsThatDoNotFormOnePictureAreRefused() throws {
        var format = VP9PayloadFormat()
        let a = try format.packetize([0x86] + [UInt8](repeating: 7, count: 40), maxPayloadSize: 20)
        let b = try format.packetize([0x86] + [UInt8](repeating: 8, count: 40), maxPayloadSize: 20)
        #expect(a.count >= 3)
        #expect(throws: RTPPayloadError.noPayloads) { try VP9PayloadFormat.depacketize([ByteBuffer]()) }
        #expect(throws: RTPPayloadError.missingFrameStart) { try VP9PayloadFormat.depacketize(Array(a.dropFirst())) }
        #expect(throws: RTPPayloadError.incompleteFrame) { try VP9PayloadFormat.depacketize(Array(a.dropLast())) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try VP9PayloadFormat.depacketize([a[0], b[0]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try VP9PayloadFormat.depacketize([a[0], b[1], a[a.count - 1]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try VP9PayloadFormat.depacketize([[0x0C, 1], [0x04, 2]]) }
        #expect(throws: RTPPayloadError.emptyPayload) { try VP9PayloadFormat.depacketize([[0x0C]]) }
        #expect(throws: RTPPayloadError.maxPayloadSizeTooSmall(minimum: 6, given: 5)) { try format.packetize([UInt8(0x86)], maxPayloadSize: 5) }
        #expect(throws: RTPPayloadError.emptyPayload) { try format.packetize([UInt8](), maxPayloadSize: 100) }
    }

    @Test func seededRandomAndMutatedPayloadsNeverCrashTheDepacketizer() throws {
        var rng = SeededRandom(seed: 0x9628)
        var format = VP9PayloadFormat()
        var outcomes = Set<String>()
        for round in 0..<3_000 {
            let frame = round % 4 == 0 ? Self.keyFrame(width: 320, height: 240, tail: rng.bytes(200)) : rng.bytes(1 + Int(rng.next() % 400))
            var payloads = try format.packetize(frame, maxPayloadSize: 60).map { Array($0.readableBytesView) }
            if round % 3 == 0 {
                payloads = (0..<Int(rng.next() % 4)).map { _ in rng.bytes(Int(rng.next() % 16)) }
            } else {
                let victim = Int(rng.next() % UInt64(payloads.count))
                rng.mutate(&payloads[victim])
            }
            do {
                let picture = try VP9PayloadFormat.depacketize(payloads)
                #expect(picture.data.readableBytes <= payloads.reduce(0) { $0 + $1.count })
                #expect(try VP9PayloadFormat.depacketize(try format.packetize(picture.data, maxPayloadSize: 72)).data == picture.data)
                outcomes.insert("frame")
            } catch {
                outcomes.insert("\(error)".prefix(while: { $0 != "(" }).description)
            }
            _ = VP9PayloadFormat.frameHeader(of: ByteBuffer(bytes: payloads.first ?? []))
        }
        #expect(outcomes.contains("frame") && outcomes.count >= 5)
    }
}
