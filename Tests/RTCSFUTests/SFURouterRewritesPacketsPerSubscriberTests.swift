import NIOCore
import RTCRTP
import RTCSFU
import Testing

/// Each subscription is its own stream: its SSRC, payload type, sequence numbers and timestamps,
/// the publisher's payload untouched, and losses upstream kept as gaps.
@Suite struct SFURouterRewritesPacketsPerSubscriberTests {
    typealias F = SFUFixtures

    @Test func eachSubscriberGetsItsOwnSSRCNumberingAndTimestamps() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 0x1111)])
        let a = try router.subscribe(to: SFUSource(track: track), ssrc: 0xA, payloadType: 96, initialSequenceNumber: 1_000,
                                     initialTimestamp: 5_000, now: F.t0)
        let b = try router.subscribe(to: SFUSource(track: track), ssrc: 0xB, payloadType: 100, initialSequenceNumber: 65_534,
                                     initialTimestamp: 0xFFFF_FF00, now: F.t0)
        #expect(F.keyFrameRequests(F.drain(&router)) == [SFUSource(track: track)])
        let ext = RTPHeaderExtension(profile: 0xBEDE, data: ByteBuffer(bytes: [0x10, 0x33, 0, 0]))
        var sent: [RTPPacket] = []
        for k in 0..<6 {
            let p = F.vp8(ssrc: 0x1111, sequenceNumber: 40_000 &+ UInt16(k), timestamp: 90_000 &+ UInt32(k) * 3_000, key: k == 0,
                          tag: UInt8(k), extensionBlock: ext)
            sent.append(p)
            router.handleRTP(p, now: F.t0 + .milliseconds(33 * Int64(k)))
        }
        let out = F.drain(&router)
        let toA = F.forwards(out, to: a)
        let toB = F.forwards(out, to: b)
        #expect(toA.map(\.header.sequenceNumber) == [1_000, 1_001, 1_002, 1_003, 1_004, 1_005])
        #expect(toA.map(\.header.timestamp) == (0..<6).map { 5_000 + UInt32($0) * 3_000 })
        #expect(toB.map(\.header.sequenceNumber) == [65_534, 65_535, 0, 1, 2, 3])
        #expect(toB.map(\.header.timestamp) == (0..<6).map { 0xFFFF_FF00 &+ UInt32($0) * 3_000 })
        #expect(toA.allSatisfy { $0.header.ssrc == 0xA && $0.header.payloadType == 96 && $0.header.headerExtension == nil })
        #expect(toB.allSatisfy { $0.header.ssrc == 0xB && $0.header.payloadType == 100 && $0.header.marker })
        #expect(toA.map(\.payload) == sent.map(\.payload))
        #expect(toB.map(\.payload) == sent.map(\.payload))
        #expect(router.statistics.packetsForwarded == 12)
        #expect(router.statistics(of: a)?.packetsForwarded == 6)
        #expect(router.statistics(of: b)?.payloadBytesForwarded == 24)
    }

    @Test func upstreamLossStaysAGapAndReorderKeepsEachPacketsNumber() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 7)])
        let leg = try router.subscribe(to: SFUSource(track: track), ssrc: 9, payloadType: 96, initialSequenceNumber: 500, now: F.t0)
        _ = F.drain(&router)
        // 10 (key), 11, then 13 before 12, 14; 15 lost; 16.
        for (i, seq) in [10, 11, 13, 12, 14, 16].enumerated() {
            router.handleRTP(F.vp8(ssrc: 7, sequenceNumber: UInt16(seq), timestamp: UInt32(seq) * 3_000, key: seq == 10),
                             now: F.t0 + .milliseconds(Int64(i) * 10))
        }
        let out = F.forwards(F.drain(&router), to: leg)
        #expect(out.map(\.header.sequenceNumber) == [500, 501, 503, 502, 504, 506])
        #expect(out.map(\.header.timestamp) == [10, 11, 13, 12, 14, 16].map { UInt32($0 - 10) * 3_000 })
    }

    @Test func audioStartsAtOnceWithoutAKeyFrameRequest() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .opus, layers: [SFULayer(ssrc: 5)])
        let leg = try router.subscribe(to: SFUSource(track: track), ssrc: 6, payloadType: 111, initialSequenceNumber: 1, now: F.t0)
        #expect(F.drain(&router).isEmpty)
        let opus = RTPPacket(header: RTPHeader(payloadType: 111, sequenceNumber: 3, timestamp: 960, ssrc: 5),
                             payload: ByteBuffer(bytes: [0x78, 1, 2]))
        router.handleRTP(opus, now: F.t0)
        #expect(F.forwards(F.drain(&router), to: leg).map(\.header.sequenceNumber) == [1])
    }
}
