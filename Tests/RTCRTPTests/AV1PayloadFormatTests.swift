import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// The AV1 RTP payload format (AOMedia v1.0 §4): aggregation header, OBU elements without
/// size fields, fragmentation across payloads, N on sequence starts, hostile payloads.
@Suite struct AV1PayloadFormatTests {
    /// An OBU in low-overhead form: header (size flag set), optional extension, LEB128 size, body.
    static func obu(type: UInt8, extensionByte: UInt8? = nil, body: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [type << 3 | 0x02 | (extensionByte == nil ? 0 : 0x04)]
        if let extensionByte { header.append(extensionByte) }
        var size = ByteBuffer()
        AV1PayloadFormat.writeLEB128(body.count, into: &size)
        return header + Array(size.readableBytesView) + body
    }

    static let temporalDelimiter: [UInt8] = [0x12, 0x00]

    @Test func leb128EncodesLikeTheAV1Specification() throws {
        for (value, bytes) in [(0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]), (16_384, [0x80, 0x80, 0x01])] as [(Int, [UInt8])] {
            var buffer = ByteBuffer()
            AV1PayloadFormat.writeLEB128(value, into: &buffer)
            #expect(Array(buffer.readableBytesView) == bytes)
            #expect(AV1PayloadFormat.leb128Size(value) == bytes.count)
            #expect(try AV1PayloadFormat.readLEB128(&buffer) == value)
        }
        var long = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        #expect(throws: RTPPayloadError.invalidField("AV1 LEB128 longer than 8 octets")) { try AV1PayloadFormat.readLEB128(&long) }
        var big = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: RTPPayloadError.invalidField("AV1 LEB128 value beyond 32 bits")) { try AV1PayloadFormat.readLEB128(&big) }
    }

    /// §4.4 example layout: one payload, W = 2: the first element with a length, the last without.
    @Test func anAggregationVectorWithTwoElementsDepacketizes() throws {
        // Z=0 Y=0 W=2 N=1; element 1: sequence header OBU (size flag clear) of 2 bytes; element 2: frame OBU.
        let payload: [UInt8] = [0x28, 0x03, 0x08, 0xAA, 0xBB, 0x30, 0x01, 0x02, 0x03]
        let frame = try AV1PayloadFormat.depacketize([payload])
        #expect(Array(frame.data.readableBytesView) == Self.obu(type: 1, body: [0xAA, 0xBB]) + Self.obu(type: 6, body: [1, 2, 3]))
        #expect(frame.isKeyFrame)
    }

    @Test func temporalUnitsRoundTripAtSeveralPayloadSizesWithoutTemporalDelimiters() throws {
        var rng = SeededRandom(seed: 0xA1)
        var format = AV1PayloadFormat()
        for maxPayloadSize in [3, 9, 130, 1_188] {
            for round in 0..<25 {
                let key = round % 5 == 0
                var obus = key ? [Self.obu(type: 1, body: rng.bytes(12))] : []
                for _ in 0..<(1 + rng.next() % 3) {
                    let size = rng.next() % 2 == 0 ? Int(rng.next() % 30) : Int(rng.next() % 20_000)
                    obus.append(rng.next() % 3 == 0 ? Self.obu(type: 6, extensionByte: 0x08, body: rng.bytes(size))
                                                    : Self.obu(type: 6, body: rng.bytes(size)))
                }
                let payloads = try format.packetize(Self.temporalDelimiter + obus.flatMap { $0 }, maxPayloadSize: maxPayloadSize)
                #expect(payloads.allSatisfy { $0.readableBytes <= maxPayloadSize })
                let headers = payloads.map { $0.getInteger(at: $0.readerIndex, as: UInt8.self) ?? 0 }
                #expect(headers.first.map { $0 & 0x08 != 0 } == key)
                #expect(headers.dropFirst().allSatisfy { $0 & 0x08 == 0 })
                let frame = try AV1PayloadFormat.depacketize(payloads)
                #expect(Array(frame.data.readableBytesView) == obus.flatMap { $0 })
                #expect(frame.isKeyFrame == key)
            }
        }
    }

    @Test func hostilePayloadsAreTypedErrors() throws {
        func depacketize(_ payloads: [[UInt8]]) throws(RTPPayloadError) { _ = try AV1PayloadFormat.depacketize(payloads) }
        #expect(throws: RTPPayloadError.noPayloads) { try depacketize([]) }
        #expect(throws: RTPPayloadError.emptyPayload) { try depacketize([[]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x00]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x00, 0x05, 0x30]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x00, 0x00]]) }
        #expect(throws: RTPPayloadError.malformedAggregate) { try depacketize([[0x30, 0x01, 0x30]]) }  // W=3, only 2 elements
        #expect(throws: RTPPayloadError.missingFrameStart) { try depacketize([[0x90, 0x30]]) }
        #expect(throws: RTPPayloadError.incompleteFrame) { try depacketize([[0x50, 0x30, 0x01]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x50, 0x30, 0x01], [0x10, 0x02]]) }
        #expect(throws: RTPPayloadError.inconsistentPayloads) { try depacketize([[0x10, 0x30], [0x90, 0x02]]) }
        #expect(throws: RTPPayloadError.invalidField("AV1 OBU forbidden bit set")) { try depacketize([[0x10, 0xB0]]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try depacketize([[0x10, 0x34]]) }
        var format = AV1PayloadFormat()
        #expect(throws: RTPPayloadError.emptyPayload) { try format.packetize(Self.temporalDelimiter, maxPayloadSize: 100) }
        #expect(throws: RTPPayloadError.invalidField("AV1 obu_size beyond frame")) { try format.packetize([UInt8]([0x32, 0x05, 1]), maxPayloadSize: 100) }
        #expect(throws: RTPPayloadError.maxPayloadSizeTooSmall(minimum: 3, given: 2)) { try format.packetize([UInt8]([0x30, 1]), maxPayloadSize: 2) }
    }

    @Test func seededRandomAndMutatedPayloadsNeverCrashOrBlowUp() throws {
        var rng = SeededRandom(seed: 0xA1A1)
        var format = AV1PayloadFormat()
        var outcomes = Set<String>()
        for round in 0..<3_000 {
            let unit = Self.obu(type: 1, body: rng.bytes(5)) + Self.obu(type: 6, body: rng.bytes(Int(rng.next() % 300)))
            var payloads = try format.packetize(unit, maxPayloadSize: 40).map { Array($0.readableBytesView) }
            if round % 3 == 0 {
                payloads = (0..<Int(rng.next() % 4)).map { _ in rng.bytes(Int(rng.next() % 12)) }
            } else {
                let victim = Int(rng.next() % UInt64(payloads.count))
                rng.mutate(&payloads[victim])
            }
            do {
                let frame = try AV1PayloadFormat.depacketize(payloads)
                #expect(frame.data.readableBytes <= 6 * payloads.reduce(0) { $0 + $1.count })
                outcomes.insert("frame")
            } catch {
                outcomes.insert("\(error)".prefix(while: { $0 != "(" }).description)
            }
        }
        #expect(outcomes.contains("frame") && outcomes.count >= 5)
    }
}
