import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RTCSignaling

/// A connection as the registry knows it: its event loop and its handler. The handler is
/// touched only on `loop` (hence `@unchecked Sendable`).
struct SignalingPeerRef: @unchecked Sendable {
    let id: SignalingConnectionID
    let loop: any EventLoop
    let handler: SignalingSocketHandler
}

/// What a connection's outbound queue receives.
enum SignalingOutbound: Sendable {
    /// A message, still to be encoded (by the sending side, outside the lock).
    case message(SignalingMessage)
    /// Bytes to send as one text frame (a message relayed by another instance).
    case text(ByteBuffer)
    /// A complete text frame, header included (a relayed message spliced without re-encoding).
    case frame(ByteBuffer)
    /// Close the connection after what is queued before it.
    case close(SignalingCloseReason)
}

/// Counters of the server's outbound queues (for tests and benchmarks).
public struct SignalingQueueStats: Sendable, Equatable {
    /// The most bytes any connection's outbound queue has held (payload plus a fixed
    /// per-message overhead), since the server started.
    public var peakQueuedBytes: Int
    /// Connections closed because their outbound queue overflowed.
    public var overflowDisconnects: Int
}

/// The server's single owner of the ``SignalingHub``: gives each WebSocket an id, feeds the
/// hub the clock under a lock (no actor hop, no task per message), and maps the hub's outputs
/// to the connections they go to. Callers deliver them (``SignalingSocketHandler``).
final class SignalingConnections: Sendable {
    private struct State {
        var hub: SignalingHub
        var peers: [SignalingConnectionID: SignalingPeerRef] = [:]
        var nextID: UInt64 = 1
        var queue = SignalingQueueStats(peakQueuedBytes: 0, overflowDisconnects: 0)
    }

    private let state: NIOLockedValueBox<State>
    private let metrics = SignalingMetrics()
    let logger: Logger
    /// Bound of each connection's outbound queue in bytes.
    let maxQueuedBytes: Int
    /// Cluster mode: where joins, leaves and messages for other instances go (filled under
    /// the lock, so in the hub's order). `nil` on a single instance.
    let outbox: SignalingClusterOutbox?
    /// The SFU that serves SFU rooms (given the hub's requests under the lock, so in the
    /// hub's order); `nil` when the server runs none.
    let sfu: SignalingSFU?

    init(configuration: SignalingHubConfiguration, maxQueuedBytes: Int, logger: Logger, outbox: SignalingClusterOutbox? = nil,
         sfu: SignalingSFU? = nil) {
        self.state = NIOLockedValueBox(State(hub: SignalingHub(configuration: configuration)))
        self.maxQueuedBytes = maxQueuedBytes
        self.logger = logger
        self.outbox = outbox
        self.sfu = sfu
    }

    /// Sends a message of the server's own (the SFU's side of a member's negotiation) to
    /// connection `id`, if it is still open.
    func deliver(_ message: SignalingMessage, to id: SignalingConnectionID) {
        guard let ref = state.withLockedValue({ $0.peers[id] }) else { return }
        SignalingDeliveryBatch.dispatchDetached([(ref, .message(message))])
    }

    // MARK: - Cluster (the directory reports; called by SignalingCluster)

    /// Applies what the room directory reported and delivers the hub's outputs.
    func applyDirectory(_ body: (inout SignalingHub) -> [SignalingOutput]) {
        SignalingDeliveryBatch.dispatchDetached(perform { state in ((), body(&state.hub)) }.1)
    }

    /// Reads the hub (cluster bookkeeping).
    func withHub<R>(_ body: (SignalingHub) -> R) -> R { state.withLockedValue { body($0.hub) } }

    /// A message relayed by another instance for member `target` of `roomID`: delivered to
    /// its connection as `text`. Returns `false` when that member is not a client here (any more).
    func deliverRemote(roomID: String, target: String, text: ByteBuffer) -> Bool {
        let ref: SignalingPeerRef? = state.withLockedValue { state in
            state.hub.localConnection(roomID: roomID, peerID: target).flatMap { state.peers[$0] }
        }
        guard let ref else { return false }
        SignalingDeliveryBatch.dispatchDetached([(ref, .text(text))])
        return true
    }

    var stats: SignalingHubStats { state.withLockedValue { $0.hub.stats } }

    var queueStats: SignalingQueueStats { state.withLockedValue { $0.queue } }

    /// WebSocket connections still open.
    var openCount: Int { state.withLockedValue { $0.peers.count } }

    /// Registers a new connection; returns its id and what to deliver.
    func open(_ handler: SignalingSocketHandler, on loop: any EventLoop) -> (SignalingConnectionID, [(SignalingPeerRef, SignalingOutbound)]) {
        let (id, deliveries) = perform { state in
            let id = SignalingConnectionID(state.nextID)
            state.nextID += 1
            state.peers[id] = SignalingPeerRef(id: id, loop: loop, handler: handler)
            return (id, state.hub.connect(id, now: .now()))
        }
        logger.debug("connection opened", metadata: ["connection": "\(id)"])
        return (id, deliveries)
    }

    /// A message arrived on connection `id`.
    func receive(_ decoded: Result<SignalingMessage, SignalingProtocolError>, size: Int,
                 from id: SignalingConnectionID) -> [(SignalingPeerRef, SignalingOutbound)] {
        let unixTime = Int64(Date().timeIntervalSince1970)
        return perform { state in
            ((), state.hub.receive(decoded: decoded, size: size, from: id, now: .now(), unixTime: unixTime))
        }.1
    }

    /// A relayed message (`offer`, `answer`, `ice_candidate`) that ``SignalingRelayScanner``
    /// read without decoding: the hub applies the same rules; on success the spliced copy
    /// (made by `splice` with the sender's peer id; as a complete frame when its second
    /// argument is `true`, for a connection here) goes to the target.
    func receiveRelay(type: String, target: String, size: Int, from id: SignalingConnectionID,
                      splice: (String, Bool) -> ByteBuffer) -> [(SignalingPeerRef, SignalingOutbound)] {
        // The common case, a message for a client of this server, takes one lookup after the
        // hub's: no output list, no counters to compare.
        let (deliveries, counters) = state.withLockedValue { state -> ([(SignalingPeerRef, SignalingOutbound)], (SignalingHubStats, SignalingHubStats)?) in
            let before = state.hub.stats
            let outputs: [Output]
            switch state.hub.receiveRelay(type: type, target: target, size: size, from: id, now: .now()) {
            case .forward(let targetID, let from):
                guard let ref = state.peers[targetID] else { return ([], nil) }
                // Encoded while holding the lock: a copy of the bytes, no JSON work.
                return ([(ref, .frame(splice(from, true)))], nil)
            case .forwardRemote(let instance, let roomID, let target, let from):
                let text = String(buffer: splice(from, false))
                outputs = [.remoteRelay(SignalingClusterOutbox.Relay(instance: instance, roomID: roomID, target: target,
                                                                     text: text, origin: id))]
            case .outputs(let hubOutputs):
                outputs = hubOutputs.map(Output.init)
            }
            return (map(outputs, in: &state), (before, state.hub.stats))
        }
        if let (before, after) = counters {
            record(deliveries, after: after, before: before)
        } else {
            metrics.relayed.increment(by: 1)
        }
        return deliveries
    }

    /// Connection `id` closed: forget it; the returned deliveries tell its room.
    func close(_ id: SignalingConnectionID) -> [(SignalingPeerRef, SignalingOutbound)] {
        let deliveries = perform { state in
            state.peers[id] = nil
            return ((), state.hub.disconnect(id))
        }.1
        logger.debug("connection closed", metadata: ["connection": "\(id)"])
        return deliveries
    }

    /// Tells everyone about the shutdown; returns how many connections were told and what to deliver.
    func shutdown() -> (Int, [(SignalingPeerRef, SignalingOutbound)]) {
        perform { state in (state.hub.stats.connections, state.hub.shutdown()) }
    }

    /// Records a queue's size (the peak is kept).
    func noteQueued(_ bytes: Int) {
        state.withLockedValue { $0.queue.peakQueuedBytes = max($0.queue.peakQueuedBytes, bytes) }
    }

    /// Counts a connection closed for overflowing its queue.
    func noteOverflow() {
        state.withLockedValue { $0.queue.overflowDisconnects += 1 }
    }

    /// An output with the relayed-bytes case the IO layer adds.
    private enum Output {
        case hub(SignalingOutput)
        case remoteRelay(SignalingClusterOutbox.Relay)
        init(_ output: SignalingOutput) { self = .hub(output) }
    }

    private func perform<R>(_ body: (inout State) -> (R, [SignalingOutput])) -> (R, [(SignalingPeerRef, SignalingOutbound)]) {
        performMapped { state -> (R, [Output]) in
            let (result, outputs) = body(&state)
            return (result, outputs.map(Output.init))
        }
    }

    private func performMapped<R>(_ body: (inout State) -> (R, [Output])) -> (R, [(SignalingPeerRef, SignalingOutbound)]) {
        let (result, before, after, deliveries) = state.withLockedValue { state in
            let before = state.hub.stats
            let (result, outputs) = body(&state)
            return (result, before, state.hub.stats, map(outputs, in: &state))
        }
        record(deliveries, after: after, before: before)
        return (result, deliveries)
    }

    /// The connections `outputs` go to (called under the lock; the cluster's and the SFU's
    /// requests are handed over here, so in the hub's order).
    private func map(_ outputs: [Output], in state: inout State) -> [(SignalingPeerRef, SignalingOutbound)] {
        var deliveries: [(SignalingPeerRef, SignalingOutbound)] = []
        deliveries.reserveCapacity(outputs.count)
        for output in outputs {
            switch output {
            case .hub(.send(let message, let to)):
                if let ref = state.peers[to] { deliveries.append((ref, .message(message))) }
            case .hub(.close(let id, let reason)):
                if let ref = state.peers[id] { deliveries.append((ref, .close(reason))) }
            case .hub(.directory(let request)):
                outbox?.add(request)
            case .hub(.sendRemote(let message, let instance, let roomID, let target, let origin)):
                outbox?.add(SignalingClusterOutbox.Relay(instance: instance, roomID: roomID, target: target,
                                                         text: message.jsonString(), origin: origin))
            case .remoteRelay(let relay):
                outbox?.add(relay)
            case .hub(.sfu(let request)):
                sfu?.submit(request)
            }
        }
        return deliveries
    }

    /// Logs error replies and abuse closes, and updates the metrics (after the lock).
    private func record(_ deliveries: [(SignalingPeerRef, SignalingOutbound)], after: SignalingHubStats, before: SignalingHubStats) {
        for (ref, outbound) in deliveries {
            if case .message(.error(let code, let reason)) = outbound {
                logger.debug("error reply", metadata: ["connection": "\(ref.id)",
                                                       "code": "\(code.rawValue)", "message": "\(reason)"])
            } else if case .close(.rateLimited) = outbound {
                logger.warning("closing abusive client", metadata: ["connection": "\(ref.id)"])
            }
        }
        metrics.update(after, previous: before)
    }
}
