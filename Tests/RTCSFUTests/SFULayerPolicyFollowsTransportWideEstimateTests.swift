import NIOCore
@testable import RTCSFU
import Testing

/// The send-side estimate from a subscriber's transport-wide feedback (TWCC) is a budget input
/// beside the cap, REMB and the loss-based estimate — from a drop (congestion) for a hold, after
/// which the best layer is tried again; a drop soon after that trial doubles the hold.
@Suite struct SFULayerPolicyFollowsTransportWideEstimateTests {
    @Test func aDroppedTransportWideEstimateSelectsTheLowLayerForAHoldThenTheBestIsTriedAgain() {
        let layers = SFULayerPolicyTests.layers
        let configuration = SFULayerSelectionConfiguration()
        let lifetime = configuration.estimateLifetime
        let hold = configuration.transportEstimateHold
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bandwidth = SFUSubscriberBandwidth()
        bandwidth.cap = 5_000_000
        bandwidth.remb = (3_000_000, t0)
        func chosen(at now: NIODeadline) -> String? {
            SFULayerPolicy.choose(layers, budget: bandwidth.budget(now: now, lifetime: lifetime), maximumSize: nil,
                                  current: 0, headroom: 1.15).flatMap { layers[$0].rid }
        }
        #expect(chosen(at: t0) == "f")
        // A first estimate, however low, is what is sent now, not a sign of congestion: no limit.
        bandwidth.noteTransportEstimate(1_200_000, now: t0, configuration: configuration)
        #expect(bandwidth.budget(now: t0, lifetime: lifetime) == 3_000_000)
        // It drops to about 400 kbit/s (queuing delay grew): q, not f or h.
        bandwidth.noteTransportEstimate(400_000, now: t0 + .seconds(1), configuration: configuration)
        #expect(bandwidth.budget(now: t0 + .seconds(1), lifetime: lifetime) == 400_000)
        #expect(chosen(at: t0 + .seconds(1)) == "q")
        // It recovers to 800 kbit/s within the hold: h.
        bandwidth.noteTransportEstimate(800_000, now: t0 + .seconds(2), configuration: configuration)
        #expect(chosen(at: t0 + .seconds(3)) == "h")
        // The hold ends: the best layer is tried again (the estimate, fresh, no longer limits).
        let end = t0 + .seconds(1) + hold
        #expect(chosen(at: end) == "f")
        // A drop right after the trial: limited again, for twice the hold.
        bandwidth.noteTransportEstimate(300_000, now: end + .seconds(1), configuration: configuration)
        #expect(chosen(at: end + .seconds(1)) == "q")
        #expect(bandwidth.transportHold == hold * 2)
        #expect(bandwidth.budget(now: end + .seconds(1) + hold * 2 - .milliseconds(1), lifetime: .seconds(60)) == 300_000)
        #expect(bandwidth.budget(now: end + .seconds(1) + hold * 2, lifetime: .seconds(60)) == 3_000_000)
        // A drop long after the limit ended starts from the first hold again.
        let quiet = end + .seconds(1) + hold * 2 + .seconds(60)
        bandwidth.noteTransportEstimate(800_000, now: quiet, configuration: configuration)
        bandwidth.noteTransportEstimate(300_000, now: quiet + .seconds(1), configuration: configuration)
        #expect(bandwidth.transportHold == hold)
        // No estimate for longer than the lifetime (no feedback): back to the cap and REMB.
        bandwidth.remb = (3_000_000, quiet + .seconds(1))
        #expect(chosen(at: quiet + .seconds(1) + lifetime) == "f")
    }
}
