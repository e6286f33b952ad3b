import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport
import Testing

/// A receive stream for a forwarder (`forwardsPackets`): packets come out as they arrive, the
/// ones repaired through RTX too, no frame is assembled, and NACK, PLI and reports still work.
@Suite struct RTPReceiveStreamForwardsPacketsTests {
    static func stream() -> RTPReceiveStream {
        var configuration = RTPReceiveStream.Configuration(localSSRC: 9, remoteSSRC: 0x1111, payloadType: 96,
                                                           format: VP8PayloadFormat.self, rtx: (0x2222, 97))
        configuration.forwardsPackets = true
        return RTPReceiveStream(configuration: configuration)
    }

    static func packets(_ events: [RTPReceiveStream.Event]) -> [RTPPacket] {
        events.compactMap { if case .packet(let p) = $0 { p } else { nil } }
    }

    @Test func packetsComeOutAsTheyArriveAndLossesAreRepairedThroughRTX() throws {
        var stream = Self.stream()
        var sent: [UInt16: RTPPacket] = [:]
        for (i, seq) in [100, 101, 102, 103, 105, 106, 107].enumerated() {
            let p = Recv.vp8Packets(index: i, key: i == 0, size: 200, firstSeq: UInt16(seq), ts: UInt32(seq) * 3_000)[0]
            sent[p.header.sequenceNumber] = p
            stream.handle(.rtpPacket(p), now: Recv.ms(Int64(i) * 20))
        }
        var events = Recv.events(&stream)
        #expect(Self.packets(events).map(\.header.sequenceNumber) == [100, 101, 102, 103, 105, 106, 107])
        #expect(!events.contains { if case .frame = $0 { true } else { false } })
        let nacks = Recv.transmits(&stream).compactMap { if case .transportFeedback(.genericNACK(let n)) = $0 { n } else { nil } }
        #expect(nacks.flatMap(\.lostSequenceNumbers) == [104])
        // The sender repairs 104 over RTX: it comes out unwrapped, as the media stream's packet.
        let lost = Recv.vp8Packets(index: 4, key: false, size: 200, firstSeq: 104, ts: 104 * 3_000)[0]
        let rtx = try #require(RTPRetransmissionCache.rtxPacket(from: lost.serialized(), rtx: .init(ssrc: 0x2222, payloadType: 97),
                                                                 sequenceNumber: 5))
        stream.handle(.rtp(rtx), now: Recv.ms(200))
        events = Recv.events(&stream)
        let repaired = try #require(Self.packets(events).first)
        #expect(repaired.header.sequenceNumber == 104 && repaired.header.ssrc == 0x1111 && repaired.header.payloadType == 96)
        #expect(repaired.payload == lost.payload)
        #expect(stream.statistics.retransmissionsReceived == 1)
        #expect(stream.statistics.framesDelivered == 0)
        // Reports go on.
        stream.handleTimeout(now: Recv.ms(1_100))
        #expect(Recv.transmits(&stream).contains { if case .receiverReport = $0 { true } else { false } })
    }

    @Test func aKeyFrameRequestIsRepeatedUntilAKeyFrameStartArrives() {
        var stream = Self.stream()
        stream.handle(.rtpPacket(Recv.vp8Packets(index: 0, key: false, size: 200, firstSeq: 1, ts: 0)[0]), now: Recv.t0)
        _ = Recv.transmits(&stream)
        func plis() -> Int {
            Recv.transmits(&stream).filter { if case .payloadSpecificFeedback(.pictureLossIndication) = $0 { true } else { false } }.count
        }
        stream.requestKeyFrame(now: Recv.ms(10))
        #expect(plis() == 1)
        stream.handleTimeout(now: Recv.ms(510))
        #expect(plis() == 1, "repeated while no key frame came")
        stream.handle(.rtpPacket(Recv.vp8Packets(index: 1, key: true, size: 200, firstSeq: 2, ts: 3_000)[0]), now: Recv.ms(600))
        stream.handleTimeout(now: Recv.ms(1_010))
        #expect(plis() == 0, "the key frame ended the request")
    }
}
