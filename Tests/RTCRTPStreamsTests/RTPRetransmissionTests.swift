import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct RTPRetransmissionTests {
    let t0 = SendFixture.start

    func nack(_ lost: [UInt16], media: UInt32 = SendFixture.mediaSSRC) -> ByteBuffer {
        SendFixture.compound(.transportFeedback(.genericNACK(
            RTCPGenericNACK(senderSSRC: SendFixture.remoteSSRC, mediaSSRC: media, lost: lost))))
    }

    @Test func nackIsAnsweredWithAnRTXPacketPerRFC4588() throws {
        let ext = RTPSendStreamConfiguration.HeaderExtensions(midID: 1, mid: "a")
        var stream = SendFixture.stream(SendFixture.config(rtx: true, extensions: ext) {
            $0.initialSequenceNumber = 1_000
            $0.initialTimestamp = 0x0102_0304
        })
        stream.sendPayloads([SendFixture.payload([0xDE, 0xAD]), SendFixture.payload([0xBE, 0xEF, 0x01])],
                            captureTime: t0, now: t0)
        let originals = stream.drain()
        #expect(originals[1].array == [0x90, 0x80 | 96, 0x03, 0xE9, 0x01, 0x02, 0x03, 0x04, 0x11, 0x11, 0x11, 0x11,
                                       0xBE, 0xDE, 0x00, 0x01, 0x10, 0x61, 0x00, 0x00, 0xBE, 0xEF, 0x01])
        let rtxSeq = stream.retransmissionCache.nextRTXSequenceNumber
        stream.handle(nack([1_001, 1_000]), now: t0 + .milliseconds(30))
        let resent = stream.drain()
        #expect(resent.count == 2 && resent.allSatisfy(\.isRetransmission))
        let s0 = UInt8(rtxSeq >> 8), s1 = UInt8(rtxSeq & 0xFF)
        let n0 = UInt8((rtxSeq &+ 1) >> 8), n1 = UInt8((rtxSeq &+ 1) & 0xFF)
        // Same header (marker, timestamp, extensions) with RTX PT, SSRC and sequence; OSN; payload.
        #expect(resent[0].array == [0x90, 0x80 | 97, s0, s1, 0x01, 0x02, 0x03, 0x04, 0x22, 0x22, 0x22, 0x22,
                                    0xBE, 0xDE, 0x00, 0x01, 0x10, 0x61, 0x00, 0x00,
                                    0x03, 0xE9, 0xBE, 0xEF, 0x01])
        #expect(resent[1].array == [0x90, 97, n0, n1, 0x01, 0x02, 0x03, 0x04, 0x22, 0x22, 0x22, 0x22,
                                    0xBE, 0xDE, 0x00, 0x01, 0x10, 0x61, 0x00, 0x00,
                                    0x03, 0xE8, 0xDE, 0xAD])
        #expect(stream.statistics.retransmittedPacketsSent == 2)
        #expect(stream.statistics.retransmittedBytesSent == 25 + 24)
        #expect(stream.statistics.nacksReceived == 1 && stream.statistics.nackedPackets == 2)
        // The originals' counters do not move.
        #expect(stream.statistics.packetsSent == 2)
    }

    @Test func rtxStripsTheOriginalsPadding() throws {
        var padded = ByteBuffer()
        RTPPacket(header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 7, timestamp: 9, ssrc: 1),
                  payload: ByteBuffer(bytes: [1, 2, 3]), paddingLength: 4).serialize(into: &padded)
        let rtx = try #require(RTPRetransmissionCache.rtxPacket(from: padded, rtx: .init(ssrc: 2, payloadType: 97),
                                                                sequenceNumber: 0x0102))
        #expect(Array(rtx.readableBytesView) == [0x80, 0x80 | 97, 0x01, 0x02, 0, 0, 0, 9, 0, 0, 0, 2, 0x00, 0x07, 1, 2, 3])
        #expect(RTPRetransmissionCache.rtxPacket(from: ByteBuffer(bytes: [0x80, 1, 2]), rtx: .init(ssrc: 2, payloadType: 97),
                                                 sequenceNumber: 0) == nil)
    }

    @Test func withoutRTXTheSamePacketIsResentWithANewTransportNumber() throws {
        let ext = RTPSendStreamConfiguration.HeaderExtensions(transportWideSequenceNumberID: 4)
        var stream = SendFixture.stream(SendFixture.config(extensions: ext) { $0.initialSequenceNumber = 500 })
        var sequencer = TransportWideSequencer(firstSequenceNumber: 10)
        stream.sendPayloads([SendFixture.payload([1, 2, 3])], captureTime: t0, now: t0)
        let original = try #require(stream.drain(stampingWith: &sequencer).first)
        #expect(original.transportWideSequenceNumber == 10)
        stream.handle(nack([500]), now: t0 + .milliseconds(20))
        let resent = try #require(stream.drain(stampingWith: &sequencer).first)
        #expect(resent.isRetransmission && resent.transportWideSequenceNumber == 11)
        let offset = try #require(resent.transportWideSequenceNumberOffset)
        var expected = original.array
        expected[offset] = 0
        expected[offset + 1] = 11
        #expect(resent.array == expected)
        #expect(try resent.rtp().header.sequenceNumber == 500)
        #expect(try resent.rtp().header.ssrc == SendFixture.mediaSSRC)
    }

    @Test func theSamePacketIsNotResentWithinTheInterval() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true) {
            $0.initialSequenceNumber = 0
            $0.retransmissionIntervalWithoutRTT = .milliseconds(100)
        })
        stream.sendPayloads([SendFixture.payload([1])], captureTime: t0, now: t0)
        _ = stream.drain()
        stream.handle(nack([0]), now: t0 + .milliseconds(10))
        #expect(stream.drain().count == 1)
        stream.handle(nack([0]), now: t0 + .milliseconds(60))
        #expect(stream.drain().isEmpty)
        #expect(stream.statistics.retransmissionsSuppressed == 1)
        stream.handle(nack([0]), now: t0 + .milliseconds(111))
        #expect(stream.drain().count == 1)
        #expect(stream.statistics.retransmittedPacketsSent == 2)
    }

    @Test func cacheIsBoundedByCountAndAge() throws {
        var stream = SendFixture.stream(SendFixture.config {
            $0.initialSequenceNumber = 65_530
            $0.retransmissionCacheCapacity = 8
            $0.retransmissionCacheMaximumAge = .milliseconds(500)
        })
        for i in 0..<20 {
            let at = t0 + .milliseconds(Int64(i))
            stream.sendPayloads([SendFixture.payload([UInt8(i)])], captureTime: at, now: at)
        }
        _ = stream.drain()  // sequence numbers 65530 … 65535, 0 … 13
        let now = t0 + .milliseconds(30)
        #expect(stream.retransmissionCache.count(now: now) == 8)
        #expect(!stream.retransmissionCache.contains(5, now: now))
        #expect(stream.retransmissionCache.contains(6, now: now) && stream.retransmissionCache.contains(13, now: now))
        #expect(!stream.retransmissionCache.contains(14, now: now))  // not sent yet
        stream.handle(nack([65_535, 5, 6, 13, 14]), now: now)
        let resent = try stream.drain().map { try $0.rtp().header.sequenceNumber }
        #expect(resent == [6, 13])
        #expect(stream.statistics.nackedPacketsNotCached == 3)
        // 500 ms after the last packet everything is too old.
        let late = t0 + .milliseconds(19 + 501)
        #expect(stream.retransmissionCache.count(now: late) == 0)
        stream.handle(nack([12]), now: late)
        #expect(stream.drain().isEmpty)
        #expect(stream.statistics.nackedPacketsNotCached == 4)
    }

    @Test func nacksForOtherStreamsAreIgnored() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true) { $0.initialSequenceNumber = 0 })
        stream.sendPayloads([SendFixture.payload([1])], captureTime: t0, now: t0)
        _ = stream.drain()
        stream.handle(nack([0], media: 0x5555_5555), now: t0 + .milliseconds(5))
        stream.handle(nack([0], media: SendFixture.rtxSSRC), now: t0 + .milliseconds(5))
        #expect(stream.drain().isEmpty)
        #expect(stream.statistics.nacksReceived == 0 && stream.statistics.rtcpPacketsIgnored == 2)
    }

    @Test func cacheExtendsSequenceNumbersAcrossTheWrap() throws {
        var cache = RTPRetransmissionCache(capacity: 16, maximumAge: .seconds(1))
        for seq: UInt16 in [65_533, 65_534, 65_535, 0, 1, 2] {
            var packet = ByteBuffer()
            RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: seq, timestamp: 0, ssrc: 1),
                      payload: ByteBuffer(bytes: [UInt8(truncatingIfNeeded: seq)])).serialize(into: &packet)
            cache.store(packet, now: t0)
        }
        #expect(cache.count(now: t0) == 6)
        #expect([65_533, 65_535, 0, 2].allSatisfy { cache.contains($0, now: t0) })
        #expect(!cache.contains(3, now: t0) && !cache.contains(65_532, now: t0))
        guard case .cached(let p) = cache.lookup(0, now: t0, minimumInterval: .milliseconds(10)) else {
            Issue.record("sequence 0 should be cached")
            return
        }
        #expect(try RTPPacket(parsing: p).header.sequenceNumber == 0)
        #expect(cache.lookup(0, now: t0 + .milliseconds(5), minimumInterval: .milliseconds(10)) == .tooSoon)
        cache.store(ByteBuffer(bytes: [1, 2, 3]), now: t0)  // too short: ignored
        #expect(cache.count(now: t0) == 6)
    }
}
