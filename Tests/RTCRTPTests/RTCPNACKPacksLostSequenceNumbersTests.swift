import Testing

@testable import RTCRTP

@Suite struct RTCPNACKPacksLostSequenceNumbersTests {
    @Test func packsLossesIntoPIDAndBitmask() {
        let pairs = RTCPGenericNACK.pairs(for: [10, 11, 13, 26, 27, 40])
        #expect(pairs == [
            RTCPNACKPair(packetID: 10, lostBitmask: 0b1000_0000_0000_0101),  // 11 (bit 0), 13 (bit 2), 26 (bit 15)
            RTCPNACKPair(packetID: 27, lostBitmask: 1 << 12),  // 40
        ])
        #expect(pairs.flatMap(\.lostSequenceNumbers) == [10, 11, 13, 26, 27, 40])
    }

    @Test func handlesSequenceNumberWrapAround() {
        let lost: [UInt16] = [65533, 65535, 0, 4, 20]
        let pairs = RTCPGenericNACK.pairs(for: lost)
        #expect(pairs.count == 2)
        #expect(pairs[0].packetID == 65533)
        #expect(pairs[1].packetID == 20)
        #expect(pairs.flatMap(\.lostSequenceNumbers) == lost)
    }

    @Test func dropsDuplicatesAndRoundTripsEverySet() {
        #expect(RTCPGenericNACK.pairs(for: [5, 5, 6]) == [RTCPNACKPair(packetID: 5, lostBitmask: 1)])
        // Every subset pattern of 17 consecutive numbers fits in one entry and comes back unchanged.
        for mask in stride(from: 0, to: 1 << 16, by: 97) {
            var lost: [UInt16] = [1000]
            for bit in 0..<16 where mask & (1 << bit) != 0 { lost.append(1000 + UInt16(bit) + 1) }
            let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: lost)
            #expect(nack.pairs.count == 1)
            #expect(nack.lostSequenceNumbers == lost)
        }
    }
}

@Suite struct RTCPNACKSetTests {
    @Test func ordersASetAroundTheWrap() {
        let pairs = RTCPGenericNACK.pairs(for: Set<UInt16>([0, 65534, 1, 65535]))
        #expect(pairs == [RTCPNACKPair(packetID: 65534, lostBitmask: 0b111)])
        #expect(RTCPGenericNACK.pairs(for: Set<UInt16>([300, 10, 20])).map(\.packetID) == [10, 300])
        #expect(RTCPGenericNACK.pairs(for: Set<UInt16>()).isEmpty)
    }
}
