import NIOCore
import NIOWebSocket

/// The clients of one event loop and what they measured. Every member is used on `loop` only
/// (hence `@unchecked Sendable`: the type is handed across threads but touched on its loop).
final class LoadWorker: @unchecked Sendable {
    /// How relayed messages are driven.
    enum Mode: Equatable {
        /// Nothing is sent.
        case idle
        /// Closed loop: every received relayed message is answered with a new one (max throughput).
        case echo
        /// Open loop: `perSecond` messages per second from this loop, spread over its clients.
        case rate(perSecond: Double)
    }

    /// What a measuring interval saw.
    struct Snapshot: Sendable {
        var sent = 0
        var received = 0
        var latenciesMicros: [UInt32] = []
        var errors: [String: Int] = [:]
        var serverCloses = 0
        var lost = 0
    }

    let loop: any EventLoop
    let kind: LoadMessages.Kind
    private var connections: [LoadConnection] = []
    private var mode: Mode = .idle
    private var stats = Snapshot()
    private var timer: RepeatedTask?
    private var rateStart = NIODeadline.now()
    private var rateSent = 0
    private var next = 0
    /// Connections written to during the current tick (kept to reuse its storage).
    private var touched: [LoadConnection] = []
    private var rng: UInt64

    init(loop: any EventLoop, kind: LoadMessages.Kind, seed: UInt64) {
        self.loop = loop
        self.kind = kind
        self.rng = seed | 1
        stats.latenciesMicros.reserveCapacity(1 << 20)
    }

    func add(_ connection: LoadConnection) { connections.append(connection) }

    /// A cheap per-frame masking key, in network order (xorshift; the server does not care how random it is).
    func nextMaskKey() -> UInt32 {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return UInt32(truncatingIfNeeded: rng)
    }

    private static let roomPeers = Array(#""room_peers""#.utf8)
    private static let errorType = Array(#""type":"error""#.utf8)

    func received(_ message: ByteBuffer, on connection: LoadConnection) {
        if let sentAt = LoadMessages.timestamp(in: message) {
            let now = NIODeadline.now().uptimeNanoseconds
            stats.received += 1
            let micros = now >= sentAt ? (now - sentAt) / 1000 : 0
            stats.latenciesMicros.append(UInt32(clamping: micros))
            if mode == .echo {
                connection.sendRelayed(kind)
                stats.sent += 1
            }
        } else if LoadMessages.contains(Self.roomPeers, in: message) {
            connection.joined.succeed()
        } else if LoadMessages.contains(Self.errorType, in: message) {
            stats.errors[Self.errorCode(message), default: 0] += 1
        }
    }

    private static func errorCode(_ message: ByteBuffer) -> String {
        let text = String(buffer: message)
        guard let range = text.range(of: #""code":""#) else { return "?" }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }

    func serverClosed(_ connection: LoadConnection, _ payload: ByteBuffer) { stats.serverCloses += 1 }

    func lost(_ connection: LoadConnection) {
        if mode != .idle { stats.lost += 1 }
    }

    /// Switches mode; `window` messages per client start an echo run.
    func start(_ newMode: Mode, window: Int) {
        stop()
        mode = newMode
        switch newMode {
        case .idle:
            break
        case .echo:
            for connection in connections where connection.isOpen {
                for _ in 0..<window { connection.sendRelayed(kind) }
                stats.sent += window
                connection.flush()
            }
        case .rate:
            rateStart = .now()
            rateSent = 0
            timer = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { [self] _ in tick() }
        }
    }

    private func tick() {
        guard case .rate(let perSecond) = mode, !connections.isEmpty else { return }
        let elapsed = Double((NIODeadline.now() - rateStart).nanoseconds) / 1e9
        let due = Int(elapsed * perSecond) - rateSent
        guard due > 0 else { return }
        touched.removeAll(keepingCapacity: true)
        for _ in 0..<due {
            let connection = connections[next]
            next = (next + 1) % connections.count
            guard connection.isOpen else { continue }
            if !connection.needsFlush { touched.append(connection) }
            connection.sendRelayed(kind)
            stats.sent += 1
        }
        rateSent += due
        for connection in touched { connection.flush() }
    }

    /// Stops sending (replies in echo mode and the rate timer).
    func stop() {
        timer?.cancel()
        timer = nil
        mode = .idle
    }

    /// Returns what was measured since the last call and starts a new interval.
    func takeSnapshot() -> Snapshot {
        let snapshot = stats
        stats = Snapshot()
        stats.latenciesMicros.reserveCapacity(1 << 20)
        return snapshot
    }

    func closeAll() {
        stop()
        for connection in connections { connection.close() }
        connections.removeAll()
    }

    /// Clients whose connection is still open.
    var openCount: Int { connections.filter(\.isOpen).count }
}
