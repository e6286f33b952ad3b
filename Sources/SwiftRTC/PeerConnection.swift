import NIOCore
import NIOPosix
import RTCCore
import RTCDTLS
import RTCSession

/// A WebRTC peer connection (W3C `RTCPeerConnection`, Ktor's `WebRTCPeerConnection`).
///
/// It runs on one NIO event loop: the actor's executor is that loop, so API calls, received
/// datagrams and timers are handled in one place without locks, and the UDP sockets deliver
/// datagrams to the session engine with no task or actor hop per packet.
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

    /// The aggregate connection state.
    public private(set) var connectionState: PeerConnectionState = .new
    /// The ICE transport's state.
    public private(set) var iceConnectionState: ICEConnectionState = .new
    /// Candidate gathering progress.
    public private(set) var iceGatheringState: ICEGatheringState = .new
    /// Where the offer/answer exchange is.
    public var signalingState: SignalingState { session.signalingState }
    /// The local description with the candidates gathered so far (send this, after
    /// `awaitIceGatheringComplete()`, to peers that do not trickle).
    public var localDescription: SessionDescription? { session.localDescription }
    /// The remote description applied last.
    public var remoteDescription: SessionDescription? { session.remoteDescription }
    /// The DTLS certificate's fingerprint as SDP carries it (`sha-256 AB:CD:…`).
    public nonisolated let localFingerprint: String

    private var session: RTCSession
    /// The creating client's object counters.
    nonisolated let liveObjects: LiveObjects
    private var sockets: [TransportAddress: any Channel] = [:]
    private var channelsToFlush: [ObjectIdentifier: any Channel] = [:]
    /// Destination socket addresses already converted (building one per datagram is costly).
    private var socketAddresses: [TransportAddress: SocketAddress] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var dataChannels: [Int: DataChannel] = [:]
    private var gatheringWaiters: [CheckedContinuation<Void, any Error>] = []
    private var sendWaiters: [Int: [CheckedContinuation<Void, any Error>]] = [:]
    private var gatheringStarted = false
    private var closed = false

    private let candidateSink: AsyncStream<ICECandidateInit>.Continuation
    private let dataChannelSink: AsyncStream<DataChannelEvent>.Continuation
    private let connectionStateSink: AsyncStream<PeerConnectionState>.Continuation
    private let iceStateSink: AsyncStream<ICEConnectionState>.Continuation
    private let gatheringStateSink: AsyncStream<ICEGatheringState>.Continuation
    private let signalingStateSink: AsyncStream<SignalingState>.Continuation

    init(configuration: ConnectionConfiguration, eventLoop: any EventLoop, liveObjects: LiveObjects) async throws {
        self.eventLoop = eventLoop
        self.liveObjects = liveObjects
        self.configuration = configuration
        let certificate = try configuration.certificate ?? DTLSCertificate.generateSelfSigned(now: .now)
        self.localFingerprint = certificate.fingerprint.sdpValue
        self.session = RTCSession(configuration: try configuration.sessionConfiguration(), certificate: certificate,
                                  rng: SystemRandomNumberGenerator())
        (iceCandidates, candidateSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (dataChannelEvents, dataChannelSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (connectionStateUpdates, connectionStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceConnectionStateUpdates, iceStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceGatheringStateUpdates, gatheringStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (signalingStateUpdates, signalingStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        liveObjects.created(.peerConnection)
    }

    deinit {
        // Dropped without close(): release the sockets and wake anyone still iterating.
        timer?.cancel()
        for channel in sockets.values { channel.close(promise: nil) }
        candidateSink.finish()
        dataChannelSink.finish()
        connectionStateSink.finish()
        iceStateSink.finish()
        gatheringStateSink.finish()
        signalingStateSink.finish()
        liveObjects.destroyed(.peerConnection)
    }

    // MARK: JSEP

    /// Creates an offer for the current set of data channels (RFC 8829 §5.2).
    public func createOffer() throws -> SessionDescription {
        try checkOpen()
        return try session.createOffer()
    }

    /// Creates an answer to the applied remote offer (RFC 8829 §5.3).
    public func createAnswer() throws -> SessionDescription {
        try checkOpen()
        return try session.createAnswer()
    }

    /// Applies a local description; the first one starts candidate gathering.
    public func setLocalDescription(_ description: SessionDescription) async throws {
        try checkOpen()
        try session.setLocalDescription(description, now: .now())
        drain()
        if !gatheringStarted {
            gatheringStarted = true
            try await startGathering()
        }
    }

    /// Applies the peer's description; DTLS and SCTP start once ICE connects.
    public func setRemoteDescription(_ description: SessionDescription) throws {
        try checkOpen()
        try session.setRemoteDescription(description, now: .now())
        drain()
    }

    /// Adds a candidate the peer trickled; an empty candidate string means end-of-candidates
    /// (RFC 8838 §11.4). It may come before the remote description (signaling can reorder):
    /// it is then kept and applied with it. Candidates this stack cannot use (TCP, mDNS
    /// `.local` names) are ignored and counted in `stats().remoteCandidatesIgnored`; only text
    /// that is no candidate at all throws.
    public func addIceCandidate(_ candidate: ICECandidateInit) throws {
        try checkOpen()
        try session.addRemoteCandidate(candidate, now: .now())
        drain()
    }

    /// Returns once candidate gathering is complete (immediately if it already is).
    public func awaitIceGatheringComplete() async throws {
        try checkOpen()
        if iceGatheringState == .complete { return }
        try await withCheckedThrowingContinuation { gatheringWaiters.append($0) }
    }

    // MARK: Data channels

    /// Creates a data channel. It opens (`dataChannelEvents` yields `.open`) once the
    /// connection is up and, unless negotiated, the peer acknowledged it.
    public func createDataChannel(_ label: String, options: DataChannelOptions = DataChannelOptions()) throws -> DataChannel {
        try checkOpen()
        let handle = try session.createDataChannel(label: label, options: options, now: .now())
        let channel = DataChannel(handle: handle, label: label, options: options, connection: self)
        dataChannels[handle] = channel
        drain()
        return channel
    }

    func send(_ message: DataChannelMessage, on id: Int) async throws {
        try await waitForSendBuffer(on: id)
        try session.send(message, on: id, now: .now())
        drain()
    }

    func send(binary buffer: ByteBuffer, on id: Int) async throws {
        try await waitForSendBuffer(on: id)
        try session.send(binary: buffer, on: id, now: .now())
        drain()
    }

    /// Returns once the channel's buffered amount is at most the high-water mark (suspending
    /// until the peer has acknowledged enough), or throws when the channel or connection closed.
    private func waitForSendBuffer(on id: Int) async throws {
        while true {
            try checkOpen()
            guard let channel = dataChannels[id], channel.state != .closed, channel.state != .closing else {
                    throw WebRTCError.dataChannelClosed(label: dataChannels[id]?.label ?? "#\(id)")
            }
            if session.bufferedAmount(of: id) <= configuration.sendBufferHighWaterMark { break }
            try await withCheckedThrowingContinuation { sendWaiters[id, default: []].append($0) }
        }
    }

    func bufferedAmount(of id: Int) -> Int { session.bufferedAmount(of: id) }

    func closeDataChannel(_ id: Int) {
        guard !closed else { return }
        session.closeDataChannel(id, now: .now())
        drain()
    }

    // MARK: Stats

    /// Counters of this connection (a subset of W3C webrtc-stats: transport, candidate pair,
    /// data channels).
    public func stats() -> SessionStatistics { session.statistics }

    // MARK: Closing

    /// Closes the connection: data channels close, sockets close, every stream finishes and
    /// every waiting call throws `WebRTCError.closed`.
    public func close() async {
        guard !closed else { return }
        session.close(now: .now())
        drain()
        closed = true
        timer?.cancel()
        timer = nil
        for channel in dataChannels.values { channel.finish(state: .closed) }
        dataChannels.removeAll()
        for waiter in gatheringWaiters { waiter.resume(throwing: WebRTCError.closed) }
        gatheringWaiters.removeAll()
        for waiters in sendWaiters.values { for w in waiters { w.resume(throwing: WebRTCError.closed) } }
        sendWaiters.removeAll()
        setConnectionState(.closed)
        setIceState(.closed)
        signalingStateSink.yield(.closed)
        candidateSink.finish()
        dataChannelSink.finish()
        connectionStateSink.finish()
        iceStateSink.finish()
        gatheringStateSink.finish()
        signalingStateSink.finish()
        let channels = Array(sockets.values)
        sockets.removeAll()
        for channel in channels { try? await channel.close() }
    }

    // MARK: Engine plumbing (all on the event loop)

    private func checkOpen() throws {
        if closed { throw WebRTCError.closed }
    }

    private func startGathering() async throws {
        let addresses = try LocalInterfaces.hostAddresses(includeLoopback: configuration.includeLoopbackCandidates,
                                                          includeIPv6: configuration.includeIPv6)
        var bound: [TransportAddress] = []
        // Bind every address at once, then collect: one event-loop round trip instead of one each.
        let binding = addresses.map { UDPSocket.bind(address: $0, on: eventLoop, connection: self, liveObjects: liveObjects) }
        for future in binding {
            do {
                let channel = try await future.get()
                if closed {  // closed while binding: close() has already closed the others
                    channel.close(promise: nil)
                    continue
                }
                guard let local = channel.localAddress.flatMap(TransportAddress.init(socketAddress:)) else { continue }
                sockets[local] = channel
                bound.append(local)
            } catch {
                continue  // an address that cannot be bound (e.g. IPv6 disabled) is skipped
            }
        }
        guard !closed else { return }
        if bound.isEmpty { throw WebRTCError.noUsableNetworkInterface }
        session.addLocalAddresses(bound, now: .now())
        drain()
    }

    /// A datagram arrived on one of our sockets (called on the event loop by `UDPSocket`).
    func receive(_ datagram: ReceivedDatagram) {
        guard !closed else { return }
        session.handle(datagram, now: .now())
        drainEvents()
        writeTransmits()
    }

    /// The socket finished a read burst: flush everything written during it.
    func flushAfterReads() {
        drain()
    }

    private func drain() {
        drainEvents()
        writeTransmits()
        flushSockets()
        rescheduleTimer()
    }

    private func writeTransmits() {
        while let transmit = session.pollTransmit() {
            guard let channel = channel(for: transmit) else { continue }
            let destination: SocketAddress
            if let known = socketAddresses[transmit.destination] {
                destination = known
            } else {
                destination = transmit.destination.socketAddress
                if socketAddresses.count >= 64 { socketAddresses.removeAll() }  // bounded: candidates are few
                socketAddresses[transmit.destination] = destination
            }
            let envelope = AddressedEnvelope(remoteAddress: destination, data: transmit.payload)
            channel.write(envelope, promise: nil)
            channelsToFlush[ObjectIdentifier(channel)] = channel
        }
    }

    private func flushSockets() {
        for channel in channelsToFlush.values { channel.flush() }
        channelsToFlush.removeAll(keepingCapacity: true)
    }

    private func channel(for transmit: Transmit) -> (any Channel)? {
        if let source = transmit.source, let channel = sockets[source] { return channel }
        return sockets.first { $0.key.ip.isIPv4 == transmit.destination.ip.isIPv4 }?.value
    }

    private func rescheduleTimer() {
        guard !closed, let deadline = session.nextDeadline else { return }
        if let current = timerDeadline, current <= deadline { return }  // an earlier wake-up re-polls anyway
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.assumeIsolated { $0.timerFired() }
        }
    }

    private func timerFired() {
        timerDeadline = nil
        timer = nil
        guard !closed else { return }
        session.handleTimeout(now: .now())
        drain()
    }

    private func drainEvents() {
        while let event = session.pollEvent() {
            handle(event)
        }
    }

    private func handle(_ event: SessionEvent) {
        switch event {
        case .ice(.localCandidate(let candidate)):
            candidateSink.yield(candidate)
        case .ice(.gatheringStateChanged(let state)):
            iceGatheringState = state
            gatheringStateSink.yield(state)
            if state == .complete {
                candidateSink.yield(ICECandidateInit(candidate: "", sdpMid: session.dataMid, sdpMLineIndex: 0))
                for waiter in gatheringWaiters { waiter.resume() }
                gatheringWaiters.removeAll()
            }
        case .ice(.connectionStateChanged(let state)):
            setIceState(state)
        case .connectionStateChanged(let state):
            setConnectionState(state)
        case .signalingStateChanged(let state):
            signalingStateSink.yield(state)
        case .dataChannel(.opened(let info)):
            let channel: DataChannel
            if let existing = dataChannels[info.handle] {
                channel = existing
            } else {
                channel = DataChannel(handle: info.handle, label: info.label, options: info.options, connection: self)
                dataChannels[info.handle] = channel
            }
            channel.opened(streamID: info.streamID)
            dataChannelSink.yield(.open(channel))
        case .dataChannel(.message(let id, let message)):
            dataChannels[id]?.deliver(message)
        case .dataChannel(.closing(let id)):
            guard let channel = dataChannels[id] else { return }
            channel.setState(.closing)
            dataChannelSink.yield(.closing(channel))
            resumeSenders(of: id, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .dataChannel(.closed(let id)):
            guard let channel = dataChannels.removeValue(forKey: id) else { return }
            channel.finish(state: .closed)
            dataChannelSink.yield(.closed(channel))
            resumeSenders(of: id, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .dataChannel(.error(let id, let reason)):
            guard let channel = dataChannels[id] else { return }
            dataChannelSink.yield(.error(channel, WebRTCError.dataChannelFailed(label: channel.label, reason: reason)))
        case .dataChannel(.bufferedAmountLow(let id)):
            resumeSenders(of: id, throwing: nil)
        }
    }

    private func resumeSenders(of id: Int, throwing error: (any Error)?) {
        guard let waiters = sendWaiters.removeValue(forKey: id) else { return }
        for w in waiters {
            if let error { w.resume(throwing: error) } else { w.resume() }
        }
    }

    private func setConnectionState(_ state: PeerConnectionState) {
        guard connectionState != state else { return }
        connectionState = state
        connectionStateSink.yield(state)
    }

    private func setIceState(_ state: ICEConnectionState) {
        guard iceConnectionState != state else { return }
        iceConnectionState = state
        iceStateSink.yield(state)
    }
}

/// What happens to data channels (Ktor's `DataChannelEvent`).
public enum DataChannelEvent: Sendable {
    /// The channel is open: send and receive.
    case open(DataChannel)
    /// A close started (by either side).
    case closing(DataChannel)
    /// The channel is closed on both sides; its message sequence has ended.
    case closed(DataChannel)
    /// Something went wrong on the channel (e.g. an oversize message).
    case error(DataChannel, any Error)
}
