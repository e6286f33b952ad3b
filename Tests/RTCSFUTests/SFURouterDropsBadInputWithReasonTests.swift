import NIOCore
import RTCRTP
import RTCSFU
import Testing

/// What cannot be forwarded is dropped, never trapped on, and counted by a typed reason;
/// commands that name what does not exist throw typed errors.
@Suite struct SFURouterDropsBadInputWithReasonTests {
    typealias F = SFUFixtures

    @Test func garbageRTCPAndUnknownSourcesAreCountedByReason() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        _ = try router.subscribe(to: SFUSource(track: track), ssrc: 2, payloadType: 96, now: F.t0)
        _ = F.drain(&router)
        router.handleRTP(datagram: ByteBuffer(bytes: [0x80, 0x60, 0x00]), now: F.t0)  // too short
        router.handleRTP(datagram: ByteBuffer(bytes: [0x40] + Array(repeating: 0, count: 15)), now: F.t0)  // version 1
        router.handleRTP(datagram: ByteBuffer(bytes: [0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 1]), now: F.t0)  // an RTCP RR
        router.handleRTP(datagram: ByteBuffer(), now: F.t0)
        router.handleRTP(F.vp8(ssrc: 0xDEAD, sequenceNumber: 1, timestamp: 0, key: true), now: F.t0)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 1, timestamp: 0, key: true), from: SFUSource(track: SFUTrackID(rawValue: 77)),
                         now: F.t0)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 1, timestamp: 0, key: true), from: SFUSource(track: track, layer: 3), now: F.t0)
        #expect(F.drain(&router).isEmpty)
        #expect(router.statistics.dropped(.malformed) == 3)
        #expect(router.statistics.dropped(.notRTP) == 1)
        #expect(router.statistics.dropped(.unknownSSRC) == 1)
        #expect(router.statistics.dropped(.unknownSource) == 2)
        #expect(router.statistics.packetsReceived == 7)
        #expect(router.statistics.packetsForwarded == 0)
    }

    @Test func aPacketFromBeforeTheSwitchPointIsDropped() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let leg = try router.subscribe(to: SFUSource(track: track), ssrc: 2, payloadType: 96, now: F.t0)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 100, timestamp: 0), now: F.t0)  // a delta frame first
        #expect(router.statistics.dropped(.waitingForKeyFrame) == 1)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 102, timestamp: 6_000, key: true), now: F.t0)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 101, timestamp: 3_000), now: F.t0)  // late, before the key frame
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 103, timestamp: 9_000), now: F.t0)
        #expect(F.forwards(F.drain(&router), to: leg).map(\.header.sequenceNumber) == [0, 1])
        #expect(router.statistics.dropped(.precedesSwitch) == 1)
    }

    @Test func commandsNamingWhatDoesNotExistThrowTypedErrors() throws {
        var router = SFURouter()
        let video = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let audio = try router.publish(codec: .opus, layers: [SFULayer(ssrc: 2)])
        #expect(throws: SFURouterError.duplicateSSRC(1)) { try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)]) }
        #expect(throws: SFURouterError.duplicateSSRC(5)) {
            try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 5), SFULayer(ssrc: 5)])
        }
        #expect(throws: SFURouterError.unknownTrack(SFUTrackID(rawValue: 99))) {
            try router.subscribe(to: SFUSource(track: SFUTrackID(rawValue: 99)), ssrc: 1, payloadType: 96, now: F.t0)
        }
        #expect(throws: SFURouterError.unknownLayer(SFUSource(track: video, layer: 1))) {
            try router.subscribe(to: SFUSource(track: video, layer: 1), ssrc: 1, payloadType: 96, now: F.t0)
        }
        let leg = try router.subscribe(to: SFUSource(track: video), ssrc: 1, payloadType: 96, now: F.t0)
        #expect(throws: SFURouterError.codecMismatch(subscribed: .vp8, offered: .opus)) {
            try router.switchSource(of: leg, to: SFUSource(track: audio), now: F.t0)
        }
        #expect(throws: SFURouterError.unknownSubscription(SFUSubscriptionID(rawValue: 42))) {
            try router.selectLayer(0, for: SFUSubscriptionID(rawValue: 42), now: F.t0)
        }
        // Removing the publisher leaves the leg waiting; its packets' SSRC is then unknown.
        router.unpublish(video)
        #expect(router.currentSource(of: leg) == nil && router.pendingSource(of: leg) == nil)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 1, timestamp: 0, key: true), now: F.t0)
        #expect(router.statistics.dropped(.unknownSSRC) == 1)
    }
}
