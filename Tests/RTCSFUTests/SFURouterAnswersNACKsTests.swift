import NIOCore
import RTCRTP
import RTCSFU
import Testing

/// A subscriber's NACK is answered from its leg's cache of what was forwarded to it; what the
/// cache lacks is asked of the right publisher in that publisher's numbering, once for all
/// subscribers.
@Suite struct SFURouterAnswersNACKsTests {
    typealias F = SFUFixtures

    @Test func nackIsAnsweredFromTheLegCacheWithTheForwardedBytes() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let leg = try router.subscribe(to: SFUSource(track: track), ssrc: 2, payloadType: 96, initialSequenceNumber: 65_530, now: F.t0)
        _ = F.drain(&router)
        for k in 0..<20 {
            router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 300 + UInt16(k), timestamp: UInt32(k) * 3_000, key: k == 0, tag: UInt8(k)),
                             now: F.t0 + .milliseconds(Int64(k) * 10))
        }
        let forwarded = F.forwards(F.drain(&router), to: leg)
        let t1 = F.t0 + .milliseconds(300)
        router.handleNACK([65_535, 3], from: leg, now: t1)  // the 6th and the 10th, across the wrap
        let resent = F.retransmits(F.drain(&router), to: leg)
        #expect(resent == [forwarded[5].serialized(), forwarded[9].serialized()])
        router.handleNACK([3], from: leg, now: t1 + .milliseconds(50))  // too soon
        #expect(F.drain(&router).isEmpty)
        router.handleNACK([3], from: leg, now: t1 + .milliseconds(100))
        #expect(F.retransmits(F.drain(&router), to: leg) == [forwarded[9].serialized()])
        #expect(router.statistics.retransmissionsFromCache == 3)
        #expect(router.statistics(of: leg)?.retransmittedPackets == 3)
        #expect(router.statistics.retransmissionsRequested == 0)
    }

    @Test func aPacketLostUpstreamIsAskedOfThePublisherOnceForAllSubscribers() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let a = try router.subscribe(to: SFUSource(track: track), ssrc: 2, payloadType: 96, initialSequenceNumber: 0, now: F.t0)
        let b = try router.subscribe(to: SFUSource(track: track), ssrc: 3, payloadType: 96, initialSequenceNumber: 40_000, now: F.t0)
        _ = F.drain(&router)
        for seq: UInt16 in [10, 11, 12, 14, 15] {  // 13 lost on the way in
            router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: seq, timestamp: UInt32(seq) * 3_000, key: seq == 10), now: F.t0)
        }
        _ = F.drain(&router)
        let t1 = F.t0 + .milliseconds(40)
        router.handleNACK([3], from: a, now: t1)
        let requests = F.retransmissionRequests(F.drain(&router))
        #expect(requests.count == 1)
        #expect(requests.first?.0 == SFUSource(track: track))
        #expect(requests.first?.1 == [13])
        router.handleNACK([40_003], from: b, now: t1 + .milliseconds(5))  // the same packet, in b's numbering
        #expect(F.retransmissionRequests(F.drain(&router)).isEmpty)
        // The publisher's retransmission fills both gaps with each subscriber's number.
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 13, timestamp: 39_000, tag: 13), now: t1 + .milliseconds(30))
        let out = F.drain(&router)
        #expect(F.forwards(out, to: a).map(\.header.sequenceNumber) == [3])
        #expect(F.forwards(out, to: b).map(\.header.sequenceNumber) == [40_003])
        // Lost again on the way to a: now the leg's cache has it.
        router.handleNACK([3], from: a, now: t1 + .milliseconds(100))
        let again = F.drain(&router)
        #expect(F.retransmissionRequests(again).isEmpty)
        #expect(try F.retransmits(again, to: a).map { try RTPPacket(parsing: $0).header.sequenceNumber } == [3])
        #expect(router.statistics.retransmissionsRequested == 1)
    }

    @Test func withoutACacheNACKsAcrossASwitchMapToEachPublishersNumbering() throws {
        var configuration = SFURouterConfiguration()
        configuration.legCacheCapacity = 0
        var router = SFURouter(configuration: configuration)
        let alice = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let bob = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 2)])
        let leg = try router.subscribe(to: SFUSource(track: alice), ssrc: 9, payloadType: 96, initialSequenceNumber: 1_000, now: F.t0)
        for seq: UInt16 in 500..<510 {
            router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: seq, timestamp: UInt32(seq), key: seq == 500), now: F.t0)
        }
        try router.switchSource(of: leg, to: SFUSource(track: bob), now: F.t0)
        for seq in (0..<10).map({ 65_530 &+ UInt16($0) }) {
            router.handleRTP(F.vp8(ssrc: 2, sequenceNumber: seq, timestamp: UInt32(seq), key: seq == 65_530), now: F.t0)
        }
        let out = F.forwards(F.drain(&router), to: leg)
        #expect(out.map(\.header.sequenceNumber) == (1_000..<1_020).map { UInt16($0) })
        router.handleNACK([1_003, 1_015, 1_009, 1_010], from: leg, now: F.t0 + .milliseconds(10))
        let requests = F.retransmissionRequests(F.drain(&router))
        #expect(requests.count == 2)
        #expect(requests[0].0 == SFUSource(track: alice) && requests[0].1 == [503, 509])
        #expect(requests[1].0 == SFUSource(track: bob) && requests[1].1 == [65_535, 65_530])
    }
}
