import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

/// A forwarder's packets (an SFU leg) keep the sequence numbers and timestamps it chose — gaps
/// included, so the receiver can NACK what was lost upstream — and the cache answers NACKs
/// under those numbers.
@Suite struct RTPSendStreamSendsForwardedNumberingTests {
    let t0 = SendFixture.start

    @Test func givenSequenceNumbersGoOutAndAreRetransmittable() throws {
        var stream = SendFixture.stream(SendFixture.config())
        for (i, seq) in [65_534, 65_535, 1, 0, 2].enumerated() {  // 0 arrives after 1 (reordered upstream)
            stream.sendPayload(SendFixture.payload([UInt8(i)]), sequenceNumber: UInt16(seq), timestamp: 90_000 + UInt32(i) * 3_000,
                               marker: true, now: t0 + .milliseconds(Int64(i)))
        }
        let packets = try stream.drain().map { try $0.rtp() }
        #expect(packets.map(\.header.sequenceNumber) == [65_534, 65_535, 1, 0, 2])
        #expect(packets.allSatisfy { $0.header.ssrc == SendFixture.mediaSSRC && $0.header.payloadType == 96 })
        // The report extrapolates from the newest timestamp, not the reordered older one.
        let report = try #require(stream.senderReport(at: t0 + .milliseconds(4)))
        #expect(report.rtpTimestamp == 102_000, "\(report.rtpTimestamp)")
        let nack = RTCPPacket.transportFeedback(.genericNACK(RTCPGenericNACK(senderSSRC: SendFixture.remoteSSRC,
                                                                             mediaSSRC: SendFixture.mediaSSRC, lost: [0, 65_535])))
        stream.handle(SendFixture.compound(nack), now: t0 + .milliseconds(50))
        let resent = try stream.drain().map { try $0.rtp() }
        let answered = Dictionary(uniqueKeysWithValues: resent.map { ($0.header.sequenceNumber, $0.payload.getInteger(at: 0, as: UInt8.self)) })
        #expect(answered == [0: 3, 65_535: 1])
        // Frames after forwarded packets number on from the newest.
        stream.sendPayload(SendFixture.payload([9]), timestamp: 200_000, marker: true, now: t0 + .milliseconds(60))
        #expect(try stream.drain().map { try $0.rtp().header.sequenceNumber } == [3])
    }
}
