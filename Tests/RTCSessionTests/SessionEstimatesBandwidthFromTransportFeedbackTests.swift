import NIOCore
import RTCSession
import RTCTestSupport
import Testing

/// Transport-cc negotiated with video: the receiver's transport-wide feedback reaches the sender,
/// whose estimator turns it into rate-limited `.bandwidthEstimate` events.
@Suite struct SessionEstimatesBandwidthFromTransportFeedbackTests {
    static func estimates(_ events: [SessionEvent]) -> [UInt64] {
        events.compactMap { if case .media(.bandwidthEstimate(let bitsPerSecond)) = $0 { bitsPerSecond } else { nil } }
    }

    @Test func theReceiversFeedbackYieldsAnEstimateAtTheSender() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: .milliseconds(20)), seed: 11)
        let video = SessionMediaSender(trackID: "a-video", streamIDs: ["a"], codec: .vp8)
        let handle = try pair.a.addTransceiver(kind: .video, direction: .sendonly, sender: video, now: pair.now)
        try pair.negotiate()
        #expect(pair.a.localDescription?.sdp.contains("transport-wide-cc") == true)
        let connected = pair.run(until: { p in
            p.eventsA.contains { if case .media(.sending) = $0 { true } else { false } }
                && p.eventsA.contains { if case .connectionStateChanged(.connected) = $0 { true } else { false } }
        }, for: .seconds(10))
        #expect(connected)
        #expect(Self.estimates(pair.eventsA).isEmpty)
        #expect(pair.a.sendSideBandwidthEstimate == nil)

        // Five seconds of 30 fps, 3,000-byte frames (about 750 kbit/s with headers).
        let start = pair.now
        for frame in 0..<150 {
            let at = start + .milliseconds(Int64(frame) * 100 / 3)
            pair.run(for: at - pair.now)
            let payload = SessionMediaTests.vp8Frame(frame, key: frame == 0)
            try pair.withA { a, now in try a.sendFrame(payload, on: handle, captureTime: at, now: now) }
        }
        pair.run(for: .seconds(1))

        let estimates = Self.estimates(pair.eventsA)
        #expect(!estimates.isEmpty)
        let current = try #require(pair.a.sendSideBandwidthEstimate)
        let last = try #require(estimates.last)
        #expect(last > current - current / 10 && last < current + current / 10, "last reported \(last), now \(current)")
        #expect(current > 500_000 && current < 2_000_000, "\(current)")
        // Rate-limited: not one event per feedback (about ten a second), at least one a second.
        #expect(estimates.count <= 25 && estimates.count >= 3, "\(estimates.count) events")
        // Nothing the other way: B sends nothing, so it estimates nothing.
        #expect(Self.estimates(pair.eventsB).isEmpty)
    }
}
