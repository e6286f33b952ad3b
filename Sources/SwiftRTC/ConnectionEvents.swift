import RTCSession

/// Fans a peer connection's `SessionEvent`s out to what its API exposes: the streams
/// (`iceCandidates`, `dataChannelEvents`, state updates), the current states, the
/// `DataChannel` objects, and the calls waiting for gathering or for send-buffer room.
///
/// It lives on the connection's event loop: the UDP driver calls ``handle(_:)`` there, and the
/// `PeerConnection` actor (whose executor is that loop) reads and edits it.
final class ConnectionEvents {
    let iceCandidates: AsyncStream<ICECandidateInit>
    let dataChannelEvents: AsyncStream<DataChannelEvent>
    let connectionStateUpdates: AsyncStream<PeerConnectionState>
    let iceConnectionStateUpdates: AsyncStream<ICEConnectionState>
    let iceGatheringStateUpdates: AsyncStream<ICEGatheringState>
    let signalingStateUpdates: AsyncStream<SignalingState>

    private(set) var connectionState: PeerConnectionState = .new
    private(set) var iceConnectionState: ICEConnectionState = .new
    private(set) var iceGatheringState: ICEGatheringState = .new
    /// The open (or opening) channels by session handle.
    private(set) var dataChannels: [Int: DataChannel] = [:]
    /// The connection channels announced by the peer belong to (set once it exists).
    weak var connection: PeerConnection?
    /// The data m-section's mid, for the end-of-candidates marker (the connection updates it
    /// when it applies a description).
    var dataMid = "0"

    private var gatheringWaiters: [CheckedContinuation<Void, any Error>] = []
    private var sendWaiters: [Int: [CheckedContinuation<Void, any Error>]] = [:]
    private let candidateSink: AsyncStream<ICECandidateInit>.Continuation
    private let dataChannelSink: AsyncStream<DataChannelEvent>.Continuation
    private let connectionStateSink: AsyncStream<PeerConnectionState>.Continuation
    private let iceStateSink: AsyncStream<ICEConnectionState>.Continuation
    private let gatheringStateSink: AsyncStream<ICEGatheringState>.Continuation
    private let signalingStateSink: AsyncStream<SignalingState>.Continuation

    init() {
        (iceCandidates, candidateSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (dataChannelEvents, dataChannelSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (connectionStateUpdates, connectionStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceConnectionStateUpdates, iceStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceGatheringStateUpdates, gatheringStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (signalingStateUpdates, signalingStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
    }

    deinit { finishStreams() }

    // MARK: What the connection registers

    /// A channel created locally, registered before the session reports anything about it.
    func register(_ channel: DataChannel) { dataChannels[channel.handle] = channel }

    /// Suspends until gathering completes (or the connection closes).
    func awaitGatheringComplete(isolation: isolated (any Actor)? = #isolation) async throws {
        try await withCheckedThrowingContinuation { gatheringWaiters.append($0) }
    }

    /// Suspends until channel `handle`'s buffered amount falls low (or the channel closes).
    func awaitBufferedAmountLow(on handle: Int, isolation: isolated (any Actor)? = #isolation) async throws {
        try await withCheckedThrowingContinuation { sendWaiters[handle, default: []].append($0) }
    }

    /// The connection closed: channels close, waiting calls throw `WebRTCError.closed`, the
    /// states become closed and every stream finishes.
    func close() {
        for channel in dataChannels.values { channel.finish(state: .closed) }
        dataChannels.removeAll()
        for waiter in gatheringWaiters { waiter.resume(throwing: WebRTCError.closed) }
        gatheringWaiters.removeAll()
        for waiters in sendWaiters.values { for w in waiters { w.resume(throwing: WebRTCError.closed) } }
        sendWaiters.removeAll()
        setConnectionState(.closed)
        setIceState(.closed)
        signalingStateSink.yield(.closed)
        finishStreams()
    }

    private func finishStreams() {
        candidateSink.finish()
        dataChannelSink.finish()
        connectionStateSink.finish()
        iceStateSink.finish()
        gatheringStateSink.finish()
        signalingStateSink.finish()
    }

    // MARK: Session events

    /// Publishes one event of the session (called by the UDP driver on the loop).
    func handle(_ event: SessionEvent) {
        switch event {
        case .ice(let ice):
            handle(ice)
        case .connectionStateChanged(let state):
            setConnectionState(state)
        case .signalingStateChanged(let state):
            signalingStateSink.yield(state)
        case .dataChannel(let channelEvent):
            handle(channelEvent)
        }
    }

    private func handle(_ event: SessionEvent.ICE) {
        switch event {
        case .localCandidate(let candidate):
            candidateSink.yield(candidate)
        case .gatheringStateChanged(let state):
            iceGatheringState = state
            gatheringStateSink.yield(state)
            if state == .complete {
                candidateSink.yield(ICECandidateInit(candidate: "", sdpMid: dataMid, sdpMLineIndex: 0))
                for waiter in gatheringWaiters { waiter.resume() }
                gatheringWaiters.removeAll()
            }
        case .connectionStateChanged(let state):
            setIceState(state)
        }
    }

    private func handle(_ event: SessionEvent.Channel) {
        switch event {
        case .opened(let info):
            let channel: DataChannel
            if let existing = dataChannels[info.handle] {
                channel = existing
            } else {
                guard let connection else { return }
                channel = DataChannel(handle: info.handle, label: info.label, options: info.options, connection: connection)
                dataChannels[info.handle] = channel
            }
            channel.opened(streamID: info.streamID)
            dataChannelSink.yield(.open(channel))
        case .message(let handle, let message):
            dataChannels[handle]?.deliver(message)
        case .closing(let handle):
            guard let channel = dataChannels[handle] else { return }
            channel.setState(.closing)
            dataChannelSink.yield(.closing(channel))
            resumeSenders(of: handle, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .closed(let handle):
            guard let channel = dataChannels.removeValue(forKey: handle) else { return }
            channel.finish(state: .closed)
            dataChannelSink.yield(.closed(channel))
            resumeSenders(of: handle, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .error(let handle, let reason):
            guard let channel = dataChannels[handle] else { return }
            dataChannelSink.yield(.error(channel, WebRTCError.dataChannelFailed(label: channel.label, reason: reason)))
        case .bufferedAmountLow(let handle):
            resumeSenders(of: handle, throwing: nil)
        }
    }

    private func resumeSenders(of handle: Int, throwing error: (any Error)?) {
        guard let waiters = sendWaiters.removeValue(forKey: handle) else { return }
        for w in waiters {
            if let error { w.resume(throwing: error) } else { w.resume() }
        }
    }

    private func setConnectionState(_ state: PeerConnectionState) {
        guard connectionState != state else { return }
        connectionState = state
        connectionStateSink.yield(state)
        if state == .failed {
            if failureReason == nil { failureReason = "the connection failed: the DTLS handshake failed or was refused" }
            failChannels(reason: failureReason!)
        }
    }

    private func setIceState(_ state: ICEConnectionState) {
        guard iceConnectionState != state else { return }
        if state == .failed, failureReason == nil {
            switch iceConnectionState {
            case .connected, .completed, .disconnected:
                failureReason = "the connection failed: nothing heard from the peer for 30 s (ICE consent expired, RFC 7675)"
            default:
                failureReason = "the connection failed: no candidate pair worked (ICE connectivity checks failed)"
            }
        }
        iceConnectionState = state
        iceStateSink.yield(state)
    }

    /// Why the connection failed, once it has (an ICE failure, else the DTLS handshake's).
    private(set) var failureReason: String?

    /// The connection failed: every channel closes with `reason` (an `.error` event, then
    /// `.closed`), its message sequence ends, and waiting senders and receivers throw.
    private func failChannels(reason: String) {
        for (handle, channel) in dataChannels.sorted(by: { $0.key < $1.key }) {
            let error = WebRTCError.dataChannelFailed(label: channel.label, reason: reason)
            dataChannelSink.yield(.error(channel, error))
            channel.finish(state: .closed, reason: reason)
            dataChannelSink.yield(.closed(channel))
            resumeSenders(of: handle, throwing: error)
        }
        dataChannels.removeAll()
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
