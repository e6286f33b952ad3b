import NIOCore
import Testing

import RTCRTP

/// The code of RTCRTP.docc/GettingStarted.md, kept compiling and correct.
@Suite struct RTPGettingStartedArticleTests {
    @Test func rtpExampleFromTheArticle() throws {
        let extensions = try RTPHeaderExtension(oneByte: [
            .text(id: 4, "1"),  // mid
            .transportWideSequenceNumber(id: 3, 17),
        ])
        let packet = RTPPacket(
            header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 1000, timestamp: 90_000,
                              ssrc: 0x1234_5678, headerExtension: extensions),
            payload: ByteBuffer(bytes: [0x90, 0x80, 0x00]))

        var buffer = ByteBuffer()
        buffer.clear()
        packet.serialize(into: &buffer)

        let received = try RTPPacket(parsing: buffer)
        let mid = received.header.headerExtension?.element(id: 4)?.text
        let transportSequence = received.header.headerExtension?.element(id: 3)?.transportWideSequenceNumber
        #expect(mid == "1")
        #expect(transportSequence == 17)
    }

    @Test func rtcpExampleFromTheArticle() throws {
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 0x1234_5678, lost: [1001, 1002, 1010])
        let report = RTCPReceiverReport(ssrc: 1, reports: [RTCPReceptionReport(ssrc: 0x1234_5678, fractionLost: 3)])
        let datagram = RTCPCompoundPacket(packets: [.receiverReport(report), .transportFeedback(.genericNACK(nack))]).serialized()

        var retransmit: [UInt16] = []
        for packet in try RTCPCompoundPacket(parsing: datagram).packets {
            switch packet {
            case .transportFeedback(.genericNACK(let nack)):
                retransmit = nack.lostSequenceNumbers
            default:
                break
            }
        }
        #expect(retransmit == [1001, 1002, 1010])
    }
}
