import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct RTPSendStreamTests {
    let t0 = SendFixture.start

    @Test func sequenceNumbersWrapAndMarkerEndsTheFrame() throws {
        var stream = SendFixture.stream(SendFixture.config { $0.initialSequenceNumber = 65_534 })
        let payloads = (0..<4).map { SendFixture.payload([UInt8($0), 0xEE]) }
        stream.sendPayloads(payloads, captureTime: t0, now: t0)
        let packets = try stream.drain().map { try $0.rtp() }
        #expect(packets.map(\.header.sequenceNumber) == [65_534, 65_535, 0, 1])
        #expect(packets.map(\.header.marker) == [false, false, false, true])
        #expect(Set(packets.map(\.header.timestamp)).count == 1)
        #expect(packets.allSatisfy { $0.header.ssrc == SendFixture.mediaSSRC && $0.header.payloadType == 96 })
        #expect(packets.map { Array($0.payload.readableBytesView) } == payloads.map { Array($0.readableBytesView) })
        #expect(stream.nextSequenceNumber == 2)
        #expect(stream.statistics.packetsSent == 4)
        #expect(stream.statistics.payloadBytesSent == 8)
        #expect(stream.statistics.bytesSent == 4 * 14)
    }

    @Test func randomStartsComeFromTheInjectedGenerator() {
        let a = SendFixture.stream(SendFixture.config(), seed: 1)
        let b = SendFixture.stream(SendFixture.config(), seed: 1)
        let c = SendFixture.stream(SendFixture.config(), seed: 2)
        #expect(a.nextSequenceNumber == b.nextSequenceNumber && a.initialTimestamp == b.initialTimestamp)
        #expect(a.nextSequenceNumber != c.nextSequenceNumber || a.initialTimestamp != c.initialTimestamp)
        #expect(a.nextSequenceNumber < 0x8000 && c.nextSequenceNumber < 0x8000)
    }

    @Test func timestampsFollowCaptureTimeAtTheClockRate() throws {
        var video = SendFixture.stream(SendFixture.config { $0.initialTimestamp = 0xFFFF_F000 })
        let captures: [TimeAmount] = [.zero, .milliseconds(40), .milliseconds(1_000), .nanoseconds(1_033_333_333)]
        for c in captures {
            video.sendPayloads([SendFixture.payload([1])], captureTime: t0 + c, now: t0 + c + .milliseconds(5))
        }
        let stamps = try video.drain().map { try $0.rtp().header.timestamp }
        // 40 ms = 3 600 ticks at 90 kHz, 1 s = 90 000, 1.033333333 s = 92 999 (truncated); wraps past 2^32.
        let base: UInt32 = 0xFFFF_F000
        let expected: [UInt32] = [base, base &+ 3_600, base &+ 90_000, base &+ 92_999]
        #expect(stamps == expected)

        var audio = SendFixture.stream(SendFixture.config(clockRate: 48_000) { $0.initialTimestamp = 1_000 })
        var opus = OpusPayloadFormat()
        for i in 0..<3 {
            let at = t0 + .milliseconds(20 * Int64(i))
            try audio.sendFrame(SendFixture.payload([0x78, 1, 2]), format: &opus, captureTime: at, marker: i == 0, now: at)
        }
        let opusPackets = try audio.drain().map { try $0.rtp() }
        #expect(opusPackets.map(\.header.timestamp) == [1_000, 1_960, 2_920])
        #expect(opusPackets.map(\.header.marker) == [true, false, false])
        #expect(audio.statistics.framesSent == 3)
    }

    @Test func forwardedPayloadsKeepTheirTimestamps() throws {
        var stream = SendFixture.stream(SendFixture.config())
        stream.sendPayload(SendFixture.payload([1]), timestamp: 777, marker: false, now: t0)
        stream.sendPayload(SendFixture.payload([2]), timestamp: 777, marker: true, now: t0 + .milliseconds(1))
        stream.sendPayload(SendFixture.payload([3]), timestamp: 4_377, marker: true, now: t0 + .milliseconds(40))
        let packets = try stream.drain().map { try $0.rtp() }
        #expect(packets.map(\.header.timestamp) == [777, 777, 4_377])
        #expect(packets.map(\.header.marker) == [false, true, true])
        // The sender report extrapolates from the latest frame: 4 377 at t0 + 40 ms.
        let report = stream.senderReport(at: t0 + .milliseconds(140))
        #expect(report?.rtpTimestamp == UInt32(4_377 + 9_000))
    }

    @Test func framesArePacketizedWithinTheMaximumPacketSize() throws {
        for rtx in [false, true] {
            var stream = SendFixture.stream(SendFixture.config(rtx: rtx) { $0.maximumPacketSize = 300 })
            #expect(stream.maximumPayloadSize == (rtx ? 286 : 288))
            var vp8 = VP8PayloadFormat(firstPictureID: 5)
            let frame = (0..<2_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try stream.sendFrame(ByteBuffer(bytes: frame), format: &vp8, captureTime: t0, now: t0)
            let transmits = stream.drain()
            let packets = try transmits.map { try $0.rtp() }
            #expect(transmits.allSatisfy { $0.bytes.readableBytes <= 300 && $0.kind == .rtp && !$0.isRetransmission })
            #expect(packets.count == (2_000 + stream.maximumPayloadSize - 5) / (stream.maximumPayloadSize - 4))
            #expect(packets.last?.header.marker == true && packets.dropLast().allSatisfy { !$0.header.marker })
            let rebuilt = try VP8PayloadFormat.depacketize(packets.map(\.payload))
            #expect(Array(rebuilt.data.readableBytesView) == frame)
            if rtx {
                // The largest packet still fits once RTX adds its OSN.
                let nack = RTCPGenericNACK(senderSSRC: SendFixture.remoteSSRC, mediaSSRC: SendFixture.mediaSSRC,
                                           lost: [packets[0].header.sequenceNumber])
                stream.handle(SendFixture.compound(.transportFeedback(.genericNACK(nack))), now: t0 + .milliseconds(10))
                let resent = stream.drain()
                #expect(resent.count == 1 && resent[0].bytes.readableBytes <= 300)
            }
        }
        var tooSmall = SendFixture.stream(SendFixture.config { $0.maximumPacketSize = 14 })
        var vp8 = VP8PayloadFormat()
        #expect(throws: RTPPayloadError.self) {
            try tooSmall.sendFrame(SendFixture.payload([1, 2, 3]), format: &vp8, captureTime: t0, now: t0)
        }
        #expect(tooSmall.drain().isEmpty && tooSmall.statistics.packetsSent == 0)
    }

    @Test func headerExtensionsCarryMidTransportNumberAndSendTime() throws {
        let ext = RTPSendStreamConfiguration.HeaderExtensions(midID: 1, mid: "video0", transportWideSequenceNumberID: 3,
                                                              absoluteSendTimeID: 2)
        var stream = SendFixture.stream(SendFixture.config(extensions: ext))
        var sequencer = TransportWideSequencer(firstSequenceNumber: 40)
        let sendAt = t0 + .milliseconds(250)
        stream.sendPayloads([SendFixture.payload([9]), SendFixture.payload([8])], captureTime: sendAt, now: sendAt)
        let transmits = stream.drain(stampingWith: &sequencer)
        #expect(transmits.map(\.transportWideSequenceNumber) == [40, 41])
        let expectedSendTime = UInt32(truncatingIfNeeded: SendFixture.clock.ntp(at: sendAt) >> 14) & 0xFF_FFFF
        for (i, t) in transmits.enumerated() {
            let block = try #require(try t.rtp().header.headerExtension)
            #expect(block.form == .oneByte)
            #expect(block.element(id: 1)?.text == "video0")
            #expect(block.element(id: 3)?.transportWideSequenceNumber == UInt16(40 + i))
            #expect(block.element(id: 2)?.absoluteSendTime == expectedSendTime)
            #expect(t.bytes.getInteger(at: t.transportWideSequenceNumberOffset ?? 0, as: UInt16.self) == UInt16(40 + i))
        }
        // Without a sequencer the slot is reserved and left zero.
        stream.sendPayloads([SendFixture.payload([7])], captureTime: sendAt, now: sendAt)
        let polled = stream.pollTransmit()
        let unstamped = try #require(polled)
        #expect(unstamped.transportWideSequenceNumber == nil)
        #expect(try unstamped.rtp().header.headerExtension?.element(id: 3)?.transportWideSequenceNumber == 0)
    }

    /// RFC 6464 through the stream: a payload sent with a level carries it; one sent without
    /// carries no level at all (its element's bytes are padding, skipped by parsers, RFC 8285
    /// §4.2/§4.3), in the one-byte form and in the two-byte form (a mid too long for the
    /// one-byte form), while the other elements and the packet's size stay as they were.
    @Test(arguments: ["audio0", "an-audio-mid-of-twenty"])
    func anAudioLevelGoesWithItsPayloadAndNoneIsMadeUpWithout(mid: String) throws {
        let ext = RTPSendStreamConfiguration.HeaderExtensions(midID: 1, mid: mid, transportWideSequenceNumberID: 3,
                                                              audioLevelID: 5)
        var stream = SendFixture.stream(SendFixture.config(clockRate: 48_000, extensions: ext))
        var sequencer = TransportWideSequencer(firstSequenceNumber: 7)
        let loud = RTPAudioLevel(level: 12, voiceActivity: true)
        stream.sendPayloads([SendFixture.payload([1])], captureTime: t0, audioLevel: loud, now: t0)
        stream.sendPayloads([SendFixture.payload([2])], captureTime: t0, now: t0)
        stream.sendPayloads([SendFixture.payload([3])], captureTime: t0, audioLevel: .silence, now: t0)
        let transmits = stream.drain(stampingWith: &sequencer)
        try #require(transmits.count == 3)
        let packets = try transmits.map { try $0.rtp() }
        #expect(packets.map { $0.header.headerExtension?.element(id: 5)?.audioLevel } == [loud, nil, .silence])
        for (i, packet) in packets.enumerated() {
            let block = try #require(packet.header.headerExtension)
            #expect(block.form == (mid.utf8.count > 16 ? .twoByte(appBits: 0) : .oneByte))
            #expect(block.element(id: 1)?.text == mid)
            #expect(block.element(id: 3)?.transportWideSequenceNumber == UInt16(7 + i))
            #expect(packet.payload.getInteger(at: packet.payload.readerIndex, as: UInt8.self) == UInt8(i + 1))
        }
        #expect(Set(transmits.map(\.bytes.readableBytes)).count == 1, "the same layout with and without a level")
    }

    @Test func stopSendsGoodbyeAndIgnoresLaterFrames() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true))
        stream.stop(now: t0)
        #expect(stream.drain().isEmpty)  // nothing sent, nothing to report
        var second = SendFixture.stream(SendFixture.config(rtx: true))
        second.sendPayloads([SendFixture.payload([1])], captureTime: t0, now: t0)
        _ = second.drain()
        second.stop(now: t0 + .milliseconds(50))
        let rtcp = try #require(second.drain().first).rtcp()
        guard case .senderReport = rtcp.packets.first, case .sourceDescription = rtcp.packets[1],
              case .goodbye(let bye) = rtcp.packets.last else {
            Issue.record("expected SR, SDES, BYE; got \(rtcp.packets)")
            return
        }
        #expect(bye.sources == [SendFixture.mediaSSRC, SendFixture.rtxSSRC])
        #expect(second.nextDeadline == nil)
        second.sendPayloads([SendFixture.payload([2])], captureTime: t0, now: t0 + .milliseconds(60))
        #expect(second.drain().isEmpty && second.statistics.packetsSent == 1)
    }
}
