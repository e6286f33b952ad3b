import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct FrameAssemblerTests {
    func insert(_ assembler: inout FrameAssembler, _ packet: RTPPacket, at now: NIODeadline,
                unwrapper: inout SequenceNumberUnwrapper) -> FrameAssembler.InsertResult {
        assembler.insert(sequence: unwrapper.unwrap(packet.header.sequenceNumber), timestamp: packet.header.timestamp,
                         marker: packet.header.marker, payload: packet.payload, now: now)
    }

    @Test func reorderedPacketsBecomeFramesInOrder() {
        var assembler = FrameAssembler(configuration: .init(format: VP8PayloadFormat.self))
        var unwrapper = SequenceNumberUnwrapper()
        let a = Recv.vp8Packets(index: 0, key: true, size: 1_200, firstSeq: 65_533, ts: 0)
        let b = Recv.vp8Packets(index: 1, key: false, size: 900, firstSeq: 65_533 &+ UInt16(a.count), ts: 3_000)
        #expect(a.count == 3 && b.count == 2)
        // Arrival order: b1, a0, a2, b0, a1.
        for (i, p) in [b[1], a[0], a[2], b[0]].enumerated() {
            #expect(insert(&assembler, p, at: Recv.ms(Int64(i)), unwrapper: &unwrapper) == .buffered)
        }
        #expect(Recv.frames(&assembler).isEmpty)
        #expect(assembler.nextDeadline == Recv.ms(1_000))
        #expect(insert(&assembler, a[1], at: Recv.ms(10), unwrapper: &unwrapper) == .buffered)
        let frames = Recv.frames(&assembler).compactMap(\.frame)
        #expect(frames.map { Recv.vp8Index($0.data) } == [0, 1])
        #expect(frames.map(\.isKeyFrame) == [true, false])
        #expect(frames.map(\.isContiguous) == [true, true])
        #expect(frames.map(\.rtpTimestamp) == [0, 3_000])
        #expect(frames[0].data == Recv.vp8Frame(index: 0, key: true, size: 1_200))
        #expect(assembler.nextDeadline == nil && assembler.bufferedPacketCount == 0)
        // Copies are refused.
        #expect(insert(&assembler, a[1], at: Recv.ms(11), unwrapper: &unwrapper) == .late)
    }

    @Test func holdExpiresThenWaitsForAKeyFrame() {
        var assembler = FrameAssembler(configuration: .init(format: VP8PayloadFormat.self, maxHold: .milliseconds(200)))
        var unwrapper = SequenceNumberUnwrapper()
        var seq: UInt16 = 100
        var frames: [[RTPPacket]] = []
        for i in 0..<5 {
            let packets = Recv.vp8Packets(index: i, key: i == 0 || i == 3, size: 900, firstSeq: seq, ts: UInt32(i) * 3_000)
            seq &+= UInt16(packets.count)
            frames.append(packets)
        }
        // Frame 1 loses its first packet; frames 2 (delta), 3 (key) and 4 arrive whole.
        var t: Int64 = 0
        for (i, packets) in frames.enumerated() {
            for (j, p) in packets.enumerated() where !(i == 1 && j == 0) {
                #expect(insert(&assembler, p, at: Recv.ms(t), unwrapper: &unwrapper) == .buffered)
            }
            t += 33
        }
        #expect(Recv.frames(&assembler).compactMap(\.frame).count == 1)
        let deadline = assembler.nextDeadline
        #expect(deadline == Recv.ms(33 + 200))  // frame 1's second packet arrived at 33 ms
        assembler.handleTimeout(now: Recv.ms(232))
        #expect(Recv.frames(&assembler).isEmpty)
        assembler.handleTimeout(now: Recv.ms(233))
        let out = Recv.frames(&assembler)
        #expect(out.compactMap(\.drop).map(\.reason) == [.incomplete, .waitingForKeyFrame])
        #expect(out.compactMap(\.drop).first?.frameCount == 1)
        let delivered = out.compactMap(\.frame)
        #expect(delivered.map { Recv.vp8Index($0.data) } == [3, 4])
        #expect(delivered.map(\.isContiguous) == [false, true])
        #expect(!assembler.isWaitingForKeyFrame)
    }

    @Test func declaredLossSkipsAtOnce() {
        var assembler = FrameAssembler(configuration: .init(format: VP8PayloadFormat.self, waitForKeyFrameAfterLoss: false))
        var unwrapper = SequenceNumberUnwrapper()
        let a = Recv.vp8Packets(index: 0, key: true, size: 1_200, firstSeq: 0, ts: 0)
        let b = Recv.vp8Packets(index: 1, key: false, size: 400, firstSeq: 3, ts: 3_000)
        let c = Recv.vp8Packets(index: 2, key: false, size: 400, firstSeq: 4, ts: 6_000)
        for p in a + c { _ = insert(&assembler, p, at: Recv.t0, unwrapper: &unwrapper) }
        #expect(Recv.frames(&assembler).compactMap(\.frame).count == 1)
        assembler.declareLost(unwrapper.extended(b[0].header.sequenceNumber), now: Recv.ms(5))
        let out = Recv.frames(&assembler)
        #expect(out.compactMap(\.drop).map(\.frameCount) == [1])
        #expect(out.compactMap(\.frame).map { Recv.vp8Index($0.data) } == [2])
        #expect(out.compactMap(\.frame).first?.isContiguous == false)
    }

    @Test func audioPacketsAreFramesAndPaddingIsSkipped() {
        var assembler = FrameAssembler(configuration: .init(format: OpusPayloadFormat.self, oneFramePerPacket: true,
                                                            maxHold: .milliseconds(60)))
        var unwrapper = SequenceNumberUnwrapper()
        for i in 0..<6 where i != 3 {
            let payload: [UInt8] = i == 1 ? [] : [0x78, UInt8(i)]  // 1 is padding-only
            _ = insert(&assembler, Recv.packet(seq: UInt16(i), ts: UInt32(i) * 960, pt: 111, payload: payload),
                       at: Recv.ms(Int64(i) * 20), unwrapper: &unwrapper)
        }
        #expect(Recv.frames(&assembler).compactMap(\.frame).map(\.rtpTimestamp) == [0, 1_920])
        #expect(assembler.nextDeadline == Recv.ms(80 + 60))
        assembler.handleTimeout(now: Recv.ms(140))
        let out = Recv.frames(&assembler)
        #expect(out.compactMap(\.drop).map(\.frameCount) == [1])
        #expect(out.compactMap(\.frame).map(\.rtpTimestamp) == [3_840, 4_800])
        #expect(!assembler.isWaitingForKeyFrame)  // audio never waits
    }

    @Test func undecodableFrameIsDroppedNotDelivered() {
        var assembler = FrameAssembler(configuration: .init(format: VP8PayloadFormat.self))
        var unwrapper = SequenceNumberUnwrapper()
        // S=1 PID=0 but only one byte of VP8 data: the depacketizer wants the 3-byte frame tag.
        _ = insert(&assembler, Recv.packet(seq: 1, ts: 0, marker: true, payload: [0x10, 0x00]), at: Recv.t0, unwrapper: &unwrapper)
        let drops = Recv.frames(&assembler).compactMap(\.drop)
        #expect(drops.map(\.reason) == [.undecodable(.truncatedDescriptor(needed: 3, available: 1))])
        #expect(assembler.isWaitingForKeyFrame)
    }

    @Test func bufferIsBounded() {
        var assembler = FrameAssembler(configuration: .init(format: VP8PayloadFormat.self, maxBufferedPackets: 64))
        var unwrapper = SequenceNumberUnwrapper()
        // Packet 0 never arrives; 200 continuation packets would pile up behind it.
        for i in 1...200 {
            _ = insert(&assembler, Recv.packet(seq: UInt16(i), ts: UInt32(i / 4), payload: [0x80, 0x80, 0x80, 0x01, 0xAA]),
                       at: Recv.ms(Int64(i)), unwrapper: &unwrapper)
            #expect(assembler.bufferedPacketCount <= 64)
        }
        #expect(insert(&assembler, Recv.packet(seq: 5_000, ts: 0), at: Recv.ms(300), unwrapper: &unwrapper) == .outOfRange)
    }
}
