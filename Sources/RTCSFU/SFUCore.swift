import DequeModule
import NIOCore
import RTCCore
import RTCRTP
import RTCSession

/// A transceiver of one session served by an ``SFUCore``.
public struct SFUTransceiver: Hashable, Sendable, CustomStringConvertible {
    /// The session.
    public var session: SFUSessionKey
    /// The transceiver's handle in that session.
    public var handle: Int

    /// Names a transceiver.
    public init(session: SFUSessionKey, handle: Int) {
        self.session = session
        self.handle = handle
    }

    /// `session#2/1`.
    public var description: String { "\(session)/\(handle)" }
}

/// Why an ``SFUCore`` refused a command.
public enum SFUCoreError: Error, Hashable, Sendable {
    /// No session or transceiver there.
    case unknownTransceiver(SFUTransceiver)
    /// That transceiver is already published or subscribed.
    case transceiverInUse(SFUTransceiver)
    /// The router refused.
    case router(SFURouterError)
    /// No session with this key.
    case unknownSession(SFUSessionKey)
    /// The room has its configured maximum of members already (``SFURoomConfiguration/maximumMembers``).
    case roomFull(SFURoomID, limit: Int)
    /// The session is a member of a room already.
    case alreadyInRoom(SFUSessionKey, SFURoomID)
    /// The session is not a member of any room.
    case notInRoom(SFUSessionKey)
    /// The session refused a description (see the `SessionError`).
    case negotiation(SFUSessionKey, SessionError)
    /// The track has no simulcast layer with this rid.
    case unknownLayer(String)
}

/// An SFU's data path, sans-IO: many `RTCSession`s on one socket (``SFUSessionMultiplexer``)
/// and an ``SFURouter`` between them, as one `DatagramCore` a `UDPDriver` runs — no task, hop or
/// lock between a publisher's packet arriving and its subscribers' packets leaving.
///
/// A published transceiver hands its packets up raw (`.packets` delivery: its receive streams
/// still report, NACK the publisher and repair through RTX); they go through the router and out
/// with `sendRTP` on each subscribing transceiver, whose send stream caches them for the
/// subscriber's NACKs. A subscriber's PLI/FIR — or its transceiver's negotiation settling, before
/// which packets were dropped — reaches the router (throttled there) and the publisher's session
/// as a key-frame request. Those packet and request events are consumed; every other session
/// event comes out tagged with its session.
///
/// Sessions that ``join(_:room:now:)`` a room are served by the core alone
/// (`SFUCore+Rooms.swift`): their tracks are published and sent to every other member on
/// transceivers the core adds and removes, renegotiating from the server (``SFURoomEvent/offer(_:_:)``,
/// perfect negotiation with the server as the polite peer), their data-channel messages are
/// relayed to the other members, and their audio levels elect the room's active speaker.
public struct SFUCore: DatagramCore {
    /// A datagram from the socket.
    public typealias Input = ReceivedDatagram
    /// A datagram for the socket.
    public typealias Output = Transmit
    /// One session's event (other than the packets and key-frame requests the core consumes).
    public typealias Event = SFUEvent

    /// The sessions.
    public internal(set) var sessions = SFUSessionMultiplexer<RTCSession>()
    /// The router (its statistics, sources and subscriptions).
    public internal(set) var router: SFURouter

    var published: [SFUTransceiver: SFUPublication] = [:]
    var publisherOf: [SFUTrackID: SFUTransceiver] = [:]
    var subscriptionOf: [SFUTransceiver: SFUSubscriptionID] = [:]
    var legs: [SFUSubscriptionID: SFUTransceiver] = [:]
    var events = Deque<Event>()
    var rng: any RandomNumberGenerator & Sendable

    /// Packets of a simulcast track dropped because neither their SSRC nor a rid said their layer.
    public internal(set) var simulcastPacketsWithoutLayer = 0
    /// The rooms' limits and codecs.
    public let roomConfiguration: SFURoomConfiguration
    /// The rooms' counters.
    public internal(set) var roomStatistics = SFURoomStatistics()
    var rooms: [SFURoomID: SFURoomState] = [:]
    var members: [SFUSessionKey: SFUMemberState] = [:]
    /// Members whose negotiation may need the server's attention (an event or a change since).
    var unsettledMembers: Set<SFUSessionKey> = []

    /// How simulcast layers are chosen for subscribers.
    public let layerSelection: SFULayerSelectionConfiguration
    /// Automatic layer switches made so far.
    public internal(set) var layerSwitches = 0
    var bandwidth: [SFUSessionKey: SFUSubscriberBandwidth] = [:]
    var pinnedLegs: Set<SFUSubscriptionID> = []
    var lastLayerSwitch: [SFUSubscriptionID: NIODeadline] = [:]
    var nextLayerReview: NIODeadline?
    var lastLayerReview: NIODeadline?

    /// Creates a core with no session; the router's own leg caches are off (each subscribing
    /// transceiver's send stream caches what it sends). `rng` draws each leg's first sequence
    /// number and timestamp.
    public init(configuration: SFURouterConfiguration = SFURouterConfiguration(),
                rooms roomConfiguration: SFURoomConfiguration = SFURoomConfiguration(),
                layers layerSelection: SFULayerSelectionConfiguration = SFULayerSelectionConfiguration(),
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.roomConfiguration = roomConfiguration
        self.layerSelection = layerSelection
        var configuration = configuration
        configuration.legCacheCapacity = 0
        router = SFURouter(configuration: configuration)
        self.rng = rng
    }

    // MARK: Sessions

    /// Adds a session served on the socket.
    public mutating func addSession(_ session: RTCSession, now: NIODeadline) -> SFUSessionKey {
        let key = sessions.addSession(session)
        process(now: now)
        return key
    }

    /// Runs a command on one session and processes what it produced; nil for an unknown key.
    public mutating func withSession<R, E: Error>(_ key: SFUSessionKey, now: NIODeadline,
                                                  _ body: (inout RTCSession) throws(E) -> R) throws(E) -> R? {
        defer { process(now: now) }
        return try sessions.withSession(key, body)
    }

    /// Removes a session: it leaves its room (the other members are offered descriptions without
    /// its tracks), what it published is unpublished (its subscribers wait for another source),
    /// what it subscribed is unsubscribed. Close it first to say goodbye.
    public mutating func removeSession(_ key: SFUSessionKey, now: NIODeadline) {
        leaveRoom(key, now: now)
        for (transceiver, publication) in published where transceiver.session == key { unpublish(publication.track) }
        for (transceiver, leg) in subscriptionOf where transceiver.session == key { unsubscribe(leg) }
        sessions.removeSession(key)
        bandwidth[key] = nil
        process(now: now)
    }

    // MARK: Publishing and subscribing

    /// Publishes what a receiving transceiver gets (a member's track) as a router track of
    /// `codec`; the transceiver now hands its packets to the router.
    ///
    /// - Throws: ``SFUCoreError``.
    public mutating func publish(_ transceiver: SFUTransceiver, codec: RTPCodec, now: NIODeadline) throws(SFUCoreError) -> SFUTrackID {
        defer { process(now: now) }
        return try publishTrack(transceiver, codec: codec, room: nil)
    }

    /// ``publish(_:codec:now:)`` without processing what it produced.
    mutating func publishTrack(_ transceiver: SFUTransceiver, codec: RTPCodec, room: SFURoomID?) throws(SFUCoreError) -> SFUTrackID {
        guard published[transceiver] == nil, subscriptionOf[transceiver] == nil else { throw .transceiverInUse(transceiver) }
        let found: Void?
        do {
            found = try sessions.withSession(transceiver.session) { s throws(SessionError) in
                try s.setDelivery(.packets, on: transceiver.handle)
            }
        } catch {
            throw .unknownTransceiver(transceiver)
        }
        guard found != nil else { throw .unknownTransceiver(transceiver) }
        // Simulcast (accepted by the session's answer): one router layer per rid.
        let rids = sessions.session(transceiver.session)?.receivedRIDs(on: transceiver.handle) ?? []
        let track: SFUTrackID
        do {
            track = try router.publish(codec: codec, layers: rids.isEmpty ? [SFULayer()] : rids.map { SFULayer(rid: $0) })
        } catch {
            throw .router(error)
        }
        published[transceiver] = SFUPublication(track: track, room: codec.kind == .audio ? room : nil, rids: rids,
                                                isVP8: codec == .vp8)
        publisherOf[track] = transceiver
        return track
    }

    /// Stops publishing a track; its subscriptions wait for another source.
    public mutating func unpublish(_ track: SFUTrackID) {
        guard let transceiver = publisherOf.removeValue(forKey: track) else { return }
        published[transceiver] = nil
        router.unpublish(track)
    }

    /// Sends `track` on a transceiver of a subscriber's session (one with a sender of the
    /// track's codec, negotiated to send): a video leg starts at the next key frame, asked for now.
    ///
    /// - Throws: ``SFUCoreError``.
    public mutating func subscribe(_ transceiver: SFUTransceiver, to track: SFUTrackID,
                                   now: NIODeadline) throws(SFUCoreError) -> SFUSubscriptionID {
        defer { process(now: now) }
        return try subscribeLeg(transceiver, to: track, now: now)
    }

    /// ``subscribe(_:to:now:)`` without processing what it produced.
    mutating func subscribeLeg(_ transceiver: SFUTransceiver, to track: SFUTrackID,
                               now: NIODeadline) throws(SFUCoreError) -> SFUSubscriptionID {
        guard published[transceiver] == nil, subscriptionOf[transceiver] == nil else { throw .transceiverInUse(transceiver) }
        guard let info = sessions.session(transceiver.session)?.transceiverInfo(transceiver.handle) else {
            throw .unknownTransceiver(transceiver)
        }
        let leg: SFUSubscriptionID
        do {
            leg = try router.subscribe(to: SFUSource(track: track), ssrc: info.ssrc, payloadType: 0,
                                       initialSequenceNumber: UInt16.random(in: 0..<0x8000, using: &rng),
                                       initialTimestamp: UInt32.random(in: 0...UInt32.max, using: &rng), now: now)
        } catch {
            throw .router(error)
        }
        subscriptionOf[transceiver] = leg
        legs[leg] = transceiver
        return leg
    }

    /// Switches a subscription to another published track of the same codec (e.g. the active
    /// speaker's) at that track's next key frame, asked for now; the subscriber's stream goes on
    /// without a gap.
    ///
    /// - Throws: ``SFUCoreError/router(_:)``.
    public mutating func switchSource(of leg: SFUSubscriptionID, to track: SFUTrackID, now: NIODeadline) throws(SFUCoreError) {
        do { try router.switchSource(of: leg, to: SFUSource(track: track), now: now) } catch { throw .router(error) }
        process(now: now)
    }

    /// Ends a subscription.
    public mutating func unsubscribe(_ leg: SFUSubscriptionID) {
        guard let transceiver = legs.removeValue(forKey: leg) else { return }
        subscriptionOf[transceiver] = nil
        pinnedLegs.remove(leg)
        lastLayerSwitch[leg] = nil
        router.unsubscribe(leg)
    }

    // MARK: DatagramCore

    /// Hands a datagram to its session and forwards what it produced.
    public mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        sessions.handle(datagram, now: now)
        process(now: now)
    }

    /// The next datagram for the socket.
    public mutating func pollTransmit() -> Transmit? { sessions.pollTransmit() }

    /// The next session event the core did not consume.
    public mutating func pollEvent() -> Event? { events.popFirst() }

    /// The earliest deadline of the sessions and the router.
    public var nextDeadline: NIODeadline? {
        // Without an array: the driver asks after every read burst.
        var earliest = sessions.nextDeadline
        if let d = router.nextDeadline, earliest.map({ d < $0 }) ?? true { earliest = d }
        if let d = nextLayerReview, earliest.map({ d < $0 }) ?? true { earliest = d }
        return earliest
    }

    /// Runs the sessions' and the router's timers due at `now`.
    public mutating func handleTimeout(now: NIODeadline) {
        sessions.handleTimeout(now: now)
        if let d = router.nextDeadline, d <= now { router.handleTimeout(now: now) }
        if let d = nextLayerReview, d <= now { reviewLayers(now: now) }
        process(now: now)
    }

    // MARK: Forwarding

    /// Takes the sessions' events — packets of published transceivers into the router, key-frame
    /// requests of subscribing ones to it — and performs what the router asks, until both are quiet.
    mutating func process(now: NIODeadline) {
        repeat {
            while let tagged = sessions.pollEvent() {
                switch tagged.event {
                case .media(.packet(let handle, let packet)):
                    let transceiver = SFUTransceiver(session: tagged.session, handle: handle)
                    if let p = published.index(forKey: transceiver) {
                        // Its scalars only: a copy of the publication held while `measure` counts
                        // into it would copy its arrays for every packet.
                        let track = published.values[p].track, room = published.values[p].room
                        let isSimulcast = !published.values[p].rids.isEmpty
                        let isVP8 = published.values[p].isVP8, levelID = published.values[p].audioLevelID
                        var layer = 0
                        if isSimulcast {
                            guard let found = simulcastLayer(of: packet, on: transceiver) else {
                                simulcastPacketsWithoutLayer += 1
                                continue
                            }
                            layer = found
                        }
                        measure(packet, layer: layer, on: transceiver, isVP8: isVP8 && isSimulcast)
                        let level = audioLevel(of: packet, extensionID: levelID, on: transceiver)
                        router.handleRTP(packet, from: SFUSource(track: track, layer: layer), now: now)
                        // This packet's forwards at once, each with the packet's audio level (RFC 6464).
                        while let output = router.poll() { perform(output, audioLevel: level, now: now) }
                        if let level, let room { observeAudioLevel(level, from: tagged.session, in: room, now: now) }
                    } else {
                        events.append(.session(tagged))
                    }
                case .media(.keyFrameRequested(let handle)):
                    if let leg = subscriptionOf[SFUTransceiver(session: tagged.session, handle: handle)] {
                        router.handleKeyFrameRequest(from: leg, now: now)
                    } else {
                        events.append(.session(tagged))
                    }
                case .media(.senderFeedback(let handle, let feedback)):
                    if subscriptionOf[SFUTransceiver(session: tagged.session, handle: handle)] != nil {
                        noteFeedback(feedback, from: tagged.session, now: now)
                    } else {
                        events.append(.session(tagged))
                    }
                case .media(.bandwidthEstimate(let bitsPerSecond)):
                    // Transport-wide: the session's whole budget (SFUCore+Layers.swift).
                    noteTransportEstimate(bitsPerSecond, from: tagged.session, now: now)
                case .media(.sending(let handle, _, _)):
                    // Negotiation (re)settled a subscribing transceiver: what it dropped before
                    // needs a key frame to be decodable.
                    if let leg = subscriptionOf[SFUTransceiver(session: tagged.session, handle: handle)] {
                        router.handleKeyFrameRequest(from: leg, now: now)
                    }
                    events.append(.session(tagged))
                default:
                    if members[tagged.session] == nil || roomHandles(tagged, now: now) {
                        events.append(.session(tagged))
                    }
                }
            }
            while let output = router.poll() { perform(output, audioLevel: nil, now: now) }
            if nextLayerReview == nil, !published.isEmpty { nextLayerReview = now + layerSelection.reviewInterval }
            if !unsettledMembers.isEmpty { settleMembers(now: now) }
        } while sessions.hasEvents
    }

    /// Performs one of the router's outputs; a forwarded packet carries `audioLevel` (its
    /// publisher's, for audio) to subscribers whose sender sends the extension.
    private mutating func perform(_ output: SFURouterOutput, audioLevel: RTPAudioLevel?, now: NIODeadline) {
        switch output {
        case .forward(let leg, let packet):
            guard let to = legs[leg] else { return }
            // A leg whose negotiation has not settled yet drops the packet (it starts at a key frame later).
            _ = sessions.withSession(to.session) { s in try? s.sendRTP(packet, on: to.handle, audioLevel: audioLevel, now: now) }
        case .requestKeyFrame(let source):
            guard let from = publisherOf[source.track] else { return }
            _ = sessions.withSession(from.session) { s in try? s.requestKeyFrame(on: from.handle, now: now) }
        case .retransmit, .requestRetransmission:
            // Leg caches are off (send streams answer NACKs); publishers' receive streams NACK
            // upstream losses themselves and forward the repairs.
            break
        }
    }
}
