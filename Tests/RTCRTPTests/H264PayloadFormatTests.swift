import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// RFC 6184 packetization mode 1: Annex B splitting, single NAL unit packets, STAP-A, FU-A,
/// SPS/PPS with IDR access units, key-frame detection and hostile payloads.
@Suite struct H264PayloadFormatTests {
    static func annexB(_ nals: [[UInt8]]) -> [UInt8] { nals.flatMap { [0, 0, 0, 1] + $0 } }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// A NAL unit of `type` with random NRI and `size - 1` random body bytes free of zeros, so
    /// no start code can appear inside (what emulation prevention guarantees real streams).
    static func nal(_ rng: inout SeededRandom, type: UInt8, size: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: rng.next()) & 0x60 | type] + rng.bytes(size - 1).map { $0 == 0 ? 0xA5 : $0 }
    }

    @Test func annexBFramesSplitAtThreeAndFourByteStartCodes() {
        let stream: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0, 0, 1, 0x65, 4, 5, 6]
        let units = H264PayloadFormat.nalUnits(inAnnexB: ByteBuffer(bytes: stream)).map(Self.bytes)
        #expect(units == [[0x67, 1, 2], [0x68, 3], [0x65, 4, 5, 6]])
        #expect(H264PayloadFormat.nalUnits(inAnnexB: ByteBuffer(bytes: [0x41, 9, 9])).map(Self.bytes) == [[0x41, 9, 9]])
        #expect(H264PayloadFormat.nalUnits(inAnnexB: ByteBuffer(bytes: [0, 0, 1])).isEmpty)
    }

    /// RFC 6184 §5.7.1 Figure 7: a STAP-A with two NAL units, each behind a 16-bit size.
    @Test func aSTAPAVectorDepacketizesToItsNALUnits() throws {
        let stap: [UInt8] = [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x03, 0x68, 0xCE, 0x3C]
        let frame = try H264PayloadFormat.depacketize([stap])
        #expect(Self.bytes(frame.data) == Self.annexB([[0x67, 0x42], [0x68, 0xCE, 0x3C]]))
        #expect(!frame.isKeyFrame)
    }

    /// RFC 6184 §5.8: FU indicator (F, NRI, type 28) and FU header (S, E, R, type); the NAL
    /// header is rebuilt from the indicator's F/NRI and the header's type.
    @Test func anFUAVectorReassemblesAnIDRSlice() throws {
        let fragments: [[UInt8]] = [[0x7C, 0x85, 1, 2], [0x7C, 0x05, 3], [0x7C, 0x45, 4]]
        let frame = try H264PayloadFormat.depacketize(fragments)
        #expect(Self.bytes(frame.data) == Self.annexB([[0x65, 1, 2, 3, 4]]))
        #expect(frame.isKeyFrame)
    }

    @Test func thePayloaderAggregatesSmallUnitsAndFragmentsLargeOnes() throws {
        var rng = SeededRandom(seed: 6184)
        var format = H264PayloadFormat()
        let sps = Self.nal(&rng, type: 7, size: 12), pps = Self.nal(&rng, type: 8, size: 5)
        let idr = Self.nal(&rng, type: 5, size: 3_000)
        let payloads = try format.packetize(Self.annexB([sps, pps, idr]), maxPayloadSize: 1_200)
        #expect(payloads.map { H264PayloadFormat.type(of: $0) } == [24, 28, 28, 28])
        #expect(Self.bytes(payloads[0]) == [max(sps[0] & 0x60, pps[0] & 0x60) | 24]
                + [0, 12] + sps + [0, 5] + pps)
        #expect(payloads.allSatisfy { $0.readableBytes <= 1_200 })
        #expect(Self.bytes(payloads[1]).prefix(2) == [idr[0] & 0xE0 | 28, 0x85])
        #expect(Self.bytes(payloads[3])[1] == 0x45)
        let single = try format.packetize(Self.annexB([Self.nal(&rng, type: 1, size: 700)]), maxPayloadSize: 1_200)
        #expect(single.count == 1 && H264PayloadFormat.type(of: single[0]) == 1)
    }

    @Test func unitsOf64KiBOrMoreAreNeverAggregatedEvenWhenThePayloadSizeAllowsIt() throws {
        var rng = SeededRandom(seed: 65_536)
        var format = H264PayloadFormat()
        let big = Self.nal(&rng, type: 1, size: 70_000), small = Self.nal(&rng, type: 6, size: 9)
        let payloads = try format.packetize(Self.annexB([small, big, small]), maxPayloadSize: 100_000)
        #expect(payloads.map { H264PayloadFormat.type(of: $0) } == [6, 1, 6])
        #expect(Self.bytes(try H264PayloadFormat.depacketize(payloads).data) == Self.annexB([small, big, small]))
    }

    @Test func randomAccessUnitsRoundTripAtSeveralPayloadSizes() throws {
        var rng = SeededRandom(seed: 0x6184)
        for maxPayloadSize in [3, 17, 200, 1_188] {
            var format = H264PayloadFormat()
            for _ in 0..<30 {
                let key = rng.next() % 4 == 0
                var nals: [[UInt8]] = key ? [Self.nal(&rng, type: 7, size: 10), Self.nal(&rng, type: 8, size: 4)] : []
                for _ in 0..<(1 + rng.next() % 5) {
                    let size = rng.next() % 3 == 0 ? 1 + Int(rng.next() % 40) : 1 + Int(rng.next() % 5_000)
                    nals.append(Self.nal(&rng, type: key ? 5 : [1, 6, 9][Int(rng.next() % 3)], size: size))
                }
                // Mixed 3- and 4-byte start codes on input; 4-byte ones on output.
                let input = nals.flatMap { (rng.next() % 2 == 0 ? [0, 0, 1] : [0, 0, 0, 1]) + $0 }
                let payloads = try format.packetize(input, maxPayloadSize: maxPayloadSize)
                #expect(payloads.allSatisfy { $0.readableBytes <= maxPayloadSize })
                let frame = try H264PayloadFormat.depacketize(payloads)
                #expect(Self.bytes(frame.data) == Self.annexB(nals))
                #expect(frame.isKeyFrame == key)
            }
        }
    }

    @Test func parameterSetsTravelWithEveryIDRAccessUnit() throws {
        var rng = SeededRandom(seed: 7)
        let sps = Self.nal(&rng, type: 7, size: 14), pps = Self.nal(&rng, type: 8, size: 4)
        let idr = Self.nal(&rng, type: 5, size: 2_500), slice = Self.nal(&rng, type: 1, size: 300)
        var format = H264PayloadFormat()
        // Before any parameter sets are known, an IDR goes alone.
        #expect(Self.bytes(try H264PayloadFormat.depacketize(try format.packetize(Self.annexB([idr]), maxPayloadSize: 1_200)).data)
                == Self.annexB([idr]))
        _ = try format.packetize(Self.annexB([sps, pps, idr]), maxPayloadSize: 1_200)
        #expect(format.sequenceParameterSet.map(Self.bytes) == sps)
        let later = try H264PayloadFormat.depacketize(try format.packetize(Self.annexB([idr]), maxPayloadSize: 1_200))
        #expect(Self.bytes(later.data) == Self.annexB([sps, pps, idr]))
        #expect(later.isKeyFrame)
        let delta = try H264PayloadFormat.depacketize(try format.packetize(Self.annexB([slice]), maxPayloadSize: 1_200))
        #expect(Self.bytes(delta.data) == Self.annexB([slice]))
        #expect(!delta.isKeyFrame)
        // Parameter sets given out of band (sprop-parameter-sets) are used the same way.
        var configured = H264PayloadFormat(sequenceParameterSet: ByteBuffer(bytes: sps), pictureParameterSet: ByteBuffer(bytes: pps))
        let first = try H264PayloadFormat.depacketize(try configured.packetize(Self.annexB([idr]), maxPayloadSize: 1_200))
        #expect(Self.bytes(first.data) == Self.annexB([sps, pps, idr]))
    }

    @Test func hostilePayloadsAreTypedErrors() {
        func depacketize(_ payloads: [[UInt8]]) throws(RTPPayloadError) { _ = try H264PayloadFormat.depacketize(payloads) }
        #expect(throws: RTPPayloadError.noPayloads) { try depacketize([]) }
        #expect(throws: RTPPayloadError.emptyPayload) { try depacketize([[]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x78]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x78, 0x00, 0x05, 0x67]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x78, 0x00, 0x00]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x78, 0x00, 0x01, 0x67, 0x00]]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try depacketize([[0x7C]]) }
        #expect(throws: RTPPayloadError.invalidField("FU-A with both S and E set")) { try depacketize([[0x7C, 0xC5, 1]]) }
        #expect(throws: RTPPayloadError.unsupportedPacketType(24)) { try depacketize([[0x7C, 0x98, 1]]) }
        #expect(throws: RTPPayloadError.missingFrameStart) { try depacketize([[0x7C, 0x45, 1]]) }
        #expect(throws: RTPPayloadError.incompleteFrame) { try depacketize([[0x7C, 0x85, 1], [0x7C, 0x05, 2]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x7C, 0x85, 1], [0x7C, 0x85, 2]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x7C, 0x85, 1], [0x41, 2]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x7C, 0x85, 1], [0x7C, 0x41, 2]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x41, 1], [0x7C, 0x45, 2]]) }
        for type: UInt8 in [0, 25, 26, 27, 29, 30, 31] {
            #expect(throws: RTPPayloadError.unsupportedPacketType(type)) { try depacketize([[0x60 | type, 1, 2, 3]]) }
        }
        var format = H264PayloadFormat()
        #expect(throws: RTPPayloadError.maxPayloadSizeTooSmall(minimum: 3, given: 2)) { try format.packetize([UInt8(0x41)], maxPayloadSize: 2) }
        #expect(throws: RTPPayloadError.emptyPayload) { try format.packetize([UInt8]([0, 0, 0, 1]), maxPayloadSize: 100) }
    }

    @Test func seededRandomAndMutatedPayloadsNeverCrashOrBlowUp() throws {
        var rng = SeededRandom(seed: 0xF0A)
        var format = H264PayloadFormat()
        var outcomes = Set<String>()
        for round in 0..<3_000 {
            let unit = Self.annexB((0..<(1 + rng.next() % 3)).map { _ in Self.nal(&rng, type: [1, 5, 7][Int(rng.next() % 3)], size: 1 + Int(rng.next() % 300)) })
            var payloads = try format.packetize(unit, maxPayloadSize: 64).map(Self.bytes)
            if round % 3 == 0 {
                payloads = (0..<Int(rng.next() % 4)).map { _ in rng.bytes(Int(rng.next() % 12)) }
            } else {
                let victim = Int(rng.next() % UInt64(payloads.count))
                rng.mutate(&payloads[victim])
            }
            do {
                let frame = try H264PayloadFormat.depacketize(payloads)
                let input = payloads.reduce(0) { $0 + $1.count }
                #expect(frame.data.readableBytes <= 5 * input)  // a 4-byte start code per NAL unit of ≥ 1 byte
                outcomes.insert("frame")
            } catch {
                outcomes.insert("\(error)".prefix(while: { $0 != "(" }).description)
            }
        }
        #expect(outcomes.contains("frame") && outcomes.count >= 5)
    }
}
