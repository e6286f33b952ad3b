import NIOCore
@testable import RTCSFU
import Testing

/// The send-side estimate from a subscriber's transport-wide feedback (TWCC) is a budget input
/// beside the cap, REMB and the loss-based estimate: a low one picks the low layer while fresh.
@Suite struct SFULayerPolicyFollowsTransportWideEstimateTests {
    @Test func aLowTransportWideEstimateSelectsTheLowLayerWhileFresh() {
        let layers = SFULayerPolicyTests.layers
        let lifetime = SFULayerSelectionConfiguration().estimateLifetime
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bandwidth = SFUSubscriberBandwidth()
        bandwidth.cap = 5_000_000
        bandwidth.remb = (3_000_000, t0)
        func chosen(at now: NIODeadline) -> String? {
            SFULayerPolicy.choose(layers, budget: bandwidth.budget(now: now, lifetime: lifetime), maximumSize: nil,
                                  current: 0, headroom: 1.15).flatMap { layers[$0].rid }
        }
        #expect(chosen(at: t0) == "f")
        // The path carries about 400 kbit/s by the subscriber's TWCC feedback: q, not f or h.
        bandwidth.transportEstimate = (400_000, t0)
        #expect(bandwidth.budget(now: t0 + .seconds(1), lifetime: lifetime) == 400_000)
        #expect(chosen(at: t0 + .seconds(1)) == "q")
        // It recovers to 800 kbit/s: h.
        bandwidth.transportEstimate = (800_000, t0 + .seconds(2))
        #expect(chosen(at: t0 + .seconds(3)) == "h")
        // No estimate for longer than the lifetime (no feedback): back to the cap and REMB.
        #expect(chosen(at: t0 + .seconds(2) + lifetime) == "f")
    }
}
