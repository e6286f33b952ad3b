import NIOCore
import RTCRTP
import RTCSession

extension SFUCore {
    // MARK: Simulcast layer choice

    /// Caps what the server sends a subscriber session, in bits per second (nil lifts the cap):
    /// its simulcast subscriptions move to layers that fit at the next review
    /// (``SFULayerSelectionConfiguration``), each at that layer's next key frame.
    public mutating func setBitrateCap(_ bitsPerSecond: UInt64?, for member: SFUSessionKey) {
        bandwidth[member, default: SFUSubscriberBandwidth()].cap = bitsPerSecond
    }

    /// The largest picture a subscriber session wants (nil: any): its simulcast subscriptions
    /// receive the best layer whose key frames state a size within it (the smallest layer when
    /// none does), from the next review.
    public mutating func setMaximumResolution(_ size: SFUPictureSize?, for member: SFUSessionKey) {
        bandwidth[member, default: SFUSubscriberBandwidth()].maximumSize = size
    }

    /// What the server may send a subscriber session now, in bits per second: the smallest of
    /// its cap, its fresh REMB, its transport-wide (TWCC) estimate while a drop holds and the loss-based
    /// estimate; nil when none limits it.
    public func bandwidthBudget(of member: SFUSessionKey, now: NIODeadline) -> UInt64? {
        bandwidth[member]?.budget(now: now, lifetime: layerSelection.estimateLifetime)
    }

    /// The layers of a published track as measured at the last review (in the router's layer
    /// order), empty for an unknown track.
    public func layerMeasurements(of track: SFUTrackID) -> [SFULayerMeasurement] {
        guard let transceiver = publisherOf[track], let publication = published[transceiver] else { return [] }
        return publication.measurements
    }

    /// Gives a subscription back to the automatic layer choice after ``selectLayer(_:for:now:)``
    /// pinned it.
    public mutating func selectLayerAutomatically(for leg: SFUSubscriptionID) {
        pinnedLegs.remove(leg)
    }

    /// One line per simulcast track (its layers' bitrates and sizes), per subscriber with a
    /// budget, and per subscription of a simulcast track (its layer): what the layer choice is
    /// working from, for logs and diagnostics.
    public func layerSummary(now: NIODeadline) -> String {
        var lines: [String] = []
        for (track, transceiver) in publisherOf.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let publication = published[transceiver], !publication.rids.isEmpty else { continue }
            let layers = publication.measurements.map { "\($0.rid ?? "-")=\($0.bitsPerSecond / 1_000)k\($0.size.map { "@\($0)" } ?? "")" }
            lines.append("\(track) from \(transceiver.session): \(layers.joined(separator: " "))")
        }
        for (member, state) in bandwidth.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let budget = state.budget(now: now, lifetime: layerSelection.estimateLifetime)
            lines.append("\(member): budget \(budget.map { "\($0 / 1_000)k" } ?? "none") (cap \(state.cap.map(String.init) ?? "-"), "
                         + "loss-based \(state.lossEstimate.map(String.init) ?? "-"), REMB \(state.remb.map { String($0.bitsPerSecond) } ?? "-"), "
                         + "TWCC \(state.transportEstimate.map { String($0.bitsPerSecond) } ?? "-")"
                         + "\(state.transportLimitUntil.map { now < $0 ? " limiting" : "" } ?? ""), "
                         + "max \(state.maximumSize.map { "\($0)" } ?? "-"))")
        }
        for (leg, transceiver) in legs.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let source = router.pendingSource(of: leg) ?? router.currentSource(of: leg), rids(of: source.track).count > 1 else { continue }
            lines.append("\(leg) to \(transceiver.session): layer \(router.currentSource(of: leg).map { "\($0.layer)" } ?? "-")"
                         + (router.pendingSource(of: leg).map { " → \($0.layer)" } ?? "") + (pinnedLegs.contains(leg) ? " (pinned)" : ""))
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Inside

    /// Counts a published packet towards its layer's bitrate, and notes the picture size of a
    /// VP8 key frame when `isVP8` (the caller asks only for simulcast tracks, whose sizes the
    /// choice uses).
    mutating func measure(_ packet: RTPPacket, layer: Int, on transceiver: SFUTransceiver, isVP8: Bool) {
        // One lookup, then in place (a getter would copy the publication per packet).
        guard let i = published.index(forKey: transceiver) else { return }
        Self.count(packet, layer: layer, isVP8: isVP8, into: &published.values[i])
    }

    private static func count(_ packet: RTPPacket, layer: Int, isVP8: Bool, into publication: inout SFUPublication) {
        guard publication.layerBytes.indices.contains(layer) else { return }
        publication.layerBytes[layer] &+= packet.payload.readableBytes &+ 12
        if isVP8, let size = VP8PayloadFormat.keyFrameSize(packet.payload) {
            publication.layerSizes[layer] = SFUPictureSize(width: size.width, height: size.height)
        }
    }

    /// Takes what a subscriber said about a stream the server sends it.
    mutating func noteFeedback(_ feedback: SessionSenderFeedback, from member: SFUSessionKey, now: NIODeadline) {
        switch feedback {
        case .receptionReport(let report):
            let loss = report.lossFraction
            bandwidth[member, default: SFUSubscriberBandwidth()].worstLoss = max(bandwidth[member]?.worstLoss ?? 0, loss)
        case .estimatedBitrate(let bitsPerSecond):
            bandwidth[member, default: SFUSubscriberBandwidth()].remb = (bitsPerSecond, now)
        }
    }

    /// Takes a subscriber session's send-side estimate from its transport-wide feedback.
    mutating func noteTransportEstimate(_ bitsPerSecond: UInt64, from member: SFUSessionKey, now: NIODeadline) {
        bandwidth[member, default: SFUSubscriberBandwidth()].noteTransportEstimate(bitsPerSecond, now: now, configuration: layerSelection)
    }

    /// Measures every layer over the time since the last review and moves each automatic
    /// simulcast subscription to the layer its subscriber's budget and size limit choose.
    mutating func reviewLayers(now: NIODeadline) {
        let elapsed = lastLayerReview.map { now - $0 }
        lastLayerReview = now
        nextLayerReview = published.isEmpty ? nil : now + layerSelection.reviewInterval
        for (transceiver, var publication) in published {
            if let elapsed, elapsed.nanoseconds > 0 {
                publication.measurements = publication.layerBytes.indices.map { i in
                    let rate = UInt64(Double(publication.layerBytes[i]) * 8e9 / Double(elapsed.nanoseconds))
                    return SFULayerMeasurement(rid: i < publication.rids.count ? publication.rids[i] : nil,
                                               bitsPerSecond: rate, size: publication.layerSizes[i])
                }
            }
            for i in publication.layerBytes.indices { publication.layerBytes[i] = 0 }
            published[transceiver] = publication
        }
        guard elapsed != nil else { return }

        var legsByMember: [SFUSessionKey: [SFUSubscriptionID]] = [:]
        for (leg, transceiver) in legs { legsByMember[transceiver.session, default: []].append(leg) }
        for (member, memberLegs) in legsByMember {
            var sending: UInt64 = 0
            var ceiling: UInt64 = 0
            var fixed: UInt64 = 0
            var adaptive: [(leg: SFUSubscriptionID, track: SFUTrackID, current: Int?, target: Int?)] = []
            for leg in memberLegs.sorted(by: { $0.rawValue < $1.rawValue }) {
                guard let source = router.pendingSource(of: leg) ?? router.currentSource(of: leg) else { continue }
                let measured = layerMeasurements(of: source.track)
                let current = router.currentSource(of: leg)
                let rate = current.flatMap { measured.indices.contains($0.layer) ? measured[$0.layer].bitsPerSecond : nil } ?? 0
                sending += rate
                ceiling += measured.map(\.bitsPerSecond).max() ?? 0
                if measured.count > 1, !pinnedLegs.contains(leg) {
                    adaptive.append((leg, source.track, current?.track == source.track ? current?.layer : nil,
                                     router.pendingSource(of: leg)?.layer))
                } else {
                    fixed += rate
                }
            }
            let configuration = layerSelection
            bandwidth[member]?.reviewLoss(sendingBitsPerSecond: sending, ceiling: ceiling * 2, configuration: configuration)
            guard !adaptive.isEmpty else { continue }
            let budget = bandwidth[member]?.budget(now: now, lifetime: layerSelection.estimateLifetime)
            let share = budget.map { $0 > fixed ? ($0 - fixed) / UInt64(adaptive.count) : 0 }
            for item in adaptive {
                guard let choice = SFULayerPolicy.choose(layerMeasurements(of: item.track), budget: share,
                                                         maximumSize: bandwidth[member]?.maximumSize,
                                                         current: item.current, headroom: layerSelection.upSwitchHeadroom),
                      choice != (item.target ?? item.current) else { continue }
                if let last = lastLayerSwitch[item.leg], now - last < layerSelection.minimumSwitchInterval { continue }
                guard (try? router.selectLayer(choice, for: item.leg, now: now)) != nil else { continue }
                lastLayerSwitch[item.leg] = now
                layerSwitches += 1
                let rids = rids(of: item.track)
                let rid = { (layer: Int?) in layer.flatMap { rids.indices.contains($0) ? rids[$0] : nil } }
                events.append(.room(.layerSwitch(SFULayerSwitch(
                    subscription: item.leg, subscriber: member, track: item.track, from: rid(item.target ?? item.current),
                    to: rid(choice), budget: share, maximumSize: bandwidth[member]?.maximumSize))))
            }
        }
    }
}
