import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// RFC 7741: the VP8 payload descriptor, the payloader's splitting and picture IDs, the
/// depacketizer's checks and key-frame detection, and real VP8 from Chromium and aiortc.
@Suite struct VP8PayloadFormatTests {
    static func descriptor(_ bytes: [UInt8]) throws(RTPPayloadError) -> (VP8PayloadDescriptor, [UInt8]) {
        let (descriptor, media) = try VP8PayloadDescriptor.parse(ByteBuffer(bytes: bytes))
        return (descriptor, Array(media.readableBytesView))
    }

    static func bytes(of descriptor: VP8PayloadDescriptor) -> [UInt8] {
        var buffer = ByteBuffer()
        descriptor.write(into: &buffer)
        #expect(buffer.readableBytes == descriptor.serializedSize)
        return Array(buffer.readableBytesView)
    }

    /// Vectors written from the RFC 7741 §4.2 bit layout.
    @Test func descriptorVectorsDecodeAndEncodeBitForBit() throws {
        // |X|R|N|S|R|PID| = 0 0 0 1 0 000: the smallest descriptor, a frame start.
        let (minimal, media) = try Self.descriptor([0x10, 0xAA])
        #expect(minimal == VP8PayloadDescriptor(isStartOfPartition: true))
        #expect(minimal.isStartOfFrame)
        #expect(media == [0xAA])
        #expect(Self.bytes(of: minimal) == [0x10])

        // X N S PID=3; I L T K; short picture ID 5; TL0PICIDX 42; TID 2, Y, KEYIDX 17.
        let full: [UInt8] = [0xB3, 0xF0, 0x05, 0x2A, 0xB1]
        let (parsed, rest) = try Self.descriptor(full + [1, 2, 3])
        #expect(parsed == VP8PayloadDescriptor(isNonReference: true, isStartOfPartition: true, partitionIndex: 3,
                                               pictureID: .short(5), tl0PictureIndex: 42, temporalLayerIndex: 2,
                                               isLayerSync: true, keyIndex: 17))
        #expect(!parsed.isStartOfFrame)
        #expect(rest == [1, 2, 3])
        #expect(Self.bytes(of: parsed) == full)

        // X S; I with M: 15-bit picture ID 0x067D (as Chromium sends it).
        let (long, _) = try Self.descriptor([0x90, 0x80, 0x86, 0x7D, 0x00])
        #expect(long.pictureID == .long(0x067D))
        #expect(long.pictureID?.value == 0x067D)
        #expect(Self.bytes(of: long) == [0x90, 0x80, 0x86, 0x7D])

        // K without T: KEYIDX only; the TID/Y bits of that octet are ignored.
        let (keyOnly, _) = try Self.descriptor([0x80, 0x10, 0xE7])
        #expect(keyOnly.keyIndex == 7 && keyOnly.temporalLayerIndex == nil && !keyOnly.isLayerSync)
        #expect(Self.bytes(of: keyOnly) == [0x80, 0x10, 0x07])
    }

    @Test func reservedBitsAreIgnoredAndWrittenAsZero() throws {
        let (parsed, _) = try Self.descriptor([0x58 | 0x40, 0x00])  // both R bits set, S
        #expect(parsed == VP8PayloadDescriptor(isStartOfPartition: true))
        #expect(Self.bytes(of: parsed) == [0x10])
        let (withRSV, _) = try Self.descriptor([0x90, 0x8F, 0x01])  // RSV bits of the X octet set
        #expect(withRSV.pictureID == .short(1))
        #expect(Self.bytes(of: withRSV) == [0x90, 0x80, 0x01])
    }

    @Test func truncatedDescriptorsAreTypedErrors() {
        #expect(throws: RTPPayloadError.emptyPayload) { try Self.descriptor([]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try Self.descriptor([0x80]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) { try Self.descriptor([0x80, 0x80]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 4, available: 3)) { try Self.descriptor([0x80, 0x80, 0x80]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) { try Self.descriptor([0x80, 0x40]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 4, available: 3)) { try Self.descriptor([0x80, 0xA0, 0x01]) }
    }

    @Test func randomFramesRoundTripAtSeveralPayloadSizes() throws {
        var rng = SeededRandom(seed: 7741)
        var format = VP8PayloadFormat(firstPictureID: 0x7FFE)
        var expectedID: UInt16 = 0x7FFE
        for maxPayloadSize in [5, 40, 300, 1_188] {
            for _ in 0..<40 {
                let frame = rng.bytes(1 + Int(rng.next() % 6_000))
                let payloads = try format.packetize(frame, maxPayloadSize: maxPayloadSize)
                #expect(payloads.allSatisfy { $0.readableBytes <= maxPayloadSize })
                #expect(payloads.count == (frame.count + maxPayloadSize - 5) / (maxPayloadSize - 4))
                let sizes = payloads.map(\.readableBytes)
                #expect(sizes.max()! - sizes.min()! <= 1, "chunks are balanced")
                for (i, payload) in payloads.enumerated() {
                    let (descriptor, _) = try VP8PayloadDescriptor.parse(payload)
                    #expect(descriptor.pictureID == .long(expectedID))
                    #expect(descriptor.isStartOfFrame == (i == 0))
                }
                expectedID = (expectedID + 1) & 0x7FFF
                if frame.count < 3 { continue }  // too short for a VP8 payload header
                let rebuilt = try VP8PayloadFormat.depacketize(payloads)
                #expect(Array(rebuilt.data.readableBytesView) == frame)
                #expect(rebuilt.isKeyFrame == (frame[0] & 1 == 0))
            }
        }
        #expect(format.pictureID == expectedID)
    }

    @Test func keyFramesAreRecognisedFromTheInverseKeyFrameBit() throws {
        var format = VP8PayloadFormat()
        let key: [UInt8] = [0x50, 0x2D, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01, 0x00]
        let frame = try VP8PayloadFormat.depacketize(try format.packetize(key, maxPayloadSize: 8))
        #expect(frame.isKeyFrame)
        let size = try #require(VP8PayloadFormat.keyFrameDimensions(of: frame.data))
        #expect(size.width == 640 && size.height == 480)
        var delta = key
        delta[0] |= 1
        let inter = try VP8PayloadFormat.depacketize(try format.packetize(delta, maxPayloadSize: 8))
        #expect(!inter.isKeyFrame)
        #expect(VP8PayloadFormat.keyFrameDimensions(of: inter.data) == nil)
    }

    @Test func payloadsThatDoNotFormOneFrameAreRefused() throws {
        var format = VP8PayloadFormat(firstPictureID: 9)
        let a = try format.packetize([UInt8](repeating: 0x10, count: 30), maxPayloadSize: 14)
        let b = try format.packetize([UInt8](repeating: 0x11, count: 30), maxPayloadSize: 14)
        #expect(throws: RTPPayloadError.noPayloads) { try VP8PayloadFormat.depacketize([ByteBuffer]()) }
        #expect(throws: RTPPayloadError.missingFrameStart) { try VP8PayloadFormat.depacketize(Array(a.dropFirst())) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try VP8PayloadFormat.depacketize([a[0], b[1]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try VP8PayloadFormat.depacketize([a[0], b[0]]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) {
            try VP8PayloadFormat.depacketize([[0x10, 0x00, 0x00]])
        }
        #expect(throws: RTPPayloadError.maxPayloadSizeTooSmall(minimum: 5, given: 4)) {
            try format.packetize([UInt8(1)], maxPayloadSize: 4)
        }
        #expect(throws: RTPPayloadError.emptyPayload) { try format.packetize([UInt8](), maxPayloadSize: 100) }
    }

    @Test func seededRandomAndMutatedPayloadsNeverCrashTheDepacketizer() throws {
        var rng = SeededRandom(seed: 0x7741)
        var format = VP8PayloadFormat()
        var outcomes = Set<String>()
        for round in 0..<3_000 {
            var payloads = try format.packetize(rng.bytes(1 + Int(rng.next() % 400)), maxPayloadSize: 60).map { Array($0.readableBytesView) }
            if round % 3 == 0 {
                payloads = (0..<Int(rng.next() % 4)).map { _ in rng.bytes(Int(rng.next() % 12)) }
            } else {
                let victim = Int(rng.next() % UInt64(payloads.count))
                rng.mutate(&payloads[victim])
            }
            do {
                let frame = try VP8PayloadFormat.depacketize(payloads)
                #expect(frame.data.readableBytes <= payloads.reduce(0) { $0 + $1.count })
                #expect(try VP8PayloadFormat.depacketize(try format.packetize(frame.data, maxPayloadSize: 9)) == frame)
                outcomes.insert("frame")
            } catch {
                outcomes.insert("\(error)".prefix(while: { $0 != "(" }).description)
            }
        }
        #expect(outcomes.contains("frame") && outcomes.count >= 4)
    }

    /// Real VP8 from the Chromium ↔ aiortc capture: payload type 96, and RTX (97) carrying the
    /// original sequence number before the same payload (RFC 4588 §4).
    @Test func capturedVP8PayloadsParseAndKeyFramesAre640By480() throws {
        var starts = 0
        var keyFrames = 0
        for fromChromium in [true, false] {
            for packet in try RTPCapturedFixtureTests.rtp(from: fromChromium) where [96, 97].contains(packet.header.payloadType) {
                var payload = packet.payload
                if packet.header.payloadType == 97 {
                    guard payload.readableBytes > 2 else { continue }  // padding-only bandwidth probe
                    payload.moveReaderIndex(forwardBy: 2)
                }
                let (descriptor, media) = try VP8PayloadDescriptor.parse(payload)
                guard case .long = descriptor.pictureID else {
                    Issue.record("both peers send 15-bit picture IDs")
                    continue
                }
                #expect(media.readableBytes > 0)
                guard descriptor.isStartOfFrame else {
                    #expect(throws: RTPPayloadError.missingFrameStart) { try VP8PayloadFormat.depacketize([payload]) }
                    continue
                }
                starts += 1
                let frame = try VP8PayloadFormat.depacketize([payload])
                #expect(frame.data == media)
                if frame.isKeyFrame {
                    keyFrames += 1
                    let size = try #require(VP8PayloadFormat.keyFrameDimensions(of: frame.data))
                    #expect(size.width == 640 && size.height == 480)
                }
            }
        }
        #expect(starts >= 2)
        #expect(keyFrames >= 2)
    }
}
