import NIOCore
import RTCCore
import Testing
@testable import RTCSCTP

/// The FuzzSCTP invariant on deterministic mutations of valid packets: whatever parses
/// re-serializes to bytes that parse to the same value, and nothing traps.
@Suite struct SCTPParserRoundTripPropertyTests {
    @Test func mutatedPacketsEitherFailWithTypedErrorsOrRoundTrip() throws {
        var rng = SeededRandom(seed: 2024)
        let seeds = SCTPChunkCodecTests.samples.map {
            Array(SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: 1, chunks: [$0]).serialized().readableBytesView)
        }
        var parsed = 0
        for i in 0..<20_000 {
            var bytes = seeds[i % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let pos = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[pos] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(pos...)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            guard let packet = try? SCTPPacket.parse(ByteBuffer(bytes: bytes), verifyChecksum: false) else { continue }
            parsed += 1
            let again = try SCTPPacket.parse(packet.serialized())
            #expect(again == packet)
        }
        #expect(parsed > 1000)
    }
}
