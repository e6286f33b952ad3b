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
        var requestsContinuation: AsyncStream<Void>.Continuation?
        var noticesContinuation: AsyncStream<Void>.Continuation?
    }

    private let queues = NIOLockedValueBox(Queues())

    init() {}

    /// New wake-up streams for a database session's two tasks (an `AsyncStream` has one
    /// consumer and ends when its consuming task is cancelled, so each session gets its own);
    /// the previous session's streams finish.
    func makeSignals() -> (requests: AsyncStream<Void>, notices: AsyncStream<Void>) {
        let (requests, requestsContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (notices, noticesContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let old = queues.withLockedValue { q in
            defer {
                q.requestsContinuation = requestsContinuation
                q.noticesContinuation = noticesContinuation
            }
            if !q.requests.isEmpty { requestsContinuation.yield() }
            if !q.notices.isEmpty { noticesContinuation.yield() }
            return (q.requestsContinuation, q.noticesContinuation)
        }
        old.0?.finish()
        old.1?.finish()
        return (requests, notices)
    }

    func add(_ request: SignalingDirectoryRequest) {
        queues.withLockedValue { $0.requests.append(request); $0.requestsContinuation?.yield() }
    }

    func add(_ relay: Relay) { add(.relay(relay)) }

    func add(_ notice: Notice) {
        queues.withLockedValue { $0.notices.append(notice); $0.noticesContinuation?.yield() }
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
