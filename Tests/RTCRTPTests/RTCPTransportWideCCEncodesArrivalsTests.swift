import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

@Suite struct RTCPTransportWideCCEncodesArrivalsTests {
    private func parseTWCC(_ hex: String) throws -> RTCPTransportWideCC {
        let compound = try RTCPCompoundPacket(parsing: Hex.decode(hex)!)
        guard case .transportFeedback(.transportWideCC(let twcc)) = try #require(compound.packets.first) else {
            throw ExpectedTWCC()
        }
        return twcc
    }

    private struct ExpectedTWCC: Error {}

    @Test func decodesRunLengthChunkAndSmallDeltas() throws {
        // base 5, count 3, reference time 0x003bcb, fb count 0; run of 3 "small delta"; deltas 12, 0, 0; P-bit padding 3.
        let twcc = try parseTWCC("afcd00061dc9558310cc7580000500030" + "03bcb0020030c0000000003")
        #expect(twcc.baseSequenceNumber == 5)
        #expect(twcc.packetStatusCount == 3)
        #expect(twcc.referenceTime == 0x3BCB)
        #expect(twcc.feedbackPacketCount == 0)
        #expect(twcc.chunks == [.runLength(.receivedSmallDelta, count: 3)])
        #expect(twcc.packets == [
            .init(sequenceNumber: 5, status: .receivedSmallDelta, delta: 12),
            .init(sequenceNumber: 6, status: .receivedSmallDelta, delta: 0),
            .init(sequenceNumber: 7, status: .receivedSmallDelta, delta: 0),
        ])
        let base = Int64(0x3BCB) * 64_000
        #expect(twcc.arrivalTimesMicroseconds == [5: base + 3000, 6: base + 3000, 7: base + 3000])
    }

    @Test func decodesOneBitStatusVector() throws {
        // base 400, count 10, one-bit vector 00111001110000: 6 received, deltas 9e 04 00 a1 00 01.
        let twcc = try parseTWCC("8fcd00061dc9558310cc75800190000a003c063c8e709e0400a10001")
        #expect(twcc.referenceTime == 0x3C06)
        #expect(twcc.feedbackPacketCount == 0x3C)
        let received = twcc.packets.filter { $0.status != .notReceived }.map(\.sequenceNumber)
        #expect(received == [402, 403, 404, 407, 408, 409])
        #expect(twcc.receiveDeltas == [0x9E, 0x04, 0x00, 0xA1, 0x00, 0x01])
        #expect(twcc.packets.count == 10)
    }

    @Test func decodesTwoBitVectorWithLargeAndNegativeDeltas() throws {
        // Two-bit vector: small, large, not received, large(negative), rest 0; count 4.
        // 11 01 10 00 10 00 00 00 = 0xD880 ; deltas: 0x10, 0x0400, 0xfff6 (-10).
        let twcc = try parseTWCC("8fcd0006000000010000000200000004000001 07d8801004 00fff600".replacingOccurrences(of: " ", with: ""))
        #expect(twcc.chunks == [.twoBitVector([.receivedSmallDelta, .receivedLargeOrNegativeDelta, .notReceived,
                                              .receivedLargeOrNegativeDelta, .notReceived, .notReceived, .notReceived])])
        #expect(twcc.receiveDeltas == [0x10, 0x400, -10])
        #expect(twcc.feedbackPacketCount == 7)
        #expect(twcc.referenceTime == 1)
    }

    @Test func signExtendsTheReferenceTime() throws {
        let twcc = try parseTWCC("8fcd0004000000010000000200000000fffffffe")
        #expect(twcc.referenceTime == -1)
        #expect(twcc.feedbackPacketCount == 0xFE)
        #expect(twcc.packets.isEmpty)
    }

    @Test func rejectsReservedSymbolsAndMissingDeltas() {
        // Run-length chunk with status 3.
        #expect(throws: RTCPParseError.self) {
            try RTCPCompoundPacket(parsing: Hex.decode("8fcd00050000000100000002000000010000000060010000")!)
        }
        // One small-delta status but no delta byte: the P-bit padding (2) leaves none.
        #expect(throws: RTCPParseError.self) {
            try RTCPCompoundPacket(parsing: Hex.decode("afcd00050000000100000002000000010000000020010002")!)
        }
        // Status count 1 but no chunk at all.
        #expect(throws: RTCPParseError.self) {
            try RTCPCompoundPacket(parsing: Hex.decode("8fcd000400000001000000020000000100000000")!)
        }
    }

    @Test func builderEncodesArrivalsThatDecodeBackExactly() throws {
        var rng = SeededRandom(seed: 99)
        for _ in 0..<300 {
            let count = Int.random(in: 0...300, using: &rng)
            let lossy = Int.random(in: 0...3, using: &rng)
            var arrivals: [RTCPTransportWideCC.Arrival] = []
            for _ in 0..<count {
                switch Int.random(in: 0...20, using: &rng) {
                case 0..<lossy: arrivals.append(.notReceived)
                case 19: arrivals.append(.received(deltaTicks: Int16.random(in: Int16.min...Int16.max, using: &rng)))
                default: arrivals.append(.received(deltaTicks: Int16.random(in: 0...255, using: &rng)))
                }
            }
            let base = UInt16.random(in: 0...UInt16.max, using: &rng)
            let twcc = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: base, referenceTime: -5,
                                           feedbackPacketCount: 3, packets: arrivals)
            let bytes = RTCPCompoundPacket(packets: [.transportFeedback(.transportWideCC(twcc))]).serialized()
            #expect(bytes.readableBytes % 4 == 0)
            let parsed = try RTCPCompoundPacket(parsing: bytes)
            #expect(parsed.packets == [.transportFeedback(.transportWideCC(twcc))])
            let decoded = twcc.packets
            #expect(decoded.count == count)
            for (i, result) in decoded.enumerated() {
                #expect(result.sequenceNumber == base &+ UInt16(i))
                switch arrivals[i] {
                case .notReceived: #expect(result.status == .notReceived && result.delta == nil)
                case .received(let d): #expect(result.delta == d)
                }
            }
        }
    }

    @Test func builderUsesRunLengthForLongRuns() {
        let twcc = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0,
                                       packets: Array(repeating: .received(deltaTicks: 4), count: 1000) + Array(repeating: .notReceived, count: 20) + [.received(deltaTicks: 1)])
        #expect(twcc.chunks.first == .runLength(.receivedSmallDelta, count: 1000))
        #expect(twcc.chunks.count == 3)
    }
}

@Suite struct RTCPTransportWideCCFromArrivalTimesTests {
    @Test func arrivalTimesSurviveWithin125Microseconds() throws {
        var rng = SeededRandom(seed: 5)
        var time: Int64 = 1_000_000_123
        var arrivals: [Int64?] = []
        for _ in 0..<500 {
            time += Int64.random(in: -2_000...40_000, using: &rng)
            arrivals.append(Int.random(in: 0..<10, using: &rng) == 0 ? nil : time)
        }
        let twcc = RTCPTransportWideCC(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65300, feedbackPacketCount: 9,
                                       arrivalTimesMicroseconds: arrivals)
        #expect(Int64(twcc.referenceTime) * 64_000 <= arrivals.compactMap { $0 }.first!)
        let parsed = try RTCPCompoundPacket(parsing: RTCPCompoundPacket(packets: [.transportFeedback(.transportWideCC(twcc))]).serialized())
        guard case .transportFeedback(.transportWideCC(let back)) = parsed.packets.first else {
            Issue.record("not TWCC")
            return
        }
        let decoded = back.arrivalTimesMicroseconds
        #expect(decoded.count == arrivals.compactMap { $0 }.count)
        for (i, arrival) in arrivals.enumerated() {
            let seq = UInt16(truncatingIfNeeded: 65300 + i)  // wraps past 65535
            if let arrival {
                let got = try #require(decoded[seq])
                #expect(abs(got - arrival) <= 125)
            } else {
                #expect(decoded[seq] == nil)
            }
        }
    }
}
