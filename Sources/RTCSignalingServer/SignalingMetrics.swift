import Metrics

/// The server's swift-metrics instruments: gauges for connections, rooms and peers, counters
/// for relayed messages and error replies. Labels start with `swiftrtc_signaling_`.
struct SignalingMetrics: Sendable {
    let connections = Gauge(label: "swiftrtc_signaling_connections")
    let rooms = Gauge(label: "swiftrtc_signaling_rooms")
    let peers = Gauge(label: "swiftrtc_signaling_peers")
    let relayed = Counter(label: "swiftrtc_signaling_messages_relayed")
    let errors = Counter(label: "swiftrtc_signaling_errors")

    /// Records the hub's counters after a change (`previous` gives the counter deltas).
    func update(_ stats: SignalingHubStats, previous: SignalingHubStats) {
        connections.record(stats.connections)
        rooms.record(stats.rooms)
        peers.record(stats.peers)
        if stats.messagesRelayed > previous.messagesRelayed {
            relayed.increment(by: Int64(truncatingIfNeeded: stats.messagesRelayed &- previous.messagesRelayed))
        }
        if stats.errorsSent > previous.errorsSent {
            errors.increment(by: Int64(truncatingIfNeeded: stats.errorsSent &- previous.errorsSent))
        }
    }
}
