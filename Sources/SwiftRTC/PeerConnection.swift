import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCUDP
import Synchronization

/// A WebRTC peer connection (W3C `RTCPeerConnection`, Ktor's `WebRTCPeerConnection`).
///
/// It runs on one NIO event loop: the actor's executor is that loop, so API calls, received
/// datagrams and timers are handled in one place. A `UDPDriver` owns the sockets, the timer
/// and the pump of the session engine (datagrams reach it with no task or actor hop per
/// packet); `ConnectionEvents` publishes what the session reports. This type keeps only the
/// public API. The quick negotiation calls (`createOffer`, `createAnswer`, `localDescription`,
/// usually `createDataChannel`, `setRemoteDescription` and `awaitIceGatheringComplete`) run
/// on the caller's thread under the session's lock and leave the rest to the loop, so they
/// cost no thread hand-off.
///
/// ```swift
/// let channel = try await pc.createDataChannel("chat")
/// let offer = try await pc.createOffer()
/// try await pc.setLocalDescription(offer)
/// ```
public actor PeerConnection {
    /// The event loop this connection runs on.
    public nonisolated let eventLoop: any EventLoop
    /// Runs the actor on `eventLoop`.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    /// The configuration the connection was created with.
    public nonisolated let configuration: ConnectionConfiguration

    /// Local ICE candidates as they are gathered, for trickle signaling. An empty `candidate`
    /// string marks the end of gathering (send it on: peers treat it as end-of-candidates).
    /// Finishes when the connection closes.
    public nonisolated let iceCandidates: AsyncStream<ICECandidateInit>
    /// Data channels opening (created here or by the peer), closing and closing down.
    public nonisolated let dataChannelEvents: AsyncStream<DataChannelEvent>
    /// Every change of `connectionState` (newest 32 kept if nobody reads).
    public nonisolated let connectionStateUpdates: AsyncStream<PeerConnectionState>
    /// Every change of `iceConnectionState` (newest 32 kept).
    public nonisolated let iceConnectionStateUpdates: AsyncStream<ICEConnectionState>
    /// Every change of `iceGatheringState` (newest 32 kept).
    public nonisolated let iceGatheringStateUpdates: AsyncStream<ICEGatheringState>
    /// Every change of `signalingState` (newest 32 kept).
    public nonisolated let signalingStateUpdates: AsyncStream<SignalingState>
    /// Remote tracks arriving (`.add`) and ending (`.remove`): Ktor's `trackEvents`.
    public nonisolated let trackEvents: AsyncStream<TrackEvent>
    /// Yields when tracks or transceivers changed in a way only a new offer/answer exchange
    /// carries (W3C `negotiationneeded`, while signaling is stable): create and send an offer.
    public nonisolated let negotiationNeeded: AsyncStream<Void>

    /// The aggregate connection state.
    public var connectionState: PeerConnectionState { events.connectionState }
    /// The ICE transport's state.
    public var iceConnectionState: ICEConnectionState { events.iceConnectionState }
    /// Why `connectionState` became `failed` (its channels carry the same reason); `nil` before.
    public var failureReason: String? { events.failureReason }
    /// Candidate gathering progress.
    public var iceGatheringState: ICEGatheringState { events.iceGatheringState }
    /// Where the offer/answer exchange is.
    public var signalingState: SignalingState { driver.core.signalingState }
    /// The local description with the candidates gathered so far (send this, after
    /// `awaitIceGatheringComplete()`, to peers that do not trickle). Read on the caller's
    /// thread.
    public nonisolated var localDescription: SessionDescription? {
        get async { session.withCore { $0.localDescription } }
    }
    /// The remote description applied last. Read on the caller's thread.
    public nonisolated var remoteDescription: SessionDescription? {
        get async { session.withCore { $0.remoteDescription } }
    }
    /// The DTLS certificate's fingerprint as SDP carries it (`sha-256 AB:CD:…`).
    public nonisolated let localFingerprint: String
    /// A short random id of this connection (8 hex digits), the `pc` metadata of its log lines.
    public nonisolated let logID: String

    /// The creating client's object counters.
    nonisolated let liveObjects: LiveObjects
    /// The driver's session behind its lock. The quick JSEP calls (creating an offer, an
    /// answer or a channel, applying a remote description, reading a description) run on the
    /// caller's thread with it and hand the pump to the loop without waiting, instead of two
    /// thread hand-offs each (to the loop and back, about 0.1 ms); the rest of the API and
    /// every datagram and timer run on the loop and take the same lock.
    nonisolated let session: SharedCore<RTCSession>
    /// Whether the first local description started gathering, and the host sockets bound at
    /// creation until it takes them (``ConnectionConfiguration/bindsSocketsAtCreation``).
    /// Behind a lock: the first `setLocalDescription` and `setRemoteDescription` read it off
    /// the loop to choose their path.
    nonisolated let gathering = Mutex(GatheringStart())
    /// Runs the session: its sockets, its timer, and the pump that hands its events to `events`.
    let driver: UDPDriver<RTCSession>
    /// The session's events as the API publishes them (streams, states, channels, waiters).
    let events: ConnectionEvents
    /// `.local` candidates being resolved, and an end-of-candidates held until they are added.
    var mdnsResolutions = 0
    var heldEndOfCandidates: ICECandidateInit?
    private var closed: Bool { driver.isClosed }

    init(configuration: ConnectionConfiguration, eventLoop: any EventLoop, liveObjects: LiveObjects) async throws {
        self.eventLoop = eventLoop
        self.liveObjects = liveObjects
        self.configuration = configuration
        let certificate = try configuration.certificate ?? DTLSCertificate.generateSelfSigned(now: .now)
        self.localFingerprint = certificate.fingerprint.sdpValue
        var sessionConfiguration = try configuration.sessionConfiguration()
        let tlsSetups = try sessionConfiguration.turnServers.filter(\.usesTLS).map {
            ($0.address, try configuration.turnTLSPipelineSetup(url: "turns:\($0.address)"))
        }
        sessionConfiguration.ntpClock = NTPClock(reference: .now(), unixSeconds: WallClock.unixSeconds())
        let session = RTCSession(configuration: sessionConfiguration, certificate: certificate, rng: SystemRandomNumberGenerator())
        let loggers = ConnectionLoggers(base: configuration.logger, id: ConnectionLoggers.makeID())
        self.logID = loggers.id
        let events = ConnectionEvents(loggers: loggers)
        self.events = events
        (iceCandidates, dataChannelEvents) = (events.iceCandidates, events.dataChannelEvents)
        (connectionStateUpdates, iceConnectionStateUpdates) = (events.connectionStateUpdates, events.iceConnectionStateUpdates)
        (iceGatheringStateUpdates, signalingStateUpdates) = (events.iceGatheringStateUpdates, events.signalingStateUpdates)
        (trackEvents, negotiationNeeded) = (events.trackEvents, events.negotiationNeeded)
        self.driver = UDPDriver(core: session, eventLoop: eventLoop, socketCounter: { [liveObjects] delta in
            if delta > 0 { liveObjects.created(.socketHandler) } else { liveObjects.destroyed(.socketHandler) }
        }, onEvent: { events.handle($0) })
        self.session = driver.shared
        for (server, setup) in tlsSetups { driver.streamPipelineSetup[server] = setup }  // turns: (TLS under the TURN framing)
        liveObjects.created(.peerConnection)
        events.connection = self
        events.observe(driver)
        loggers.peerConnection.debug("created", metadata: ["fingerprint": "\(localFingerprint)"])
        if configuration.bindsSocketsAtCreation, let addresses = try? hostAddresses() {
            let bound = await driver.bind(addresses)
            gathering.withLock { $0.early = EarlySockets(addresses: bound, at: ContinuousClock.now) }
        }
    }

    deinit {
        // Dropped without close(): the driver's deinit releases the sockets and the timer, and
        // ConnectionEvents' deinit finishes the streams (waking anyone still iterating).
        liveObjects.destroyed(.peerConnection)
    }

    // MARK: JSEP

    /// Creates an offer for the current data channels and transceivers (RFC 8829 §5.2), on
    /// the caller's thread.
    public nonisolated func createOffer() async throws -> SessionDescription {
        try withOpenSession { core in try core.createOffer() }
    }

    /// Creates an answer to the applied remote offer (RFC 8829 §5.3), on the caller's thread.
    public nonisolated func createAnswer() async throws -> SessionDescription {
        try withOpenSession { core in try core.createAnswer() }
    }

    /// Applies a local description; the first one starts candidate gathering.
    ///
    /// The first one runs on the caller's thread when the sockets bound at creation are still
    /// fresh (gathering on them needs nothing from the loop); the others on the loop.
    public nonisolated func setLocalDescription(_ description: SessionDescription) async throws {
        let freshness = configuration.earlyBindingFreshness
        guard let bound = gathering.withLock({ $0.startOnEarlySockets(freshness: freshness) }) else {
            return try await setLocalDescriptionOnLoop(description)
        }
        do {
            try withOpenSession { core in
                try core.setLocalDescription(description, now: .now())
                core.addLocalAddresses(bound.addresses, now: .now())
            }
        } catch {
            gathering.withLock { $0.giveBack(bound) }  // nothing started: the next description gathers
            throw error
        }
        onLoop { pc in
            pc.events.log.peerConnection.debug("applied local description", metadata: ["type": "\(description.type)"])
            pc.driver.pump()
        }
    }

    private func setLocalDescriptionOnLoop(_ description: SessionDescription) async throws {
        try checkOpen()
        let started = gathering.withLock { $0.started }
        if started, driver.core.isICERestartPending { await refreshLocalAddresses() }
        try driver.core.setLocalDescription(description, now: .now())
        events.log.peerConnection.debug("applied local description", metadata: ["type": "\(description.type)"])
        driver.pump()
        if !started {
            gathering.withLock { $0.started = true }
            try await startGathering()
        }
    }

    /// Applies the peer's description; DTLS and SCTP start once ICE connects. Before a
    /// renegotiation offer (which may restart ICE) the host's interfaces are read again.
    ///
    /// Runs on the caller's thread unless the host's interfaces must be read again first or
    /// the description has `.local` candidates to resolve (then on the connection's loop).
    public nonisolated func setRemoteDescription(_ description: SessionDescription) async throws {
        let renegotiation = gathering.withLock { $0.started } && description.type == .offer
        if renegotiation || (configuration.resolvesMDNSCandidates && Self.containsMDNSName(description.sdp)) {
            return try await setRemoteDescriptionOnLoop(description)
        }
        let mid = try withOpenSession { core in
            try core.setRemoteDescription(description, now: .now())
            return core.transportMid
        }
        onLoop { pc in
            pc.events.log.peerConnection.debug("applied remote description", metadata: ["type": "\(description.type)"])
            pc.events.dataMid = mid  // a remote description may name the transport's m-section
            pc.driver.pump()
        }
    }

    private func setRemoteDescriptionOnLoop(_ description: SessionDescription) async throws {
        try checkOpen()
        if gathering.withLock({ $0.started }), description.type == .offer { await refreshLocalAddresses() }
        try checkOpen()
        try driver.core.setRemoteDescription(description, now: .now())
        events.log.peerConnection.debug("applied remote description", metadata: ["type": "\(description.type)"])
        resolveMDNSCandidates(in: description)
        events.dataMid = driver.core.transportMid  // a remote description may name the transport's m-section
        driver.pump()
    }

    /// Adds a candidate the peer trickled; an empty candidate string means end-of-candidates
    /// (RFC 8838 §11.4). It may come before the remote description (signaling can reorder):
    /// it is then kept and applied with it. A `.local` host candidate (a browser hiding its
    /// address) is resolved with multicast DNS first and added once resolved
    /// (``ConnectionConfiguration/resolvesMDNSCandidates``). Candidates this stack cannot use
    /// (TCP, unresolved names) are ignored and counted in `stats().remoteCandidatesIgnored`;
    /// only text that is no candidate at all throws.
    public func addIceCandidate(_ candidate: ICECandidateInit) throws {
        try checkOpen()
        if resolvingMDNS(candidate) { return }
        try driver.core.addRemoteCandidate(candidate, now: .now())
        events.log.ice.debug("added remote candidate", metadata: ["candidate": "\(candidate.candidate)"])
        driver.pump()
    }

    /// Returns once candidate gathering is complete (immediately if it already is, without
    /// leaving the caller's thread).
    public nonisolated func awaitIceGatheringComplete() async throws {
        let state = try withOpenSession { $0.iceGatheringState }
        if state == .complete { return }
        try await awaitIceGatheringCompleteOnLoop()
    }

    private func awaitIceGatheringCompleteOnLoop() async throws {
        try checkOpen()
        if iceGatheringState == .complete { return }
        try await events.awaitGatheringComplete()
    }

    // MARK: Data channels

    /// Creates a data channel. It opens (`dataChannelEvents` yields `.open`) once the
    /// connection is up and, unless negotiated, the peer acknowledged it.
    ///
    /// Before the connection starts (state `new`) it is created on the caller's thread: no
    /// event about it can come before the loop registered it.
    public nonisolated func createDataChannel(_ label: String, options: DataChannelOptions = DataChannelOptions()) async throws -> DataChannel {
        let handle = try withOpenSession { core -> Int? in
            guard core.connectionState == .new else { return nil }
            return try core.createDataChannel(label: label, options: options, now: .now())
        }
        guard let handle else { return try await createDataChannelOnLoop(label, options: options) }
        let channel = DataChannel(handle: handle, label: label, options: options, connection: self)
        onLoop { pc in
            // close() may have run between the command and now: it closed the channels it
            // knew, so this one is closed here, as close() would have.
            guard !pc.driver.isClosed else {
                channel.finish(state: .closed, reason: "the connection was closed locally")
                return
            }
            pc.events.register(channel)
            pc.driver.pump()
        }
        return channel
    }

    private func createDataChannelOnLoop(_ label: String, options: DataChannelOptions) throws -> DataChannel {
        try checkOpen()
        let handle = try driver.core.createDataChannel(label: label, options: options, now: .now())
        let channel = DataChannel(handle: handle, label: label, options: options, connection: self)
        events.register(channel)
        driver.pump()
        return channel
    }

    func send(_ message: DataChannelMessage, on id: Int) async throws {
        try await waitForSendBuffer(on: id)
        try driver.core.send(message, on: id, now: .now())
        driver.pump()
    }

    func send(binary buffer: ByteBuffer, on id: Int) async throws {
        try await waitForSendBuffer(on: id)
        try driver.core.send(binary: buffer, on: id, now: .now())
        driver.pump()
    }

    /// Returns once the channel's buffered amount is at most the high-water mark (suspending
    /// until the peer has acknowledged enough), or throws when the channel or connection closed.
    private func waitForSendBuffer(on id: Int) async throws {
        while true {
            try checkOpen()
            guard let channel = events.dataChannels[id], channel.state != .closed, channel.state != .closing else {
                throw WebRTCError.dataChannelClosed(label: events.dataChannels[id]?.label ?? "#\(id)")
            }
            if bufferedAmount(of: id) <= configuration.sendBufferHighWaterMark { break }
            try await events.awaitBufferedAmountLow(on: id)
        }
    }

    func bufferedAmount(of id: Int) -> Int { Self.bufferedAmount(in: &driver.core, of: id) }

    /// Reads the session in place: a non-mutating read through the driver's stored property
    /// would copy the whole session (retaining everything in it) on every send.
    private static func bufferedAmount(in core: inout RTCSession, of id: Int) -> Int { core.bufferedAmount(of: id) }

    func closeDataChannel(_ id: Int) {
        guard !closed else { return }
        driver.core.closeDataChannel(id, now: .now())
        driver.pump()
    }

    // MARK: Stats

    /// The session's own counters (datagrams, drops, ignored candidates, ICE restarts); the
    /// W3C webrtc-stats report is ``statistics()``.
    public func stats() -> SessionStatistics { driver.core.statistics }

    // MARK: Closing

    /// Closes the connection: data channels close, sockets close, every stream finishes and
    /// every waiting call throws `WebRTCError.closed`.
    public func close() async {
        guard !closed else { return }
        events.log.peerConnection.debug("close() called")
        driver.core.close(now: .now())
        driver.pump()
        events.close()
        await driver.close()
    }

    // MARK: Plumbing

    /// Runs `body` on the session under its lock, on the caller's thread; throws
    /// `WebRTCError.closed` once the connection is closed (what `checkOpen()` is on the loop).
    nonisolated func withOpenSession<T>(_ body: (inout RTCSession) throws -> T) throws -> T {
        try session.withCore { core in
            if core.isClosed { throw WebRTCError.closed }
            return try body(&core)
        }
    }

    /// Runs `body` on the connection's loop, isolated to it, without waiting: after every job
    /// the loop already has (a command given off the loop hands its pump over this way).
    nonisolated func onLoop(_ body: @escaping @Sendable (isolated PeerConnection) -> Void) {
        eventLoop.execute { self.assumeIsolated { body($0) } }
    }

    func checkOpen() throws {
        if closed { throw WebRTCError.closed }
    }
}
