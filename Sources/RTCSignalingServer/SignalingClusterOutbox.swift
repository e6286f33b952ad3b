import NIOConcurrencyHelpers
import RTCSignaling

/// What the hub asks of the cluster, queued in the hub's order (it is filled under
/// ``SignalingConnections``' lock) and drained by ``SignalingCluster``'s tasks: one queue of
/// directory requests (run one at a time, in order) and one of notices for other instances
/// (sent in batches, in order).
final class SignalingClusterOutbox: Sendable {
    /// A message for member `target` of `roomID`, a client of `instance`.
    struct Relay: Sendable {
        var instance: String
        var roomID: String
        var target: String
        /// The message as the target receives it (with `from`).
        var text: String
        /// The sender, told if the message cannot be carried.
        var origin: SignalingConnectionID
    }

    /// Something to send to another instance.
    enum Notice: Sendable {
        /// A relayed message.
        case relay(Relay)
        /// An error for connection `connection` of `instance`, whose message could not be delivered here.
        case refusal(instance: String, connection: SignalingConnectionID, error: SignalingProtocolError)
    }

    private struct Queues {
        var requests: [SignalingDirectoryRequest] = []
        var notices: [Notice] = []
    }

    private let queues = NIOLockedValueBox(Queues())
    /// Wakes the directory-request task (coalesced).
    let requestsReady: AsyncStream<Void>
    /// Wakes the notice task (coalesced).
    let noticesReady: AsyncStream<Void>
    private let requestsContinuation: AsyncStream<Void>.Continuation
    private let noticesContinuation: AsyncStream<Void>.Continuation

    init() {
        (requestsReady, requestsContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (noticesReady, noticesContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func add(_ request: SignalingDirectoryRequest) {
        queues.withLockedValue { $0.requests.append(request) }
        requestsContinuation.yield()
    }

    func add(_ relay: Relay) { add(.relay(relay)) }

    func add(_ notice: Notice) {
        queues.withLockedValue { $0.notices.append(notice) }
        noticesContinuation.yield()
    }

    /// Everything queued for the directory, oldest first.
    func takeRequests() -> [SignalingDirectoryRequest] {
        queues.withLockedValue { q in defer { q.requests.removeAll() }; return q.requests }
    }

    /// Everything queued for other instances, oldest first.
    func takeNotices() -> [Notice] {
        queues.withLockedValue { q in defer { q.notices.removeAll() }; return q.notices }
    }
}
