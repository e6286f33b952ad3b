import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport
import Testing

@Suite struct RTPReceiveStreamTests {
    static func videoStream(maxHold: TimeAmount = .milliseconds(300)) -> RTPReceiveStream {
        RTPReceiveStream(configuration: .init(localSSRC: 9, remoteSSRC: 0x1111, payloadType: 96, format: VP8PayloadFormat.self,
                                              rtx: (0x2222, 97), maxHold: maxHold))
    }

    /// Sends `count` VP8 frames of 2 packets each from `firstSeq`; returns the next sequence number.
    static func feed(_ stream: inout RTPReceiveStream, frames: Range<Int>, firstSeq: UInt16, skip: Set<UInt16> = [],
                     keyEvery: Int = 1_000) -> UInt16 {
        var seq = firstSeq
        for i in frames {
            for p in Recv.vp8Packets(index: i, key: i % keyEvery == 0, size: 900, firstSeq: seq, ts: UInt32(i) * 3_000) {
                if !skip.contains(p.header.sequenceNumber) { stream.handle(.rtp(p.serialized()), now: Recv.ms(Int64(i) * 33)) }
                seq &+= 1
            }
        }
        return seq
    }

    @Test func sendsReceiverReportsWithLossAndCaptureTimes() throws {
        var stream = Self.videoStream()
        let sr = RTCPSenderReport(ssrc: 0x1111, ntpTimestamp: 0xE000_0000_8000_0000, rtpTimestamp: 0, packetCount: 0, octetCount: 0)
        stream.handle(.rtcp(RTCPCompoundPacket(packets: [.senderReport(sr)]).serialized()), now: Recv.t0)
        _ = Self.feed(&stream, frames: 0..<30, firstSeq: 100, skip: [110])
        let frames = Recv.events(&stream).compactMap(\.frame)
        // Frame 5 (seq 110–111) is lost and never repaired: held, dropped, then frames wait for a key frame.
        #expect(frames.count == 5)
        #expect(frames.last.flatMap { Recv.vp8Index($0.data) } == 4)
        // Capture time of frame 3 (ts 9000 = 100 ms after the SR's RTP time).
        #expect(frames[3].captureTime == 0xE000_0000_8000_0000 + (UInt64(1) << 32) / 10)
        var transmits = Recv.transmits(&stream)
        #expect(transmits.contains { if case .transportFeedback(.genericNACK) = $0 { true } else { false } })
        stream.handleTimeout(now: Recv.ms(1_000))
        transmits = Recv.transmits(&stream)
        let reports = transmits.compactMap { if case .receiverReport(let r) = $0 { r } else { nil } }
        #expect(reports.count == 1)
        let rr = try #require(reports.first)
        #expect(rr.ssrc == 9 && rr.reports.count == 1)
        let block = try #require(rr.reports.first)
        #expect(block.ssrc == 0x1111)
        #expect(block.cumulativeLost == 1)
        #expect(block.extendedHighestSequenceNumber == 159)
        #expect(block.lastSenderReport == 0x0000_8000)
        #expect(block.delaySinceLastSenderReport == 65_536)
        #expect(stream.nextDeadline.map { $0 <= Recv.ms(2_000) } == true)
        #expect(stream.statistics.receiverReportsSent == 1)
        #expect(stream.statistics.senderReportsReceived == 1)
    }

    @Test func lossRequestsAKeyFrameThrottled() {
        var stream = Self.videoStream(maxHold: .milliseconds(100))
        var seq = Self.feed(&stream, frames: 0..<3, firstSeq: 1)
        seq = Self.feed(&stream, frames: 3..<10, firstSeq: seq, skip: [seq])  // frame 3 loses a packet
        func countPLIs(_ packets: [RTCPPacket]) -> Int {
            packets.filter { if case .payloadSpecificFeedback(.pictureLossIndication) = $0 { true } else { false } }.count
        }
        var plis = countPLIs(Recv.transmits(&stream))
        #expect(plis == 1)
        while let deadline = stream.nextDeadline, deadline < Recv.ms(1_400) {
            stream.handleTimeout(now: deadline)
            plis += countPLIs(Recv.transmits(&stream))
        }
        // Requests every 500 ms until a key frame: at the drop (231 ms, while frame 7 arrives), 731, 1231.
        #expect(plis == 3)
        #expect(stream.statistics.framesDroppedIncomplete == 1)
        #expect(stream.statistics.framesDiscardedWaitingForKeyFrame == 6)
        // A key frame stops the requests.
        _ = Self.feed(&stream, frames: 50..<51, firstSeq: seq, keyEvery: 1)
        #expect(Recv.events(&stream).compactMap(\.frame).last?.isContiguous == false)
        stream.handleTimeout(now: Recv.ms(3_000))
        #expect(!Recv.transmits(&stream).contains { if case .payloadSpecificFeedback = $0 { true } else { false } })
        #expect(stream.statistics.pictureLossIndicationsSent == 3)
    }

    @Test func badInputIsDroppedWithReasonsAndTheStreamGoesOn() {
        var stream = Self.videoStream()
        var seq = Self.feed(&stream, frames: 0..<3, firstSeq: 500)
        #expect(Recv.events(&stream).compactMap(\.frame).count == 3)
        let good = Recv.vp8Packets(index: 3, key: false, size: 300, firstSeq: seq, ts: 9_000)[0]
        let bytes = Array(buffer: good.serialized())
        stream.handle(.rtp(ByteBuffer(bytes: Array(bytes.prefix(7)))), now: Recv.ms(100))  // truncated
        var version1 = bytes
        version1[0] = 0x40
        stream.handle(.rtp(ByteBuffer(bytes: version1)), now: Recv.ms(100))
        var csrcs = Array(bytes.prefix(20))
        csrcs[0] |= 0x0F  // 15 CSRCs announced, 8 bytes there
        stream.handle(.rtp(ByteBuffer(bytes: csrcs)), now: Recv.ms(100))
        stream.handle(.rtpPacket(Recv.packet(seq: seq, ts: 9_000, ssrc: 0x3333)), now: Recv.ms(100))
        stream.handle(.rtpPacket(Recv.packet(seq: seq, ts: 9_000, pt: 100)), now: Recv.ms(100))
        stream.handle(.rtpPacket(Recv.packet(seq: seq &+ 20_000, ts: 9_000)), now: Recv.ms(100))  // far jump
        stream.handle(.rtcp(ByteBuffer(bytes: [0x81, 200, 0x00, 0x10, 1, 2])), now: Recv.ms(100))
        stream.handle(.rtpPacket(good), now: Recv.ms(101))
        stream.handle(.rtpPacket(good), now: Recv.ms(102))  // duplicate of a delivered packet
        seq &+= 1
        let stats = stream.statistics
        #expect(stats.dropped(.malformedRTP) == 3)
        #expect(stats.lastRTPParseError == .truncatedCSRCList(csrcCount: 15, available: 8))
        #expect(stats.dropped(.unknownSSRC) == 1)
        #expect(stats.dropped(.unknownPayloadType) == 1)
        #expect(stats.dropped(.sequenceJump) == 1)
        #expect(stats.dropped(.malformedRTCP) == 1)
        #expect(stats.dropped(.late) == 1)
        #expect(Recv.events(&stream).compactMap(\.frame).map { Recv.vp8Index($0.data) } == [3])
        // Hostile VP8 descriptors and random payloads, then valid frames again.
        var rng = SeededRandom(seed: 42)
        var hostileTimestamp: UInt32 = 12_000
        for _ in 0..<2_000 {
            var payload = (0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 2 == 0 { payload.insert(0x90, at: 0) }  // X and S set: a frame start with a garbage extension
            stream.handle(.rtpPacket(Recv.packet(seq: seq, ts: hostileTimestamp, marker: rng.next() % 3 == 0, payload: payload)),
                          now: Recv.ms(200))
            seq &+= 1
            if rng.next() % 4 == 0 { hostileTimestamp &+= 3_000 }
        }
        _ = Recv.events(&stream)
        stream.handleTimeout(now: Recv.ms(600))
        _ = Recv.events(&stream)
        _ = Self.feed(&stream, frames: 100..<105, firstSeq: seq, keyEvery: 100)
        let after = Recv.events(&stream).compactMap(\.frame)
        #expect(after.map { Recv.vp8Index($0.data) } == [100, 101, 102, 103, 104])
        #expect(after.first?.isContiguous == false)
        #expect(stream.statistics.framesUndecodable > 0)
    }

    @Test func senderRestartStartsOverAtAKeyFrame() {
        var stream = Self.videoStream()
        _ = Self.feed(&stream, frames: 0..<4, firstSeq: 100)
        #expect(Recv.events(&stream).compactMap(\.frame).count == 4)
        // The sender jumps to 40000: the first packet is not believed, the second restarts the
        // statistics; the frame whose start was refused is dropped, deltas wait for a key frame.
        var seq = Self.feed(&stream, frames: 10..<13, firstSeq: 40_000)
        #expect(stream.statistics.dropped(.sequenceJump) == 1)
        #expect(stream.statistics.restarts == 1)
        #expect(Recv.events(&stream).compactMap(\.frame).isEmpty)
        #expect(Recv.transmits(&stream).contains { if case .payloadSpecificFeedback(.pictureLossIndication) = $0 { true } else { false } })
        seq = Self.feed(&stream, frames: 13..<15, firstSeq: seq, keyEvery: 13)
        // A stream that starts mid-frame holds that frame for a reordered start until the hold
        // (300 ms after frame 10's packet at 330 ms) expires.
        #expect(Recv.events(&stream).isEmpty)
        #expect(stream.nextDeadline == Recv.ms(630))
        stream.handleTimeout(now: Recv.ms(630))
        let frames = Recv.events(&stream).compactMap(\.frame)
        #expect(frames.map { Recv.vp8Index($0.data) } == [13, 14])
        #expect(frames.map(\.isContiguous) == [false, true])
        #expect(stream.receiveStatistics.extendedHighestSequenceNumber == UInt32(seq) - 1)
    }

    @Test func randomBytesNeverCrash() {
        var stream = Self.videoStream()
        var rng = SeededRandom(seed: 7)
        let valid = Array(buffer: Recv.vp8Packets(index: 0, key: true, size: 300, firstSeq: 1, ts: 0)[0].serialized())
        var sr = ByteBuffer()
        RTCPCompoundPacket(packets: [.senderReport(RTCPSenderReport(ssrc: 0x1111, ntpTimestamp: 1, rtpTimestamp: 2,
                                                                    packetCount: 3, octetCount: 4))]).serialize(into: &sr)
        let validRTCP = Array(buffer: sr)
        for i in 0..<5_000 {
            var bytes = i % 2 == 0 ? valid : validRTCP
            rng.mutate(&bytes, maxEdits: 6)
            stream.handle(i % 2 == 0 ? .rtp(ByteBuffer(bytes: bytes)) : .rtcp(ByteBuffer(bytes: bytes)), now: Recv.ms(Int64(i)))
            if let deadline = stream.nextDeadline, deadline <= Recv.ms(Int64(i)) { stream.handleTimeout(now: Recv.ms(Int64(i))) }
            _ = Recv.events(&stream)
            _ = Recv.transmits(&stream)
        }
        #expect(stream.statistics.totalDropped > 1_000)
    }
}
