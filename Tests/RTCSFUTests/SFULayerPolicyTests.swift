import NIOCore
@testable import RTCSFU
import Testing

/// The automatic simulcast layer choice: the best active layer within the subscriber's budget
/// and picture-size limit, with headroom to go up; and the loss-based estimate behind the budget.
@Suite struct SFULayerPolicyTests {
    /// q 150 kbit/s 160x120, h 500 kbit/s 320x240, f 1.5 Mbit/s 640x480 — listed high to low, as
    /// Chromium's rids often are: the choice goes by bitrate, not by position.
    static let layers = [
        SFULayerMeasurement(rid: "f", bitsPerSecond: 1_500_000, size: SFUPictureSize(width: 640, height: 480)),
        SFULayerMeasurement(rid: "h", bitsPerSecond: 500_000, size: SFUPictureSize(width: 320, height: 240)),
        SFULayerMeasurement(rid: "q", bitsPerSecond: 150_000, size: SFUPictureSize(width: 160, height: 120)),
    ]

    func choose(_ budget: UInt64?, size: SFUPictureSize? = nil, current: Int? = nil,
                layers: [SFULayerMeasurement] = Self.layers) -> String? {
        SFULayerPolicy.choose(layers, budget: budget, maximumSize: size, current: current, headroom: 1.15)
            .flatMap { layers[$0].rid }
    }

    @Test func theBudgetPicksTheBestLayerThatFits() {
        #expect(choose(nil) == "f")
        #expect(choose(10_000_000) == "f")
        #expect(choose(1_000_000) == "h")
        #expect(choose(200_000) == "q")
        // Nothing fits: the cheapest still flows (the subscriber sees something).
        #expect(choose(50_000) == "q")
    }

    @Test func goingUpNeedsHeadroomStayingDoesNot() {
        // 1.6 Mbit/s fits f's 1.5 but not with 15 % headroom: from h it stays on h …
        #expect(choose(1_600_000, current: 1) == "h")
        // … while a subscriber already on f keeps it.
        #expect(choose(1_600_000, current: 0) == "f")
        #expect(choose(1_800_000, current: 1) == "f")
        // Down is immediate: on f, a budget under f's rate moves it.
        #expect(choose(1_400_000, current: 0) == "h")
    }

    @Test func theRequestedSizeBoundsTheChoice() {
        #expect(choose(nil, size: SFUPictureSize(width: 320, height: 240)) == "h")
        #expect(choose(nil, size: SFUPictureSize(width: 1280, height: 720)) == "f")
        // Smaller than every layer: the smallest.
        #expect(choose(nil, size: SFUPictureSize(width: 100, height: 100)) == "q")
        // Both limits apply.
        #expect(choose(200_000, size: SFUPictureSize(width: 320, height: 240)) == "q")
        // A layer of unknown size is not excluded by a size limit.
        var unknown = Self.layers
        unknown[0].size = nil
        #expect(choose(nil, size: SFUPictureSize(width: 320, height: 240), layers: unknown) == "f")
    }

    @Test func pausedLayersAreSkippedAndNoneActiveKeepsTheCurrent() {
        var paused = Self.layers
        paused[0].bitsPerSecond = 0
        #expect(choose(nil, layers: paused) == "h")
        let silent = Self.layers.map { SFULayerMeasurement(rid: $0.rid, bitsPerSecond: 0, size: $0.size) }
        #expect(SFULayerPolicy.choose(silent, budget: nil, maximumSize: nil, current: 2, headroom: 1.15) == nil)
    }

    @Test func lossLowersTheEstimateAndCleanReportsRaiseItUntilItNoLongerLimits() {
        let configuration = SFULayerSelectionConfiguration()
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bandwidth = SFUSubscriberBandwidth()
        // No reports: no estimate.
        bandwidth.reviewLoss(sendingBitsPerSecond: 1_000_000, ceiling: 4_000_000, configuration: configuration)
        #expect(bandwidth.budget(now: t0, lifetime: .seconds(5)) == nil)
        // 30 % loss while sending 1 Mbit/s: 1 Mbit/s × (1 − 0.15).
        bandwidth.worstLoss = 0.3
        bandwidth.reviewLoss(sendingBitsPerSecond: 1_000_000, ceiling: 4_000_000, configuration: configuration)
        #expect(bandwidth.lossEstimate == 850_000)
        #expect(bandwidth.worstLoss == nil)
        // Moderate loss holds it.
        bandwidth.worstLoss = 0.05
        bandwidth.reviewLoss(sendingBitsPerSecond: 850_000, ceiling: 4_000_000, configuration: configuration)
        #expect(bandwidth.lossEstimate == 850_000)
        // Clean reports raise it 5 % per review, until it passes the ceiling and stops limiting.
        var reviews = 0
        while bandwidth.lossEstimate != nil, reviews < 100 {
            bandwidth.worstLoss = 0
            bandwidth.reviewLoss(sendingBitsPerSecond: 850_000, ceiling: 4_000_000, configuration: configuration)
            reviews += 1
        }
        #expect(reviews == 32, "850 kbit/s × 1.05^32 > 4 Mbit/s")
        // The budget is the smallest of cap, fresh REMB and loss estimate.
        bandwidth.cap = 700_000
        bandwidth.remb = (600_000, t0)
        #expect(bandwidth.budget(now: t0 + .seconds(1), lifetime: .seconds(5)) == 600_000)
        #expect(bandwidth.budget(now: t0 + .seconds(6), lifetime: .seconds(5)) == 700_000, "a stale REMB no longer counts")
    }
}
