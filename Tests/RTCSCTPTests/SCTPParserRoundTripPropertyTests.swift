import RTCTestSupport
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
            rng.mutate(&bytes)
            guard let packet = try? SCTPPacket.parse(ByteBuffer(bytes: bytes), verifyChecksum: false) else { continue }
            parsed += 1
            let again = try SCTPPacket.parse(packet.serialized())
            #expect(again == packet)
        }
        #expect(parsed > 1000)
    }
}
