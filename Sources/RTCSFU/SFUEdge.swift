import NIOCore
import NIOPosix
import RTCCore
import RTCRTP
import RTCSession
import RTCUDP

extension RTCSession: SFUMultiplexedSession {}

/// The UDP edge of an SFU: one socket, many `RTCSession`s and the router between them (an
/// ``SFUCore``), run by RTCUDP's `UDPDriver` on one event loop (this actor's executor, so
/// commands and datagrams share one serial executor, and forwarding has no hop per packet).
///
/// ```swift
/// let edge = SFUEdge { event in … }                       // every session's events, on the loop
/// let local = await edge.bind(TransportAddress(ip: "0.0.0.0", port: 0))
/// let member = edge.addSession(RTCSession(certificate: certificate))
/// let answer = try edge.withSession(member) { s in
///     try s.setRemoteDescription(offer, now: .now())
///     let answer = try s.createAnswer()
///     try s.setLocalDescription(answer, now: .now())
///     return s.localDescription
/// }
/// let track = try edge.publish(SFUTransceiver(session: member, handle: h), codec: .vp8)   // on `.trackAdded`
/// try edge.subscribe(SFUTransceiver(session: other, handle: sendingHandle), to: track)
/// ```
public actor SFUEdge {
    /// The loop the socket, the timer and every session run on.
    public nonisolated let eventLoop: any EventLoop
    /// Runs the actor on ``eventLoop``.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    /// The bound socket addresses, which every session offers as its host candidates.
    public private(set) var localAddresses: [TransportAddress] = []

    private let driver: UDPDriver<SFUCore>

    /// Creates an edge with no socket yet; `onEvent` gets every session's events (but the packets
    /// and key-frame requests forwarding consumes, and what rooms consume), tagged with the
    /// session, on ``eventLoop`` in order; `onRoomEvent` gets the rooms' events there too
    /// (offers to send to members, publications, active-speaker changes).
    public init(eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
                router configuration: SFURouterConfiguration = SFURouterConfiguration(),
                rooms roomConfiguration: SFURoomConfiguration = SFURoomConfiguration(),
                layers layerSelection: SFULayerSelectionConfiguration = SFULayerSelectionConfiguration(),
                onEvent: @escaping @Sendable (SFUSessionEvent<SessionEvent>) -> Void,
                onRoomEvent: @escaping @Sendable (SFURoomEvent) -> Void = { _ in }) {
        self.eventLoop = eventLoop
        driver = UDPDriver(core: SFUCore(configuration: configuration, rooms: roomConfiguration, layers: layerSelection), eventLoop: eventLoop) { event in
            switch event {
            case .session(let tagged): onEvent(tagged)
            case .room(let roomEvent): onRoomEvent(roomEvent)
            }
        }
    }

    /// Binds the socket on an ephemeral port of `address`'s IP (the driver binds port 0) and
    /// returns the bound address, or nil when it cannot be bound. Sessions added before get it
    /// as a host candidate too.
    public func bind(_ address: TransportAddress) async -> TransportAddress? {
        guard let bound = await driver.bind([address]).first else { return nil }
        localAddresses.append(bound)
        for key in driver.core.sessions.sessionKeys {
            driver.core.withSession(key, now: .now()) { $0.addLocalAddresses([bound], now: .now()) }
        }
        driver.pump()
        return bound
    }

    /// Adds a session served on the socket; it gathers the bound addresses as host candidates.
    public func addSession(_ session: RTCSession) -> SFUSessionKey {
        let key = driver.core.addSession(session, now: .now())
        if !localAddresses.isEmpty {
            let addresses = localAddresses
            driver.core.withSession(key, now: .now()) { $0.addLocalAddresses(addresses, now: .now()) }
        }
        driver.pump()
        return key
    }

    /// Runs a command on one session (descriptions, candidates, data channels, `sendRTP`) and
    /// sends what it produced; nil for an unknown key.
    public func withSession<R: Sendable, E: Error>(_ key: SFUSessionKey, _ body: (inout RTCSession) throws(E) -> R) throws(E) -> R? {
        defer { driver.pump() }
        return try driver.core.withSession(key, now: .now(), body)
    }

    /// Publishes what a member's receiving transceiver gets (on its `.media(.trackAdded)`).
    ///
    /// - Throws: ``SFUCoreError``.
    public func publish(_ transceiver: SFUTransceiver, codec: RTPCodec) throws(SFUCoreError) -> SFUTrackID {
        defer { driver.pump() }
        return try driver.core.publish(transceiver, codec: codec, now: .now())
    }

    /// Sends a published track on another member's sending transceiver of the same codec.
    ///
    /// - Throws: ``SFUCoreError``.
    @discardableResult
    public func subscribe(_ transceiver: SFUTransceiver, to track: SFUTrackID) throws(SFUCoreError) -> SFUSubscriptionID {
        defer { driver.pump() }
        return try driver.core.subscribe(transceiver, to: track, now: .now())
    }

    /// Switches a subscription to another published track of the same codec, at its next key frame.
    ///
    /// - Throws: ``SFUCoreError``.
    public func switchSource(of leg: SFUSubscriptionID, to track: SFUTrackID) throws(SFUCoreError) {
        defer { driver.pump() }
        try driver.core.switchSource(of: leg, to: track, now: .now())
    }

    /// The simulcast layers (rids) of a published track, in layer order; empty without simulcast.
    public func rids(of track: SFUTrackID) -> [String] { driver.core.rids(of: track) }

    /// Makes a subscription forward another simulcast layer (by rid) from its next key frame.
    ///
    /// - Throws: ``SFUCoreError``.
    public func selectLayer(_ rid: String, for leg: SFUSubscriptionID) throws(SFUCoreError) {
        defer { driver.pump() }
        try driver.core.selectLayer(rid, for: leg, now: .now())
    }

    /// Gives a subscription back to the automatic layer choice (``SFULayerSelectionConfiguration``).
    public func selectLayerAutomatically(for leg: SFUSubscriptionID) {
        driver.core.selectLayerAutomatically(for: leg)
    }

    /// Caps what the edge sends a subscriber session, in bits per second (nil lifts it): its
    /// simulcast subscriptions move to the layers that fit within half a second or so.
    public func setBitrateCap(_ bitsPerSecond: UInt64?, for member: SFUSessionKey) {
        driver.core.setBitrateCap(bitsPerSecond, for: member)
    }

    /// The largest picture a subscriber session wants (nil: any), for its simulcast subscriptions.
    public func setMaximumResolution(_ size: SFUPictureSize?, for member: SFUSessionKey) {
        driver.core.setMaximumResolution(size, for: member)
    }

    /// The layers of a published track as last measured (bitrate, key-frame size).
    public func layerMeasurements(of track: SFUTrackID) -> [SFULayerMeasurement] {
        driver.core.layerMeasurements(of: track)
    }

    /// What the edge may send a subscriber session now (its cap, REMB, loss-based estimate), nil
    /// when nothing limits it.
    public func bandwidthBudget(of member: SFUSessionKey) -> UInt64? {
        driver.core.bandwidthBudget(of: member, now: .now())
    }

    /// What the simulcast layer choice works from now (``SFUCore/layerSummary(now:)``).
    public var layerSummary: String { driver.core.layerSummary(now: .now()) }

    /// Automatic simulcast layer switches so far.
    public var layerSwitches: Int { driver.core.layerSwitches }

    /// The layer a subscription receives now (nil before its first key frame) and the one it
    /// waits to switch to.
    public func layer(of leg: SFUSubscriptionID) -> (current: SFUSource?, pending: SFUSource?) {
        (driver.core.router.currentSource(of: leg), driver.core.router.pendingSource(of: leg))
    }

    /// Packets of simulcast tracks dropped because neither their SSRC nor a rid said their layer.
    public var simulcastPacketsWithoutLayer: Int { driver.core.simulcastPacketsWithoutLayer }

    /// A room member's subscription to a track.
    public func subscription(of member: SFUSessionKey, to track: SFUTrackID) -> SFUSubscriptionID? {
        driver.core.subscription(of: member, to: track)
    }

    /// The router's counters.
    public var routerStatistics: SFURouterStatistics { driver.core.router.statistics }

    /// Closes one session (its DTLS close_notify and SCTP/RTCP goodbyes go out) and removes it;
    /// a member leaves its room first (the others are offered descriptions without its tracks).
    public func removeSession(_ key: SFUSessionKey) {
        driver.core.leave(key, now: .now())
        driver.pump()
        driver.core.withSession(key, now: .now()) { $0.close(now: .now()) }
        driver.pump()
        driver.core.removeSession(key, now: .now())
        driver.pump()
    }

    // MARK: Rooms

    /// Makes a session a member of a room (see ``SFUCore/join(_:room:now:)``): join before
    /// applying the member's first offer with ``handleRemoteDescription(_:from:)``. The others
    /// receive its tracks in the MediaStream `streamID` (`member-<key>` when nil).
    ///
    /// - Throws: ``SFUCoreError`` (``SFUCoreError/roomFull(_:limit:)`` over the configured limit).
    public func join(_ key: SFUSessionKey, room: SFURoomID, streamID: String? = nil) throws(SFUCoreError) {
        defer { driver.pump() }
        try driver.core.join(key, room: room, streamID: streamID, now: .now())
    }

    /// Takes a member out of its room; the others are offered descriptions without its tracks.
    public func leave(_ key: SFUSessionKey) {
        driver.core.leave(key, now: .now())
        driver.pump()
    }

    /// Applies a member's offer or answer with perfect negotiation, the server being polite
    /// (see ``SFUCore/handleRemoteDescription(_:from:now:)``); the answer to an offer comes out
    /// as ``SFURoomEvent/answer(_:_:)``, in order with the offers.
    ///
    /// - Throws: ``SFUCoreError``.
    public func handleRemoteDescription(_ description: SessionDescription, from key: SFUSessionKey) throws(SFUCoreError) {
        defer { driver.pump() }
        try driver.core.handleRemoteDescription(description, from: key, now: .now())
    }

    /// The members of a room, in joining order.
    public func members(of room: SFURoomID) -> [SFUSessionKey] { driver.core.members(of: room) }

    /// A room's dominant speaker now.
    public func activeSpeaker(of room: SFURoomID) -> SFUSessionKey? { driver.core.activeSpeaker(of: room) }

    /// The rooms' counters (relayed and dropped messages, offers, rollbacks).
    public var roomStatistics: SFURoomStatistics { driver.core.roomStatistics }

    /// Datagrams the multiplexer dropped, by reason.
    public var drops: [SFUMultiplexerDropReason: Int] { driver.core.sessions.drops }

    /// Datagrams dropped on the way out because the socket's queue in the process was full
    /// (``SFURoomConfiguration`` does not set it: the driver's 4 MiB bound): a slow or absent
    /// subscriber cannot grow the server's memory.
    public var datagramsDroppedUnwritable: Int { driver.datagramsDroppedUnwritable }

    /// Closes every session and the socket.
    public func close() async {
        for key in driver.core.sessions.sessionKeys { driver.core.withSession(key, now: .now()) { $0.close(now: .now()) } }
        driver.pump()
        await driver.close()
    }
}
