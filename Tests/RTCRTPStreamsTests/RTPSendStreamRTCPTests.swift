import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct RTPSendStreamRTCPTests {
    let t0 = SendFixture.start

    /// Runs 30 fps frames captured 15 ms before they are sent for `duration`, firing timers on
    /// time, and returns the sender reports with the instant each was sent, plus every RTP packet
    /// with its capture instant.
    func run(_ stream: inout RTPSendStream, for duration: TimeAmount)
        -> (reports: [(NIODeadline, RTCPCompoundPacket)], packets: [(NIODeadline, RTPPacket)]) {
        var reports: [(NIODeadline, RTCPCompoundPacket)] = []
        var packets: [(NIODeadline, RTPPacket)] = []
        var nextFrame = t0
        var frame = 0
        while true {
            let now = min(nextFrame, stream.nextDeadline ?? nextFrame)
            if now > t0 + duration { break }
            if let due = stream.nextDeadline, due <= now { stream.handleTimeout(now: now) }
            var capture = nextFrame
            if now == nextFrame {
                capture = now - .milliseconds(15)
                stream.sendPayloads([ByteBuffer(repeating: UInt8(frame & 0xFF), count: 100 + frame % 7)],
                                    captureTime: capture, now: now)
                frame += 1
                nextFrame = t0 + .nanoseconds(Int64(frame) * 1_000_000_000 / 30)
            }
            while let t = stream.pollTransmit() {
                switch t.kind {
                case .rtcp: reports.append((now, try! t.rtcp()))
                case .rtp: packets.append((capture, try! t.rtp()))
                }
            }
        }
        return (reports, packets)
    }

    @Test func senderReportsComeEverySecondWithAConsistentNTPToRTPMapping() throws {
        var stream = SendFixture.stream(SendFixture.config())
        #expect(stream.nextDeadline == nil)  // no reports before the first packet
        let (reports, packets) = run(&stream, for: .milliseconds(5_500))
        #expect(reports.map(\.0) == [100, 1_100, 2_100, 3_100, 4_100, 5_100].map { t0 + .milliseconds($0) })
        var previous: RTCPSenderReport?
        for (sentAt, compound) in reports {
            guard case .senderReport(let sr) = compound.packets.first, compound.packets.count == 2,
                  case .sourceDescription(let sdes) = compound.packets[1] else {
                Issue.record("expected SR then SDES, got \(compound.packets)")
                continue
            }
            #expect(sdes.cname(of: SendFixture.mediaSSRC) == "send-test")
            #expect(sr.ssrc == SendFixture.mediaSSRC && sr.reports.isEmpty)
            #expect(sr.ntpTimestamp == SendFixture.clock.ntp(at: sentAt))
            // Counts cover exactly the packets sent before the report (the loop fires the report
            // before a frame due at the same instant).
            let before = packets.filter { $0.0 + .milliseconds(15) < sentAt }
            #expect(sr.packetCount == UInt32(before.count))
            #expect(sr.octetCount == UInt32(before.reduce(0) { $0 + $1.1.payload.readableBytes }))
            // The report maps NTP to RTP the way packets map capture time to RTP: for every packet,
            // (SR rtp − packet rtp) / 90 kHz equals (SR time − capture time) to one tick.
            for (capture, packet) in before {
                let ticks = Int64(Int32(bitPattern: sr.rtpTimestamp &- packet.header.timestamp))
                let expected = (sentAt - capture).nanoseconds * 90_000 / 1_000_000_000
                #expect(abs(ticks - expected) <= 1)
            }
            if let previous {
                let ntpDelta = Double(sr.ntpTimestamp - previous.ntpTimestamp) / 4_294_967_296
                let rtpDelta = Double(sr.rtpTimestamp &- previous.rtpTimestamp) / 90_000
                #expect(abs(ntpDelta - 1) < 1e-9 && abs(rtpDelta - 1) < 1e-9)
            }
            previous = sr
        }
        #expect(stream.statistics.senderReportsSent == 6)
    }

    @Test func pliAndFIRRaiseKeyFrameRequests() throws {
        var stream = SendFixture.stream(SendFixture.config())
        let me = SendFixture.mediaSSRC
        let peer = SendFixture.remoteSSRC
        func fir(_ seq: UInt8, from sender: UInt32 = peer) -> RTCPPacket {
            .payloadSpecificFeedback(.fullIntraRequest(RTCPFullIntraRequest(
                senderSSRC: sender, entries: [RTCPFIREntry(ssrc: 0x9999, sequenceNumber: 1), RTCPFIREntry(ssrc: me, sequenceNumber: seq)])))
        }
        stream.handle(SendFixture.compound(
            .receiverReport(RTCPReceiverReport(ssrc: peer, reports: [])),
            .payloadSpecificFeedback(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: peer, mediaSSRC: me))),
            .payloadSpecificFeedback(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: peer, mediaSSRC: 0x9999)))),
            now: t0)
        stream.handle(SendFixture.compound(fir(5)), now: t0 + .milliseconds(10))
        stream.handle(SendFixture.compound(fir(5)), now: t0 + .milliseconds(20))  // a repeat of the same request
        stream.handle(SendFixture.compound(fir(6)), now: t0 + .milliseconds(30))
        stream.handle(SendFixture.compound(fir(5, from: 0x7777)), now: t0 + .milliseconds(40))
        #expect(stream.drainEvents() == [
            .keyFrameRequested(RTPKeyFrameRequest(senderSSRC: peer, method: .pictureLossIndication)),
            .keyFrameRequested(RTPKeyFrameRequest(senderSSRC: peer, method: .fullIntraRequest(sequenceNumber: 5))),
            .keyFrameRequested(RTPKeyFrameRequest(senderSSRC: peer, method: .fullIntraRequest(sequenceNumber: 6))),
            .keyFrameRequested(RTPKeyFrameRequest(senderSSRC: 0x7777, method: .fullIntraRequest(sequenceNumber: 5))),
        ])
        let s = stream.statistics
        #expect(s.plisReceived == 1 && s.firsReceived == 4 && s.duplicateFIRs == 1)
        #expect(s.rtcpPacketsIgnored == 2)  // the empty RR and the PLI for another source
    }

    @Test func receiverReportGivesRoundTripTimeAndRemoteLoss() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true) { $0.initialSequenceNumber = 0 })
        stream.sendPayloads([SendFixture.payload([1])], captureTime: t0, now: t0)
        _ = stream.drain()
        let srTime = try #require(stream.nextDeadline)
        stream.handleTimeout(now: srTime)
        guard case .senderReport(let sr) = try #require(stream.drain().first).rtcp().packets.first else {
            Issue.record("no sender report")
            return
        }
        // The peer got the SR 25 ms later, held it 30 ms, and its RR arrives 25 ms after that.
        let dlsr = UInt32(30 * 65_536 / 1_000)
        let block = RTCPReceptionReport(ssrc: SendFixture.mediaSSRC, fractionLost: 26, cumulativeLost: 3,
                                        extendedHighestSequenceNumber: 0x1_0005, jitter: 450,
                                        lastSenderReport: sr.compactNTPTimestamp, delaySinceLastSenderReport: dlsr)
        let other = RTCPReceptionReport(ssrc: 0x4242, fractionLost: 200, lastSenderReport: 1, delaySinceLastSenderReport: 1)
        stream.handle(SendFixture.compound(.receiverReport(RTCPReceiverReport(ssrc: SendFixture.remoteSSRC, reports: [other, block]))),
                      now: srTime + .milliseconds(80))
        let events = stream.drainEvents()
        guard events.count == 1, case .receptionReport(let report) = events[0] else {
            Issue.record("expected one reception report, got \(events)")
            return
        }
        let rtt = try #require(report.roundTripTime)
        #expect(abs(rtt.nanoseconds - 50_000_000) < 1_000_000)
        #expect(report.reporterSSRC == SendFixture.remoteSSRC && report.fractionLost == 26 && report.cumulativeLost == 3)
        #expect(report.jitterDuration(clockRate: 90_000) == .milliseconds(5))
        #expect(abs(report.lossFraction - 26.0 / 256) < 1e-12)
        let s = stream.statistics
        #expect(s.roundTripTime == rtt && s.remoteFractionLost == 26 && s.remoteJitter == 450 && s.remoteCumulativeLost == 3)

        // An LSR that echoes no report of ours gives no round trip and keeps the last one.
        let forged = RTCPReceptionReport(ssrc: SendFixture.mediaSSRC, fractionLost: 0,
                                         lastSenderReport: sr.compactNTPTimestamp &+ 99, delaySinceLastSenderReport: 0)
        stream.handle(SendFixture.compound(.senderReport(RTCPSenderReport(ssrc: SendFixture.remoteSSRC, ntpTimestamp: 1,
                                                                          rtpTimestamp: 2, packetCount: 0, octetCount: 0,
                                                                          reports: [forged]))),
                      now: srTime + .milliseconds(200))
        guard case .receptionReport(let second)? = stream.pollEvent() else {
            Issue.record("expected a second reception report")
            return
        }
        #expect(second.roundTripTime == nil && stream.roundTripTime == rtt && stream.statistics.remoteFractionLost == 0)

        // With the round trip known (50 ms), a packet may be resent again 50 ms later, not before.
        let nack = SendFixture.compound(.transportFeedback(.genericNACK(
            RTCPGenericNACK(senderSSRC: SendFixture.remoteSSRC, mediaSSRC: SendFixture.mediaSSRC, lost: [0]))))
        stream.handle(nack, now: srTime + .milliseconds(300))
        stream.handle(nack, now: srTime + .milliseconds(330))
        stream.handle(nack, now: srTime + .milliseconds(351))
        #expect(stream.drain().count == 2 && stream.statistics.retransmissionsSuppressed == 1)
    }

    @Test func rembForThisStreamBecomesAnEvent() {
        var stream = SendFixture.stream(SendFixture.config())
        stream.handle(SendFixture.compound(
            .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(
                senderSSRC: SendFixture.remoteSSRC, bitrate: 1_500_000, ssrcs: [SendFixture.mediaSSRC]))),
            .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(
                senderSSRC: SendFixture.remoteSSRC, bitrate: 9, ssrcs: [0x1234])))), now: t0)
        #expect(stream.drainEvents() == [.receiverEstimatedBitrate(bitsPerSecond: 1_500_000, senderSSRC: SendFixture.remoteSSRC)])
        #expect(stream.statistics.rtcpPacketsIgnored == 1)
    }

    @Test func malformedAndForeignRTCPIsCountedNeverFatal() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true) { $0.initialSequenceNumber = 100 })
        stream.sendPayloads([SendFixture.payload([1, 2, 3])], captureTime: t0, now: t0)
        _ = stream.drain()
        let garbage: [[UInt8]] = [[], [0x80], [0x40, 200, 0, 1, 0, 0, 0, 0], [0x81, 205, 0, 9, 1, 2, 3, 4],
                                  [0x81, 205, 0, 1, 0, 0, 0, 1]]
        for bytes in garbage { stream.handle(ByteBuffer(bytes: bytes), now: t0 + .milliseconds(1)) }
        #expect(stream.statistics.rtcpDatagramsMalformed == UInt64(garbage.count))
        // Foreign but well-formed: SDES, BYE, transport-wide feedback, APP, an unknown type.
        stream.handle(SendFixture.compound(
            .sourceDescription(RTCPSourceDescription(chunks: [RTCPSDESChunk(source: 5, items: [])])),
            .goodbye(RTCPGoodbye(sources: [5])),
            .applicationDefined(RTCPApplicationDefined(subtype: 1, source: 5, name: 0x4142_4344, data: [])),
            .unknown(RTCPUnknownPacket(count: 0, packetType: 199, body: [1, 2, 3, 4]))), now: t0 + .milliseconds(2))
        #expect(stream.statistics.rtcpPacketsIgnored == 4)
        #expect(stream.drain().isEmpty && stream.drainEvents().isEmpty)

        // Mutated NACK/PLI/RR compounds: whatever parses is acted on, the rest is counted.
        var rng = SeededRandom(seed: 99)
        let valid = Array(SendFixture.compound(
            .receiverReport(RTCPReceiverReport(ssrc: 9, reports: [RTCPReceptionReport(ssrc: SendFixture.mediaSSRC)])),
            .transportFeedback(.genericNACK(RTCPGenericNACK(senderSSRC: 9, mediaSSRC: SendFixture.mediaSSRC, lost: [100, 101]))),
            .payloadSpecificFeedback(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 9, mediaSSRC: SendFixture.mediaSSRC))))
            .readableBytesView)
        var parsed = 0
        var malformed = 0
        for i in 0..<3_000 {
            var bytes = valid
            rng.mutate(&bytes, maxEdits: 3)
            if (try? RTCPCompoundPacket(parsing: bytes)) == nil { malformed += 1 } else { parsed += 1 }
            stream.handle(ByteBuffer(bytes: bytes), now: t0 + .milliseconds(10 + Int64(i)))
            _ = stream.drain()
            _ = stream.drainEvents()
        }
        #expect(parsed > 100 && malformed > 100)
        #expect(stream.statistics.rtcpDatagramsMalformed == UInt64(garbage.count + malformed))
        #expect(stream.statistics.nextSequenceNumberSanity(stream.nextSequenceNumber))
    }
}

extension RTPSendStreamStatistics {
    /// Hostile RTCP must not touch the send path: nothing new was sent.
    func nextSequenceNumberSanity(_ next: UInt16) -> Bool { packetsSent == 1 && next == 101 }
}
