import NIOCore

/// A picture size, in pixels.
public struct SFUPictureSize: Hashable, Sendable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Whether a picture of this size fits in `limit` (neither side larger).
    public func fits(in limit: SFUPictureSize) -> Bool { width <= limit.width && height <= limit.height }

    /// `640x480`.
    public var description: String { "\(width)x\(height)" }
}

/// What the server measured of one simulcast layer of a published track.
public struct SFULayerMeasurement: Hashable, Sendable {
    /// The layer's rid (RFC 8851), nil for a track without simulcast.
    public var rid: String?
    /// Its bitrate over the last measuring interval (RTP payload and header bytes), 0 when the
    /// publisher sent nothing on it (a paused layer).
    public var bitsPerSecond: UInt64
    /// The picture size its last key frame stated (VP8), nil when not known.
    public var size: SFUPictureSize?

    /// Creates a measurement.
    public init(rid: String?, bitsPerSecond: UInt64, size: SFUPictureSize?) {
        self.rid = rid
        self.bitsPerSecond = bitsPerSecond
        self.size = size
    }
}

/// How an ``SFUCore`` picks the simulcast layer each subscriber receives.
///
/// Every ``reviewInterval`` the server measures each layer's bitrate and, for each subscriber,
/// takes the smallest of: the cap the server set (``SFUCore/setBitrateCap(_:for:now:)``), the
/// subscriber's own estimate (REMB) while fresh, the server's send-side estimate from the
/// subscriber's transport-wide feedback (TWCC, `TransportWideCCEstimator`) while it holds after
/// a drop (see ``transportEstimateHold``), and a loss-based estimate from its reception
/// reports (the loss controller of draft-ietf-rmcat-gcc-02 §6: above ``highLoss`` the estimate
/// drops to what was sent times (1 − loss/2), below ``lowLoss`` it grows by ``increasePerReview``).
/// That budget, shared by the subscriber's simulcast legs, picks the best active layer that fits
/// it and the picture size the subscriber asked for (``SFUCore/setMaximumResolution(_:for:now:)``);
/// the switch happens at that layer's next key frame.
public struct SFULayerSelectionConfiguration: Hashable, Sendable {
    /// How often layers are measured and choices reviewed.
    public var reviewInterval: TimeAmount = .milliseconds(500)
    /// A higher layer is chosen only when the budget exceeds its bitrate by this factor, so a
    /// budget near a layer's bitrate does not flip the choice back and forth.
    public var upSwitchHeadroom = 1.15
    /// The shortest time between two automatic switches of one subscription.
    public var minimumSwitchInterval: TimeAmount = .seconds(2)
    /// How long a subscriber's REMB, or the transport-wide estimate, counts after it arrived.
    public var estimateLifetime: TimeAmount = .seconds(5)
    /// Loss above this fraction lowers the loss-based estimate.
    public var highLoss = 0.10
    /// Loss below this fraction lets the loss-based estimate grow.
    public var lowLoss = 0.02
    /// The factor the loss-based estimate grows by per review without loss.
    public var increasePerReview = 1.05
    /// How long the transport-wide (TWCC) estimate limits a subscriber after it dropped. The
    /// estimator drops only when queuing delay grows (overuse), and it never grows far above
    /// what is sent (no probing), so as a permanent limit it would keep a subscriber that was
    /// moved down on the low layer for good. It limits for this long after a drop instead, then
    /// the best layer is tried again; a drop soon after such a trial doubles the hold, up to
    /// ``maximumTransportEstimateHold`` (a failed trial costs less each time).
    public var transportEstimateHold: TimeAmount = .seconds(4)
    /// The longest hold after repeated drops (``transportEstimateHold``).
    public var maximumTransportEstimateHold: TimeAmount = .seconds(32)

    /// The defaults: reviews every 500 ms, 15 % headroom, 2 s between switches.
    public init() {}
}

/// The choice itself, a pure function of the measurements (tested on its own).
enum SFULayerPolicy {
    /// The layer a subscription should receive: among layers the publisher sends (bitrate > 0)
    /// and whose size fits `maximumSize` (when both are known; the smallest active layer when none
    /// fits), the best one whose bitrate fits `budget` — with `headroom` to go above `current` —
    /// or the cheapest when none does. nil when no layer is active (keep what you have).
    static func choose(_ layers: [SFULayerMeasurement], budget: UInt64?, maximumSize: SFUPictureSize?,
                       current: Int?, headroom: Double) -> Int? {
        let active = layers.indices.filter { layers[$0].bitsPerSecond > 0 }
            .sorted { layers[$0].bitsPerSecond < layers[$1].bitsPerSecond }
        guard let cheapest = active.first else { return nil }
        var allowed = active
        if let maximumSize {
            allowed = active.filter { layers[$0].size.map { $0.fits(in: maximumSize) } ?? true }
            if allowed.isEmpty { allowed = [cheapest] }
        }
        guard let budget else { return allowed.last }
        let currentRate = current.flatMap { layers.indices.contains($0) ? layers[$0].bitsPerSecond : nil } ?? 0
        var choice = allowed.first!
        for index in allowed {
            let rate = layers[index].bitsPerSecond
            let needed = rate > currentRate ? Double(rate) * headroom : Double(rate)
            if needed <= Double(budget) { choice = index }
        }
        return choice
    }
}

/// One subscriber's bandwidth as the server knows it.
struct SFUSubscriberBandwidth {
    /// The server's cap, bits per second.
    var cap: UInt64?
    /// The subscriber's last REMB and when it came.
    var remb: (bitsPerSecond: UInt64, at: NIODeadline)?
    /// The send-side estimate from the subscriber's transport-wide feedback and when it came.
    var transportEstimate: (bitsPerSecond: UInt64, at: NIODeadline)?
    /// Until when the transport-wide estimate limits the budget (from its last drop).
    var transportLimitUntil: NIODeadline?
    /// The hold the last drop started (doubled by a drop soon after a trial).
    var transportHold: TimeAmount?
    /// The loss-based estimate; nil until loss was seen.
    var lossEstimate: UInt64?
    /// The worst loss fraction reported since the last review, nil when none.
    var worstLoss: Double?
    /// The picture size the subscriber asked for at most.
    var maximumSize: SFUPictureSize?

    /// The budget now: the smallest of the cap, a fresh REMB, a fresh transport-wide estimate
    /// and the loss-based estimate.
    func budget(now: NIODeadline, lifetime: TimeAmount) -> UInt64? {
        var candidates: [UInt64] = []
        if let cap { candidates.append(cap) }
        if let remb, now - remb.at < lifetime { candidates.append(remb.bitsPerSecond) }
        if let transportEstimate, now - transportEstimate.at < lifetime, let until = transportLimitUntil, now < until {
            candidates.append(transportEstimate.bitsPerSecond)
        }
        if let lossEstimate { candidates.append(lossEstimate) }
        return candidates.min()
    }

    /// Takes a new transport-wide estimate. A drop of more than 5 % (the estimator saw queuing
    /// delay grow) makes it limit the budget for a hold: extended while drops go on, doubled
    /// (up to the maximum) when a drop comes within one hold of the last one ending — the trial
    /// of a higher layer failed — and back to the first hold otherwise.
    mutating func noteTransportEstimate(_ bitsPerSecond: UInt64, now: NIODeadline, configuration: SFULayerSelectionConfiguration) {
        defer { transportEstimate = (bitsPerSecond, now) }
        guard let previous = transportEstimate, Double(bitsPerSecond) < Double(previous.bitsPerSecond) * 0.95 else { return }
        let first = configuration.transportEstimateHold
        var hold = transportHold ?? first
        if let until = transportLimitUntil, now < until {
            // Still congested: the limit goes on.
        } else if let until = transportLimitUntil, now - until < hold {
            hold = min(hold * 2, max(configuration.maximumTransportEstimateHold, first))
        } else {
            hold = first
        }
        transportHold = hold
        transportLimitUntil = max(transportLimitUntil ?? now, now + hold)
    }

    /// Runs the loss controller once per review with what the subscriber received meanwhile.
    mutating func reviewLoss(sendingBitsPerSecond: UInt64, ceiling: UInt64, configuration: SFULayerSelectionConfiguration) {
        defer { worstLoss = nil }
        guard let loss = worstLoss else { return }
        if loss > configuration.highLoss {
            let lowered = UInt64(Double(sendingBitsPerSecond) * (1 - loss / 2))
            lossEstimate = min(lossEstimate ?? .max, max(lowered, 1))
        } else if loss < configuration.lowLoss, let estimate = lossEstimate {
            let raised = UInt64(Double(estimate) * configuration.increasePerReview) + 1
            // Far above everything there is to send: no longer a limit.
            lossEstimate = raised > ceiling ? nil : raised
        }
    }
}
