import DequeModule
import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams

/// The forwarding core of a selective forwarding unit, sans-IO: publishers' RTP packets in,
/// each subscriber's rewritten packets out.
///
/// Every subscription is a stream of its own: its SSRC, and sequence numbers and timestamps
/// that continue without a gap or jump when the subscription starts, switches layer (simulcast)
/// or switches publisher (a speaker change). A video subscription starts and switches only at a
/// key frame of the new source; until then it keeps the old one (or nothing), and the publisher
/// is asked for a key frame. Losses upstream stay visible as gaps, so the subscriber's NACKs
/// reach the router: answered from the leg's cache of what it forwarded, or mapped back to the
/// publisher's numbering. Key-frame requests from any number of subscribers reach a publisher
/// at most once per ``SFURouterConfiguration/keyFrameRequestInterval``.
///
/// ```swift
/// var router = SFURouter()
/// let video = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 0x1234)])
/// let leg = try router.subscribe(to: SFUSource(track: video), ssrc: 0xBEEF, payloadType: 96, now: now)
/// router.handleRTP(packet, now: now)                 // or handleRTP(packet, from: source, now:)
/// router.handleKeyFrameRequest(from: leg, now: now)  // a PLI/FIR from the subscriber
/// router.handleNACK([lost], from: leg, now: now)     // a Generic NACK from the subscriber
/// while let output = router.poll() { … }             // forward, retransmit, request…
/// if let deadline = router.nextDeadline { … }        // a throttled request to repeat
/// router.handleTimeout(now: now)
/// ```
///
/// Nothing here reads a clock: every call takes `now`.
public struct SFURouter: Sendable {
    /// The configuration the router was created with.
    public let configuration: SFURouterConfiguration
    /// Counters of the whole router.
    public internal(set) var statistics = SFURouterStatistics()

    var tracks: [SFUTrackID: PublishedTrack] = [:]
    var sourceBySSRC: [UInt32: SFUSource] = [:]
    var legs: [SFUSubscriptionID: Leg] = [:]
    var outputs = Deque<SFURouterOutput>()
    var nextTrack = 1
    var nextSubscription = 1

    /// Creates a router with nothing published.
    public init(configuration: SFURouterConfiguration = SFURouterConfiguration()) {
        self.configuration = configuration
    }

    // MARK: Publishing

    /// Publishes a track of `codec` with its layers (one for a plain track, one per simulcast
    /// encoding, lowest first by convention) and returns its id.
    ///
    /// - Throws: ``SFURouterError/duplicateSSRC(_:)`` when a layer's SSRC is already published.
    public mutating func publish(codec: RTPCodec, layers: [SFULayer] = [SFULayer()]) throws(SFURouterError) -> SFUTrackID {
        let layers = layers.isEmpty ? [SFULayer()] : layers
        var seen = Set<UInt32>()
        for ssrc in layers.compactMap(\.ssrc) {
            guard sourceBySSRC[ssrc] == nil, seen.insert(ssrc).inserted else { throw .duplicateSSRC(ssrc) }
        }
        let id = SFUTrackID(rawValue: nextTrack)
        nextTrack += 1
        tracks[id] = PublishedTrack(codec: codec, layers: layers.map {
            PublishedLayer(layer: $0, keyFrames: KeyFrameRequester(minimumInterval: configuration.keyFrameRequestInterval))
        })
        for (index, layer) in layers.enumerated() {
            if let ssrc = layer.ssrc { sourceBySSRC[ssrc] = SFUSource(track: id, layer: index) }
        }
        return id
    }

    /// Records the SSRC of a layer learned from its packets (a simulcast layer named by rid).
    ///
    /// - Throws: ``SFURouterError/unknownLayer(_:)``, ``SFURouterError/duplicateSSRC(_:)``.
    public mutating func setSSRC(_ ssrc: UInt32, of source: SFUSource) throws(SFURouterError) {
        guard let track = tracks[source.track] else { throw .unknownTrack(source.track) }
        guard track.layers.indices.contains(source.layer) else { throw .unknownLayer(source) }
        if let owner = sourceBySSRC[ssrc], owner != source { throw .duplicateSSRC(ssrc) }
        if let old = track.layers[source.layer].layer.ssrc { sourceBySSRC[old] = nil }
        tracks[source.track]!.layers[source.layer].layer.ssrc = ssrc
        sourceBySSRC[ssrc] = source
    }

    /// Removes a published track: its subscriptions keep their numbering and wait for a source
    /// again (``switchSource(of:to:now:)``). Unknown ids are ignored.
    public mutating func unpublish(_ track: SFUTrackID) {
        guard let removed = tracks.removeValue(forKey: track) else { return }
        for layer in removed.layers { if let ssrc = layer.layer.ssrc { sourceBySSRC[ssrc] = nil } }
        for id in removed.subscribers {
            if legs[id]?.current?.track == track { legs[id]!.current = nil }
            if legs[id]?.target?.track == track { legs[id]!.target = nil }
        }
    }

    /// The codec of a published track, or nil.
    public func codec(of track: SFUTrackID) -> RTPCodec? { tracks[track]?.codec }

    /// The layers of a published track (with SSRCs learned so far), or nil.
    public func layers(of track: SFUTrackID) -> [SFULayer]? { tracks[track]?.layers.map(\.layer) }

    // MARK: Subscribing

    /// Subscribes a leg to `source`: packets go out with `ssrc` and `payloadType`, numbered from
    /// `initialSequenceNumber` and stamped from `initialTimestamp` (random values are what RFC
    /// 3550 §5.1 asks for; the caller draws them). A video leg starts at the source's next key
    /// frame, which is requested now.
    ///
    /// - Throws: ``SFURouterError/unknownTrack(_:)``, ``SFURouterError/unknownLayer(_:)``.
    public mutating func subscribe(to source: SFUSource, ssrc: UInt32, payloadType: UInt8, initialSequenceNumber: UInt16 = 0,
                                   initialTimestamp: UInt32 = 0, now: NIODeadline) throws(SFURouterError) -> SFUSubscriptionID {
        guard let track = tracks[source.track] else { throw .unknownTrack(source.track) }
        guard track.layers.indices.contains(source.layer) else { throw .unknownLayer(source) }
        let id = SFUSubscriptionID(rawValue: nextSubscription)
        nextSubscription += 1
        let cache = configuration.legCacheCapacity > 0
            ? RTPRetransmissionCache(capacity: configuration.legCacheCapacity, maximumAge: configuration.legCacheMaximumAge,
                                     intervalWithoutRTT: configuration.retransmissionInterval)
            : nil
        legs[id] = Leg(codec: track.codec, ssrc: ssrc, payloadType: payloadType & 0x7F,
                       initialSequenceNumber: initialSequenceNumber, initialTimestamp: initialTimestamp, cache: cache)
        aim(id, at: source, now: now)
        return id
    }

    /// Ends a subscription. Unknown ids are ignored.
    public mutating func unsubscribe(_ id: SFUSubscriptionID) {
        guard let leg = legs.removeValue(forKey: id) else { return }
        for track in Set([leg.current?.track, leg.target?.track].compactMap { $0 }) {
            tracks[track]?.subscribers.removeAll { $0 == id }
        }
    }

    /// Chooses the layer a subscription receives (simulcast): the switch happens at the layer's
    /// next key frame, which is requested now; until then the current layer goes on.
    ///
    /// - Throws: ``SFURouterError/unknownSubscription(_:)``, ``SFURouterError/unknownLayer(_:)``.
    public mutating func selectLayer(_ layer: Int, for id: SFUSubscriptionID, now: NIODeadline) throws(SFURouterError) {
        guard let leg = legs[id] else { throw .unknownSubscription(id) }
        guard let track = leg.target?.track ?? leg.current?.track else { throw .unknownSubscription(id) }
        try switchSource(of: id, to: SFUSource(track: track, layer: layer), now: now)
    }

    /// Switches a subscription to another source — another layer, or another publisher's track of
    /// the same codec (e.g. the active speaker) — at that source's next key frame, requested now.
    /// The subscriber sees one stream: its SSRC stays, sequence numbers go on without a gap and
    /// timestamps advance by the time that passed.
    ///
    /// - Throws: ``SFURouterError/unknownSubscription(_:)``, ``SFURouterError/unknownTrack(_:)``,
    ///   ``SFURouterError/unknownLayer(_:)``, ``SFURouterError/codecMismatch(subscribed:offered:)``.
    public mutating func switchSource(of id: SFUSubscriptionID, to source: SFUSource, now: NIODeadline) throws(SFURouterError) {
        guard let leg = legs[id] else { throw .unknownSubscription(id) }
        guard let track = tracks[source.track] else { throw .unknownTrack(source.track) }
        guard track.layers.indices.contains(source.layer) else { throw .unknownLayer(source) }
        guard track.codec == leg.codec else { throw .codecMismatch(subscribed: leg.codec, offered: track.codec) }
        if leg.current == source {
            if let old = leg.target, old.track != source.track { tracks[old.track]?.subscribers.removeAll { $0 == id } }
            legs[id]!.target = nil
            return
        }
        if let old = leg.target, old.track != source.track, old.track != leg.current?.track {
            tracks[old.track]?.subscribers.removeAll { $0 == id }
        }
        aim(id, at: source, now: now)
    }

    /// The source a subscription receives now, or nil before its first key frame.
    public func currentSource(of id: SFUSubscriptionID) -> SFUSource? { legs[id]?.current }

    /// The source a subscription waits to switch to, or nil.
    public func pendingSource(of id: SFUSubscriptionID) -> SFUSource? { legs[id]?.target }

    /// A subscription's counters, or nil for an unknown id.
    public func statistics(of id: SFUSubscriptionID) -> SFUSubscriptionStatistics? { legs[id]?.statistics }

    private mutating func aim(_ id: SFUSubscriptionID, at source: SFUSource, now: NIODeadline) {
        legs[id]!.target = source
        if !tracks[source.track]!.subscribers.contains(id) { tracks[source.track]!.subscribers.append(id) }
        if tracks[source.track]!.codec.kind == .video { requestKeyFrame(source, now: now) }
    }

    // MARK: Outputs and time

    /// The next thing to do, or nil.
    public mutating func poll() -> SFURouterOutput? { outputs.popFirst() }

    /// When a throttled key-frame request is due to be repeated, or nil.
    public var nextDeadline: NIODeadline? {
        var earliest: NIODeadline?
        for track in tracks.values {
            for layer in track.layers {
                if let d = layer.keyFrames.nextDeadline, earliest.map({ d < $0 }) ?? true { earliest = d }
            }
        }
        return earliest
    }

    /// Repeats the key-frame requests due at `now` (still no key frame one interval after the last).
    public mutating func handleTimeout(now: NIODeadline) {
        for id in Array(tracks.keys) {
            for index in tracks[id]!.layers.indices {
                tracks[id]!.layers[index].keyFrames.handleTimeout(now: now)
                drainKeyFrameRequest(SFUSource(track: id, layer: index))
            }
        }
    }
}
