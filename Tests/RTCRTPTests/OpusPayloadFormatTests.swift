import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// RFC 7587: one Opus packet per RTP payload, never fragmented; TOC-level framing checks and
/// durations from RFC 6716 §3.1–3.2.
@Suite struct OpusPayloadFormatTests {
    @Test func anOpusPacketTravelsAsExactlyOnePayloadAndComesBackAsAKeyFrame() throws {
        var rng = SeededRandom(seed: 7587)
        var format = OpusPayloadFormat()
        for size in [1, 2, 80, 160, 1_000] {
            let packet = [UInt8(0xFC)] + rng.bytes(size - 1)  // CELT FB 20 ms, one frame
            let payloads = try format.packetize(packet, maxPayloadSize: 1_200)
            #expect(payloads.map { Array($0.readableBytesView) } == [packet])
            let frame = try OpusPayloadFormat.depacketize(payloads)
            #expect(Array(frame.data.readableBytesView) == packet)
            #expect(frame.isKeyFrame)
        }
    }

    @Test func everyFormatNamesItsRTPClockRate() {
        let rates = [OpusPayloadFormat.self, VP8PayloadFormat.self, VP9PayloadFormat.self, H264PayloadFormat.self,
                     AV1PayloadFormat.self].map { ($0 as any RTPPayloadFormat.Type).clockRate }
        #expect(rates == [48_000, 90_000, 90_000, 90_000, 90_000])
    }

    @Test func thePayloaderRefusesWhatItCannotCarry() {
        var format = OpusPayloadFormat()
        #expect(throws: RTPPayloadError.emptyPayload) { try format.packetize([UInt8](), maxPayloadSize: 100) }
        #expect(throws: RTPPayloadError.frameTooLarge(size: 101, maxPayloadSize: 100)) {
            try format.packetize([UInt8](repeating: 0xFC, count: 101), maxPayloadSize: 100)
        }
        #expect(throws: RTPPayloadError.maxPayloadSizeTooSmall(minimum: 1, given: 0)) {
            try format.packetize([UInt8(0xFC)], maxPayloadSize: 0)
        }
    }

    @Test func theDepacketizerWantsExactlyOneWellFramedPayload() {
        #expect(throws: RTPPayloadError.noPayloads) { try OpusPayloadFormat.depacketize([ByteBuffer]()) }
        #expect(throws: RTPPayloadError.unexpectedPayloadCount(expected: 1, count: 2)) {
            try OpusPayloadFormat.depacketize([[0xFC, 1], [0xFC, 2]])
        }
        #expect(throws: RTPPayloadError.emptyPayload) { try OpusPayloadFormat.depacketize([[UInt8]()]) }
    }

    /// Durations from RFC 6716 Table 2 and the frame count codes of §3.2.
    @Test func sampleCountFollowsTheTOCConfigurationAndFrameCountCode() throws {
        func samples(_ bytes: [UInt8]) throws -> Int { try OpusPayloadFormat.sampleCount(of: ByteBuffer(bytes: bytes)) }
        #expect(try samples([0x00]) == 480)  // config 0: SILK NB 10 ms
        #expect(try samples([0x18]) == 2_880)  // config 3: SILK NB 60 ms
        #expect(try samples([0x78]) == 960)  // config 15: Hybrid FB 20 ms
        #expect(try samples([0x80]) == 120)  // config 16: CELT NB 2.5 ms
        #expect(try samples([0xFC]) == 960)  // config 31 stereo: CELT FB 20 ms
        #expect(try samples([0xFD, 1, 2]) == 1_920)  // code 1: two equal 20 ms frames
        #expect(try samples([0xFE, 1, 9, 8]) == 1_920)  // code 2: two frames, first 1 byte long
        #expect(try samples([0x83, 0x03]) == 360)  // code 3: three 2.5 ms frames
        #expect(try samples([0x1B, 0x02, 0, 0]) == 5_760)  // code 3: two 60 ms frames = 120 ms
    }

    @Test func malformedTOCFramingIsATypedError() {
        func samples(_ bytes: [UInt8]) throws(RTPPayloadError) -> Int { try OpusPayloadFormat.sampleCount(of: ByteBuffer(bytes: bytes)) }
        #expect(throws: RTPPayloadError.emptyPayload) { try samples([]) }
        #expect(throws: RTPPayloadError.invalidField("Opus code 1 with unequal frame sizes")) { try samples([0xFD, 1]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 2, available: 1)) { try samples([0xFE]) }
        #expect(throws: RTPPayloadError.truncatedDescriptor(needed: 3, available: 2)) { try samples([0xFE, 252]) }
        #expect(throws: RTPPayloadError.invalidField("Opus code 2 frame length beyond packet")) { try samples([0xFE, 5, 1]) }
        #expect(throws: RTPPayloadError.invalidField("Opus code 3 with zero frames")) { try samples([0xFF, 0x00]) }
        #expect(throws: RTPPayloadError.invalidField("Opus packet longer than 120 ms")) { try samples([0x1B, 0x03]) }
    }

    @Test func seededRandomPayloadsNeverCrashTheDepacketizer() {
        var rng = SeededRandom(seed: 0x0905)
        var accepted = 0
        for _ in 0..<5_000 {
            let payload = rng.bytes(Int(rng.next() % 8))
            if let frame = try? OpusPayloadFormat.depacketize([payload]) {
                accepted += 1
                #expect(Array(frame.data.readableBytesView) == payload)
            }
        }
        #expect(accepted > 0 && accepted < 5_000)
    }

    @Test func capturedOpusPacketsFromChromiumAndAiortcAreTwentyMilliseconds() throws {
        var packets = 0
        for fromChromium in [true, false] {
            for packet in try RTPCapturedFixtureTests.rtp(from: fromChromium) where packet.header.payloadType == 111 {
                let frame = try OpusPayloadFormat.depacketize([packet.payload])
                #expect(frame.isKeyFrame)
                #expect(try OpusPayloadFormat.sampleCount(of: frame.data) == 960)  // a=ptime 20 ms default
                packets += 1
            }
        }
        #expect(packets >= 4)
    }
}
