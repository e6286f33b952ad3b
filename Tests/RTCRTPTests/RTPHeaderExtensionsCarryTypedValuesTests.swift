import NIOCore
import Testing

@testable import RTCRTP

@Suite struct RTPHeaderExtensionsCarryTypedValuesTests {
    @Test func encodesAndDecodesTypedValues() throws {
        let ext = try RTPHeaderExtension(oneByte: [
            .transportWideSequenceNumber(id: 3, 0xBEEF),
            .absoluteSendTime(id: 2, 0x12_3456),
            .audioLevel(id: 1, RTPAudioLevel(level: 42, voiceActivity: true)),
            .text(id: 4, "video"),
        ])
        let parsed = try RTPPacket(parsing: RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                                                        headerExtension: ext), payload: ByteBuffer()).serialized())
        let back = try #require(parsed.header.headerExtension)
        #expect(back.element(id: 3)?.transportWideSequenceNumber == 0xBEEF)
        #expect(back.element(id: 2)?.absoluteSendTime == 0x12_3456)
        #expect(back.element(id: 1)?.audioLevel?.voiceActivity == true)
        #expect(back.element(id: 1)?.audioLevel?.level == 42)
        #expect(back.element(id: 4)?.text == "video")
        #expect(back.element(id: 4)?.transportWideSequenceNumber == nil)
        #expect(back.element(id: 5) == nil)
    }

    @Test func chromiumPacketsCarryIncreasingTransportWideSequenceNumbers() throws {
        let ids = RTPCapturedFixtureTests.extmap(in: try RTPCapturedFixtureTests.sdp("aiortc-answer.sdp"))
        let twccID = try #require(ids[RTPHeaderExtensionURI.transportWideSequenceNumber])
        let audioLevelID = try #require(ids[RTPHeaderExtensionURI.audioLevel])
        let packets = try RTPCapturedFixtureTests.rtp(from: true)
        // The answer negotiated transport-wide CC for video only (the capture script adds it there).
        let video = packets.filter { $0.header.payloadType != 111 }
        let numbers = video.compactMap { $0.header.headerExtension?.element(id: twccID)?.transportWideSequenceNumber }
        #expect(numbers.count == video.count)
        #expect(numbers.count >= 2)
        // Fixtures are in capture order: transport-wide numbers grow.
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $1 &- $0 < 0x8000 && $1 != $0 })
        let levels = packets.filter { $0.header.payloadType == 111 }.compactMap { $0.header.headerExtension?.element(id: audioLevelID)?.audioLevel }
        #expect(!levels.isEmpty)
        #expect(levels.allSatisfy { $0.level <= 127 })
    }

    @Test func roundTripTimeFromReportBlock() {
        let sr = RTCPSenderReport(ssrc: 1, ntpTimestamp: 0x0000_1234_5678_0000, rtpTimestamp: 0, packetCount: 0, octetCount: 0)
        #expect(sr.compactNTPTimestamp == 0x1234_5678)
        // Report sent 0.5 s after the SR arrived; it arrives 0.75 s after the SR was sent: RTT 0.25 s.
        let block = RTCPReceptionReport(ssrc: 1, lastSenderReport: sr.compactNTPTimestamp, delaySinceLastSenderReport: 0x8000)
        #expect(block.roundTripTime(arrivalCompactNTP: sr.compactNTPTimestamp &+ 0xC000) == 0x4000)
        #expect(block.roundTripTime(arrivalCompactNTP: sr.compactNTPTimestamp &+ 0x4000) == nil)
        #expect(RTCPReceptionReport(ssrc: 1).roundTripTime(arrivalCompactNTP: 5) == nil)
    }
}
