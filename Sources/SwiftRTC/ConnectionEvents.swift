import Logging
import RTCSession
import RTCUDP

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
    let trackEvents: AsyncStream<TrackEvent>
    let negotiationNeeded: AsyncStream<Void>

    private(set) var connectionState: PeerConnectionState = .new
    private(set) var iceConnectionState: ICEConnectionState = .new
    private(set) var iceGatheringState: ICEGatheringState = .new
    /// The open (or opening) channels by session handle.
    private(set) var dataChannels: [Int: DataChannel] = [:]
    /// Media objects by transceiver handle (ConnectionEvents+Media.swift).
    var transceivers: [Int: RTPTransceiver] = [:]
    var remoteTracks: [Int: RemoteTrack] = [:]
    /// The connection channels announced by the peer belong to (set once it exists).
    weak var connection: PeerConnection?
    /// The data m-section's mid, for the end-of-candidates marker (the connection updates it
    /// when it applies a description).
    var dataMid = "0"
    /// The connection's loggers (info: states, the selected pair, the handshake, channels
    /// opening and closing; warning/error: failures with their reason; debug: candidates).
    let log: ConnectionLoggers
    /// Reads the session's selected candidate pair, DTLS role and DTLS failure reason when they
    /// are logged (set by the connection; called only on state changes, never per packet).
    var selectedPair: () -> String? = { nil }
    var dtlsRole: () -> String? = { nil }
    /// How SCTP's INIT went, for the channel-open log line (see `observe(_:)`).
    var sctpStart: () -> String? = { nil }
    var dtlsFailure: () -> String? = { nil }

    private var gatheringWaiters: [CheckedContinuation<Void, any Error>] = []
    private var sendWaiters: [Int: [CheckedContinuation<Void, any Error>]] = [:]
    private let candidateSink: AsyncStream<ICECandidateInit>.Continuation
    private let dataChannelSink: AsyncStream<DataChannelEvent>.Continuation
    private let connectionStateSink: AsyncStream<PeerConnectionState>.Continuation
    private let iceStateSink: AsyncStream<ICEConnectionState>.Continuation
    private let gatheringStateSink: AsyncStream<ICEGatheringState>.Continuation
    private let signalingStateSink: AsyncStream<SignalingState>.Continuation
    let trackSink: AsyncStream<TrackEvent>.Continuation
    let negotiationNeededSink: AsyncStream<Void>.Continuation

    init(loggers: ConnectionLoggers) {
        self.log = loggers
        (iceCandidates, candidateSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (dataChannelEvents, dataChannelSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (connectionStateUpdates, connectionStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceConnectionStateUpdates, iceStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (iceGatheringStateUpdates, gatheringStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (signalingStateUpdates, signalingStateSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
        (trackEvents, trackSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (negotiationNeeded, negotiationNeededSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
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
        for channel in dataChannels.values {
            channel.finish(state: .closed)
            log.dataChannel.info("channel closed", metadata: ["label": "\(channel.label)", "reason": "the connection was closed locally"])
        }
        dataChannels.removeAll()
        closeMedia()
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
        trackSink.finish()
        negotiationNeededSink.finish()
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
            log.peerConnection.debug("signaling state \(state)")
            signalingStateSink.yield(state)
        case .dataChannel(let channelEvent):
            handle(channelEvent)
        case .media(let mediaEvent):
            handle(mediaEvent)
        case .negotiationNeeded:
            log.peerConnection.debug("negotiation needed")
            negotiationNeededSink.yield(())
        }
    }

    private func handle(_ event: SessionEvent.ICE) {
        switch event {
        case .localCandidate(let candidate):
            log.ice.debug("gathered local candidate", metadata: ["candidate": "\(candidate.candidate)"])
            candidateSink.yield(candidate)
        case .gatheringStateChanged(let state):
            log.ice.debug("gathering state \(state)")
            iceGatheringState = state
            gatheringStateSink.yield(state)
            if state == .complete {
                candidateSink.yield(ICECandidateInit(candidate: "", sdpMid: dataMid, sdpMLineIndex: 0))
                for waiter in gatheringWaiters { waiter.resume() }
                gatheringWaiters.removeAll()
            }
        case .connectionStateChanged(let state):
            setIceState(state)
        case .candidateError(let error):
            log.ice.warning("no relayed candidate from a TURN server", metadata: ["server": "\(error.server)", "code": "\(error.errorCode)",
                                                                                 "reason": "\(error.error)"])
            lastCandidateError = error
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
            log.dataChannel.info("channel open", metadata: ["label": "\(info.label)", "stream": "\(info.streamID)",
                                                          "sctp_init": "\(sctpStart() ?? "unknown")"])
            dataChannelSink.yield(.open(channel))
        case .message(let handle, let message):
            dataChannels[handle]?.deliver(message)
        case .closing(let handle):
            guard let channel = dataChannels[handle] else { return }
            channel.setState(.closing)
            log.dataChannel.debug("channel closing", metadata: ["label": "\(channel.label)"])
            dataChannelSink.yield(.closing(channel))
            resumeSenders(of: handle, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .closed(let handle):
            guard let channel = dataChannels.removeValue(forKey: handle) else { return }
            channel.finish(state: .closed)
            log.dataChannel.info("channel closed", metadata: ["label": "\(channel.label)", "reason": "\(Self.normalClose)"])
            dataChannelSink.yield(.closed(channel))
            resumeSenders(of: handle, throwing: WebRTCError.dataChannelClosed(label: channel.label))
        case .error(let handle, let reason):
            guard let channel = dataChannels[handle] else { return }
            log.dataChannel.warning("channel error", metadata: ["label": "\(channel.label)", "reason": "\(reason)"])
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
        let previous = connectionState
        connectionState = state
        connectionStateSink.yield(state)
        if state == .connected, previous != .connected {
            log.dtls.info("DTLS handshake complete", metadata: ["role": "\(dtlsRole() ?? "unknown")"])
            sendersMayStart()
        }
        if state == .failed {
            if failureReason == nil {
                failureReason = "the connection failed: the DTLS handshake failed (\(dtlsFailure() ?? "no reason given"))"
            }
            if iceConnectionState != .failed {
                log.dtls.error("DTLS handshake failed", metadata: ["reason": "\(failureReason!)"])
            }
            log.peerConnection.error("connection state failed", metadata: ["from": "\(previous)", "reason": "\(failureReason!)"])
        } else {
            log.peerConnection.info("connection state \(state)", metadata: ["from": "\(previous)"])
        }
        if state == .failed {
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
                if let relay = lastCandidateError {
                    failureReason = "the connection failed: no candidate pair worked; the last TURN error was \(relay)"
                } else {
                    failureReason = "the connection failed: no candidate pair worked (ICE connectivity checks failed)"
                }
            }
        }
        let previous = iceConnectionState
        iceConnectionState = state
        iceStateSink.yield(state)
        switch state {
        case .failed:
            log.ice.error("ICE state failed", metadata: ["from": "\(previous)", "reason": "\(failureReason ?? "unknown")"])
        case .disconnected:
            log.ice.warning("ICE state disconnected: nothing heard from the peer for a few seconds", metadata: ["from": "\(previous)"])
        case .connected, .completed:
            log.ice.info("ICE state \(state)", metadata: ["from": "\(previous)", "pair": "\(selectedPair() ?? "none")"])
        default:
            log.ice.info("ICE state \(state)", metadata: ["from": "\(previous)"])
        }
    }

    /// The reason logged for an ordinary close (the stream was reset by either side).
    static let normalClose = "closed normally (its SCTP stream was reset by this side or the peer)"

    /// Why the connection failed, once it has (an ICE failure, else the DTLS handshake's).
    private(set) var failureReason: String?
    /// The last relayed candidate that could not be gathered (or relay lost): why ICE may fail.
    private(set) var lastCandidateError: ICECandidateError?

    /// The connection failed: every channel closes with `reason` (an `.error` event, then
    /// `.closed`), its message sequence ends, and waiting senders and receivers throw.
    private func failChannels(reason: String) {
        for (handle, channel) in dataChannels.sorted(by: { $0.key < $1.key }) {
            let error = WebRTCError.dataChannelFailed(label: channel.label, reason: reason)
            dataChannelSink.yield(.error(channel, error))
            channel.finish(state: .closed, reason: reason)
            log.dataChannel.warning("channel closed", metadata: ["label": "\(channel.label)", "reason": "\(reason)"])
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

extension ConnectionEvents {
    /// Reads the selected pair and the DTLS role from `driver`'s session when a state change
    /// is logged (weakly: the driver owns the closure that calls `handle(_:)`).
    func observe(_ driver: UDPDriver<RTCSession>) {
        selectedPair = { [weak driver] in
            guard let statistics = driver?.core.statistics, let pair = statistics.selectedCandidatePair else { return nil }
            return "\(pair) (\(statistics.selectedLocalCandidateType ?? "?")/\(statistics.selectedRemoteCandidateType ?? "?"))"
        }
        dtlsRole = { [weak driver] in
            guard let core = driver?.core else { return nil }
            return Self.dtlsRole(local: core.localDescription?.sdp, remote: core.remoteDescription?.sdp)
        }
        dtlsFailure = { [weak driver] in driver?.core.dtlsFailureReason }
        sctpStart = { [weak driver] in
            guard let start = driver?.core.earlySCTPStart else { return nil }
            return Self.describeSCTPStart(started: start.started, initResends: start.initResends)
        }
    }

    /// `with our DTLS Finished`: the INIT went over a DTLS False Start and the peer took it;
    /// `with our DTLS Finished, sent again N times`: the peer's DTLS server dropped it;
    /// otherwise we were the DTLS server (the peer sends the INIT) or False Start is off.
    static func describeSCTPStart(started: Bool, initResends: Int) -> String {
        guard started else { return "not with our DTLS Finished (we are the DTLS server, or False Start is off)" }
        return initResends == 0 ? "with our DTLS Finished" : "with our DTLS Finished, sent again \(initResends == 1 ? "once" : "\(initResends) times")"
    }

    /// Our DTLS role from the `a=setup` attributes (RFC 8842 §5): `active` is the client,
    /// `passive` the server; an `actpass` offerer takes the role the answer leaves it.
    static func dtlsRole(local: String?, remote: String?) -> String? {
        func setup(_ sdp: String?) -> Substring? {
            sdp?.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=setup:") }?.dropFirst(8)
        }
        switch setup(local) {
        case "active": return "client"
        case "passive": return "server"
        default:
            switch setup(remote) {
            case "active": return "server"
            case "passive": return "client"
            default: return nil
            }
        }
    }
}
