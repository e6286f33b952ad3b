import Foundation
import Logging
import NIOCore
import RTCSignaling

/// What a connection's writer sends next.
enum SignalingOutboundFrame: Sendable {
    /// A message to encode and send (encoded by the connection's writer, off the hub actor).
    case message(SignalingMessage)
    case close(SignalingCloseReason)
}

/// The server's single owner of the ``SignalingHub``: gives each WebSocket an id and an
/// outbox, feeds it the clock, and performs the hub's outputs (the thin IO layer).
actor SignalingConnections {
    private var hub: SignalingHub
    private var outboxes: [SignalingConnectionID: AsyncStream<SignalingOutboundFrame>.Continuation] = [:]
    private var nextID: UInt64 = 1
    private let metrics = SignalingMetrics()
    private let logger: Logger

    init(configuration: SignalingHubConfiguration, logger: Logger) {
        self.hub = SignalingHub(configuration: configuration)
        self.logger = logger
    }

    var stats: SignalingHubStats { hub.stats }

    private var live: Set<SignalingConnectionID> = []

    /// WebSocket handlers still running (their client has not completed the close yet).
    var openCount: Int { live.count }

    func open() -> (SignalingConnectionID, AsyncStream<SignalingOutboundFrame>) {
        let id = SignalingConnectionID(nextID)
        nextID += 1
        let (stream, continuation) = AsyncStream.makeStream(of: SignalingOutboundFrame.self, bufferingPolicy: .unbounded)
        outboxes[id] = continuation
        live.insert(id)
        logger.debug("connection opened", metadata: ["connection": "\(id)"])
        perform { $0.connect(id, now: .now()) }
        return (id, stream)
    }

    func receive(_ decoded: Result<SignalingMessage, SignalingProtocolError>, size: Int, from id: SignalingConnectionID) {
        perform { $0.receive(decoded: decoded, size: size, from: id, now: .now(), unixTime: Int64(Date().timeIntervalSince1970)) }
    }

    func close(_ id: SignalingConnectionID) {
        perform { $0.disconnect(id) }
        outboxes.removeValue(forKey: id)?.finish()
        live.remove(id)
        logger.debug("connection closed", metadata: ["connection": "\(id)"])
    }

    /// Tells everyone about the shutdown; returns how many connections were told.
    func shutdown() -> Int {
        let before = hub.stats.connections
        perform { $0.shutdown() }
        return before
    }

    private func perform(_ body: (inout SignalingHub) -> [SignalingOutput]) {
        let before = hub.stats
        let outputs = body(&hub)
        for output in outputs {
            switch output {
            case .send(let message, let to):
                if case .error(let code, let reason) = message {
                    logger.debug("error reply", metadata: ["connection": "\(to)", "code": "\(code.rawValue)", "message": "\(reason)"])
                }
                outboxes[to]?.yield(.message(message))
            case .close(let id, let reason):
                if reason == .rateLimited { logger.warning("closing abusive client", metadata: ["connection": "\(id)"]) }
                outboxes[id]?.yield(.close(reason))
                outboxes.removeValue(forKey: id)?.finish()
            }
        }
        metrics.update(hub.stats, previous: before)
    }
}
