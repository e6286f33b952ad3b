import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct RTXUnwrapperTests {
    let rtx = RTXUnwrapper(rtxSSRC: 0x2222, rtxPayloadType: 97, mediaSSRC: 0x1111, mediaPayloadType: 96)

    @Test func restoresOriginalSequenceAndPayloadType() throws {
        let packet = Recv.packet(seq: 7, ts: 1234, ssrc: 0x2222, pt: 97, marker: true, payload: [0xFF, 0xFE, 0x90, 0xAA])
        let original = try rtx.unwrap(packet)
        #expect(original.header.sequenceNumber == 0xFFFE)
        #expect(original.header.payloadType == 96)
        #expect(original.header.ssrc == 0x1111)
        #expect(original.header.timestamp == 1234 && original.header.marker)
        #expect(Array(buffer: original.payload) == [0x90, 0xAA])
    }

    @Test func paddingOnlyAndForeignPayloadTypesAreRefused() {
        #expect(throws: RTXUnwrapper.Refusal.paddingOnly) {
            try rtx.unwrap(RTPPacket(header: RTPHeader(payloadType: 97, sequenceNumber: 1, timestamp: 0, ssrc: 0x2222),
                                     payload: ByteBuffer(), paddingLength: 200))
        }
        #expect(throws: RTXUnwrapper.Refusal.paddingOnly) {
            try rtx.unwrap(Recv.packet(seq: 1, ts: 0, ssrc: 0x2222, pt: 97, payload: [0x00, 0x05]))
        }
        #expect(throws: RTXUnwrapper.Refusal.unknownPayloadType(96)) {
            try rtx.unwrap(Recv.packet(seq: 1, ts: 0, ssrc: 0x2222, pt: 96))
        }
    }

    @Test func streamRepairsALossWithRTX() {
        var stream = RTPReceiveStream(configuration: .init(localSSRC: 9, remoteSSRC: 0x1111, payloadType: 96,
                                                           format: VP8PayloadFormat.self, rtx: (0x2222, 97)))
        for packet in Recv.vp8Packets(index: 0, key: true, size: 1_400, firstSeq: 65_531, ts: 0) {
            stream.handle(.rtpPacket(packet), now: Recv.t0)
        }
        #expect(Recv.events(&stream).compactMap(\.frame).count == 1)
        let packets = Recv.vp8Packets(index: 1, key: false, size: 1_400, firstSeq: 65_534, ts: 900)
        #expect(packets.count == 3)
        stream.handle(.rtpPacket(packets[0]), now: Recv.t0)
        stream.handle(.rtpPacket(packets[2]), now: Recv.ms(1))
        let nacks = Recv.transmits(&stream)
        #expect(nacks == [.transportFeedback(.genericNACK(RTCPGenericNACK(senderSSRC: 9, mediaSSRC: 0x1111, lost: [65_535])))])
        #expect(Recv.events(&stream).isEmpty)
        // The retransmission: OSN 65535 on the RTX SSRC with its own sequence number.
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(65_535))
        payload.writeImmutableBuffer(packets[1].payload)
        let repair = RTPPacket(header: RTPHeader(payloadType: 97, sequenceNumber: 3, timestamp: 900, ssrc: 0x2222), payload: payload)
        stream.handle(.rtp(repair.serialized()), now: Recv.ms(60))
        let frames = Recv.events(&stream).compactMap(\.frame)
        #expect(frames.count == 1)
        #expect(frames.first?.data == Recv.vp8Frame(index: 1, key: false, size: 1_400))
        #expect(frames.first?.isKeyFrame == false && frames.first?.isContiguous == true)
        #expect(stream.statistics.retransmissionsReceived == 1)
        // A second copy of the same retransmission is a counted drop, and padding-only RTX is ignored.
        stream.handle(.rtp(repair.serialized()), now: Recv.ms(61))
        stream.handle(.rtpPacket(RTPPacket(header: RTPHeader(payloadType: 97, sequenceNumber: 4, timestamp: 0, ssrc: 0x2222),
                                           payload: ByteBuffer(), paddingLength: 100)), now: Recv.ms(62))
        #expect(stream.statistics.dropped(.late) == 1)
        #expect(stream.statistics.dropped(.paddingOnly) == 1)
        #expect(stream.receiveStatistics.cumulativeLost == 1)  // RTX does not hide the loss from the RR
    }
}
