import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct TransportWideCCFeedbackGeneratorTests {
    @Test func reportsArrivalsAndLossesEvery100ms() throws {
        var twcc = TransportWideCCFeedbackGenerator(senderSSRC: 1, mediaSSRC: 2)
        // 65530 … 5 across the wrap, 65533 and 2 missing, 1 ms apart (65535 arrives late, after 0).
        var arrivals: [UInt16: Int64] = [:]
        var t: Int64 = 0
        for seq in [65_530, 65_531, 65_532, 65_534, 0, 65_535, 1, 3, 4, 5] as [UInt16] {
            twcc.handleReceived(transportSequenceNumber: seq, now: Recv.t0 + .microseconds(t))
            arrivals[seq] = t
            t += 1_000
        }
        #expect(twcc.nextDeadline == Recv.ms(100))
        twcc.handleTimeout(now: Recv.ms(99))
        #expect(twcc.pollFeedback() == nil)
        twcc.handleTimeout(now: Recv.ms(100))
        let polled = twcc.pollFeedback()
        let feedback = try #require(polled)
        #expect(feedback.baseSequenceNumber == 65_530)
        #expect(feedback.packetStatusCount == 12)
        #expect(feedback.feedbackPacketCount == 0)
        let results = feedback.packets
        #expect(results.filter { $0.status == .notReceived }.map(\.sequenceNumber) == [65_533, 2])
        // Survives the wire, and the decoded times match the arrivals to the 250 µs tick.
        let parsed = try RTCPCompoundPacket(parsing: RTCPCompoundPacket(packets: [.transportFeedback(.transportWideCC(feedback))]).serialized())
        guard case .transportFeedback(.transportWideCC(let decoded)) = parsed.packets.first else {
            Issue.record("not TWCC"); return
        }
        let times = decoded.arrivalTimesMicroseconds
        #expect(times.count == 10)
        let origin = try #require(times[65_530])
        for (seq, arrival) in arrivals {
            let reported = try #require(times[seq])
            #expect(abs((reported - origin) - arrival) <= 125)
        }
        // A packet whose number was already reported is counted, not reported again.
        twcc.handleReceived(transportSequenceNumber: 2, now: Recv.ms(101))
        #expect(twcc.lateArrivals == 1)
        #expect(twcc.nextDeadline == nil)
        twcc.handleReceived(transportSequenceNumber: 6, now: Recv.ms(150))
        twcc.handleTimeout(now: Recv.ms(200))
        let polledNext = twcc.pollFeedback()
        let next = try #require(polledNext)
        #expect(next.baseSequenceNumber == 6 && next.packetStatusCount == 1 && next.feedbackPacketCount == 1)
    }

    @Test func readsTheHeaderExtensionAndBoundsTheSpan() throws {
        var twcc = TransportWideCCFeedbackGenerator(senderSSRC: 1, mediaSSRC: 2,
                                                    configuration: .init(maxPacketsPerFeedback: 100, maxSpan: 1_000))
        let ext = try RTPHeaderExtension(oneByte: [.transportWideSequenceNumber(id: 5, 10)])
        let packet = RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 3, headerExtension: ext),
                               payload: ByteBuffer(bytes: [1]))
        let known = twcc.handleReceived(packet, extensionID: 5, now: Recv.t0)
        let unknown = twcc.handleReceived(packet, extensionID: 6, now: Recv.t0)
        #expect(known && !unknown)
        twcc.handleReceived(transportSequenceNumber: 3_010, now: Recv.ms(1))
        twcc.flush()
        var feedbacks: [RTCPTransportWideCC] = []
        while let f = twcc.pollFeedback() { feedbacks.append(f) }
        #expect(feedbacks.count == 10)
        #expect(feedbacks.map { Int($0.packetStatusCount) }.reduce(0, +) == 1_000)
        #expect(feedbacks.first?.baseSequenceNumber == 2_011)
        #expect(twcc.skipped == 2_001)
    }
}
