import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCTestSupport

/// Two sessions joined by a `SimulatedLink` on virtual time: A at 10.0.0.1:5000, B at 10.0.0.2:6000.
struct SessionPair {
    var a: RTCSession
    var b: RTCSession
    var link: SimulatedLink<Transmit>
    var now = NIODeadline.virtualStart
    var eventsA: [SessionEvent] = []
    var eventsB: [SessionEvent] = []
    static let addressA = TransportAddress("10.0.0.1:5000")!
    static let addressB = TransportAddress("10.0.0.2:6000")!

    init(conditions: LinkConditions = .perfect, seed: UInt64 = 1) throws {
        var config = SessionConfiguration()
        config.includeLoopback = true
        a = RTCSession(configuration: config, certificate: try DTLSCertificate.generateSelfSigned(), rng: SeededRandom(seed: seed))
        b = RTCSession(configuration: config, certificate: try DTLSCertificate.generateSelfSigned(), rng: SeededRandom(seed: seed + 100))
        link = SimulatedLink(conditions: conditions, seed: seed)
    }

    /// Non-trickle offer/answer: A offers, B answers, each after gathering.
    mutating func negotiate() throws {
        let offer = try a.createOffer()
        try a.setLocalDescription(offer, now: now)
        a.addLocalAddresses([Self.addressA], now: now)
        try b.setRemoteDescription(a.localDescription!, now: now)
        let answer = try b.createAnswer()
        try b.setLocalDescription(answer, now: now)
        b.addLocalAddresses([Self.addressB], now: now)
        try a.setRemoteDescription(b.localDescription!, now: now)
    }

    /// Moves datagrams and time until `until` is true or `limit` of virtual time passes.
    mutating func run(for limit: TimeAmount, until done: (inout SessionPair) -> Bool = { _ in false }) {
        let end = now + limit
        while now < end {
            drain()
            if done(&self) { return }
            let next = [a.nextDeadline, b.nextDeadline, link.nextDeliveryTime].compactMap { $0 }.min() ?? end
            now = max(now, min(next, end))
            for (side, transmit) in link.deliver(upTo: now) {
                let datagram = ReceivedDatagram(source: side == .b ? Self.addressA : Self.addressB,
                                                destination: transmit.destination, payload: transmit.payload)
                if side == .a { a.handle(datagram, now: now) } else { b.handle(datagram, now: now) }
            }
            if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
            if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
        }
        drain()
    }

    mutating func drain() {
        while let t = a.pollTransmit() { link.send(t, size: t.payload.readableBytes, from: .a, now: now) }
        while let t = b.pollTransmit() { link.send(t, size: t.payload.readableBytes, from: .b, now: now) }
        while let e = a.pollEvent() { eventsA.append(e) }
        while let e = b.pollEvent() { eventsB.append(e) }
    }
}
