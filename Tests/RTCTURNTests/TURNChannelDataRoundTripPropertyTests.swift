import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCTURN

/// The FuzzTURN ChannelData invariant without the fuzz build: random valid frames encode
/// (plain and padded) and parse back equal, and random or mutated bytes either fail with a
/// typed error or parse to a frame that re-encodes to an equal one.
@Suite struct TURNChannelDataRoundTripPropertyTests {
    static func frame(_ rng: inout SeededRandom) -> TURNChannelData {
        let span = UInt64(TURNChannelData.maximumChannel - TURNChannelData.minimumChannel) + 1
        let channel = TURNChannelData.minimumChannel + UInt16(rng.next() % span)
        let length = rng.next() % 8 == 0 ? Int(rng.next() % 1500) : Int(rng.next() % 40)
        return TURNChannelData(channel: channel, data: ByteBuffer(bytes: rng.bytes(length)))
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomValidFramesRoundTripPlainAndPadded(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<2000 {
            let frame = Self.frame(&rng)
            let plain = frame.encoded()
            #expect(plain.readableBytes == 4 + frame.data.readableBytes)
            #expect(TURNChannelData.looksLikeChannelData(plain))
            #expect(try TURNChannelData(parsing: plain) == frame)
            let padded = frame.encoded(pad: true)
            #expect(padded.readableBytes % 4 == 0 && padded.readableBytes - plain.readableBytes < 4)
            #expect(try TURNChannelData(parsing: padded) == frame)
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func randomAndMutatedBytesFailTypedOrRoundTrip(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inputs = rng.parserInputs(count: 5000, noiseEvery: 3, maxEdits: 3, whenEmpty: 0x40) { rng in
            rng.bytes(Int(rng.next() % 24))
        } valid: { rng in
            Array(Self.frame(&rng).encoded(pad: rng.next() % 2 == 0).readableBytesView)
        }
        var parsedCount = 0
        for bytes in inputs {
            guard let parsed = try? TURNChannelData(parsing: ByteBuffer(bytes: bytes)) else { continue }  // typed error: fine
            parsedCount += 1
            #expect((TURNChannelData.minimumChannel...TURNChannelData.maximumChannel).contains(parsed.channel))
            #expect(parsed.data.readableBytes <= bytes.count - 4)
            for pad in [false, true] {
                #expect(try TURNChannelData(parsing: parsed.encoded(pad: pad)) == parsed, "bytes: \(bytes)")
            }
        }
        #expect(parsedCount > 500)
    }
}
