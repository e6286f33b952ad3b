import NIOCore
import RTCCore
import RTCDataChannel
import RTCSCTP
import RTCTestSupport

/// A DTLS-client manager (A) and a DTLS-server manager (B) over a SimulatedLink on virtual time.
/// By default neither knows its role until `connect()` calls `start(role:now:)`, as in a session.
struct DataChannelPair {
    var a: DataChannelManager
    var b: DataChannelManager
    var link: SimulatedLink<ByteBuffer>
    var now = NIODeadline.virtualStart
    var eventsA: [DataChannelManagerEvent] = []
    var eventsB: [DataChannelManagerEvent] = []

    init(configA: DataChannelConfiguration = .init(), configB: DataChannelConfiguration = .init(),
         conditions: LinkConditions = .perfect, seed: UInt64 = 1) {
        a = DataChannelManager(configuration: configA, rng: SeededRandom(seed: seed &+ 100))
        b = DataChannelManager(configuration: configB, rng: SeededRandom(seed: seed &+ 200))
        link = SimulatedLink(conditions: conditions, seed: seed)
    }

    mutating func flush() {
        while let p = a.pollTransmit() { link.send(p, size: p.readableBytes, from: .a, now: now) }
        while let p = b.pollTransmit() { link.send(p, size: p.readableBytes, from: .b, now: now) }
        while let e = a.pollEvent() { eventsA.append(e) }
        while let e = b.pollEvent() { eventsB.append(e) }
    }

    mutating func step() -> Bool {
        flush()
        var next = link.nextDeliveryTime
        for d in [a.nextDeadline, b.nextDeadline] {
            if let d, next == nil || d < next! { next = d }
        }
        guard let n = next else { return false }
        if n > now { now = n }
        for (to, packet) in link.deliver(upTo: now) {
            if to == .a { a.handle(packet, now: now) } else { b.handle(packet, now: now) }
        }
        if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
        if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
        flush()
        return true
    }

    @discardableResult
    mutating func run(for limit: TimeAmount, until done: (DataChannelPair) -> Bool = { _ in false }) -> Bool {
        let end = now + limit
        while now < end {
            if done(self) { return true }
            if !step() { return done(self) }
        }
        return done(self)
    }

    /// DTLS is up: A is the DTLS client (sends INIT), B the server. Runs until both are established.
    mutating func connect() -> Bool {
        a.start(role: .dtlsClient, now: now)
        b.start(role: .dtlsServer, now: now)
        return run(for: .seconds(10)) { $0.eventsA.contains(.associationEstablished) && $0.eventsB.contains(.associationEstablished) }
    }

    /// B's handle for the channel A knows as `handleA` (same stream id).
    func peerHandle(ofA handleA: Int) -> Int? {
        a.streamID(of: handleA).flatMap { b.handle(forStream: $0) }
    }
}

extension Array where Element == DataChannelManagerEvent {
    func messages(on handle: Int?) -> [DataChannelMessage] {
        compactMap { if case .message(handle, let m) = $0 { m } else { nil } }
    }
    var peerOpened: [DataChannelInfo] {
        compactMap { if case .peerOpened(let i) = $0 { i } else { nil } }
    }
    var opened: [DataChannelInfo] {
        compactMap { if case .opened(let i) = $0 { i } else { nil } }
    }
    var protocolErrors: [DataChannelProtocolError] {
        compactMap { if case .protocolError(_, let e) = $0 { e } else { nil } }
    }
}
