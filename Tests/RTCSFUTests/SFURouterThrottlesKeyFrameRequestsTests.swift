import NIOCore
import RTCRTP
import RTCSFU
import Testing

/// PLI/FIR from any number of subscribers reach a publisher at most once per interval, and a
/// request that had to wait goes out when the interval has passed.
@Suite struct SFURouterThrottlesKeyFrameRequestsTests {
    typealias F = SFUFixtures

    @Test func manySubscribersKeyFrameRequestsBecomeOnePerInterval() throws {
        var router = SFURouter()  // 500 ms interval
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        var legs: [SFUSubscriptionID] = []
        for i in 0..<10 {
            legs.append(try router.subscribe(to: SFUSource(track: track), ssrc: 100 + UInt32(i), payloadType: 96,
                                             now: F.t0 + .milliseconds(Int64(i))))
        }
        // Ten subscribers joining within 10 ms: one request.
        #expect(F.keyFrameRequests(F.drain(&router)).count == 1)
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 1, timestamp: 0, key: true), now: F.t0 + .milliseconds(20))
        #expect(F.forwards(F.drain(&router)).count == 10)
        #expect(router.nextDeadline == nil)  // the key frame came: nothing outstanding

        let t1 = F.t0 + .seconds(2)
        for leg in legs { router.handleKeyFrameRequest(from: leg, now: t1) }
        #expect(F.keyFrameRequests(F.drain(&router)) == [SFUSource(track: track)])
        for leg in legs { router.handleKeyFrameRequest(from: leg, now: t1 + .milliseconds(100)) }
        #expect(F.keyFrameRequests(F.drain(&router)).isEmpty)
        #expect(router.nextDeadline == t1 + .milliseconds(500))
        router.handleTimeout(now: t1 + .milliseconds(499))
        #expect(F.keyFrameRequests(F.drain(&router)).isEmpty)
        router.handleTimeout(now: t1 + .milliseconds(500))
        #expect(F.keyFrameRequests(F.drain(&router)).count == 1)
        // The key frame arrives: no more repeats.
        router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: 2, timestamp: 3_000, key: true), now: t1 + .milliseconds(520))
        _ = F.drain(&router)
        #expect(router.nextDeadline == nil)
        router.handleTimeout(now: t1 + .seconds(2))
        #expect(F.keyFrameRequests(F.drain(&router)).isEmpty)
        #expect(router.statistics.keyFrameRequestsReceived == 20)
        #expect(router.statistics.keyFrameRequestsSent == 3)
    }

    @Test func aPublisherThatNeverSendsAKeyFrameIsAskedOncePerInterval() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1)])
        let leg = try router.subscribe(to: SFUSource(track: track), ssrc: 2, payloadType: 96, now: F.t0)
        var requests = F.keyFrameRequests(F.drain(&router)).count
        var now = F.t0
        for k in 1...100 {  // 10 s of delta frames and a PLI from the subscriber every 100 ms
            now = F.t0 + .milliseconds(Int64(k) * 100)
            if let d = router.nextDeadline, d <= now { router.handleTimeout(now: now) }
            router.handleRTP(F.vp8(ssrc: 1, sequenceNumber: UInt16(k), timestamp: UInt32(k) * 9_000), now: now)
            router.handleKeyFrameRequest(from: leg, now: now)
            requests += F.keyFrameRequests(F.drain(&router)).count
        }
        #expect(requests == 21)  // at 0, 0.5 s, … 10 s
        #expect(router.statistics.dropped(.waitingForKeyFrame) == 100)
        #expect(router.currentSource(of: leg) == nil)
    }
}
