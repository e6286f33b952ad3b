import NIOCore
import RTCCore
import RTCTestSupport
@testable import RTCSCTP

/// Two associations joined by a SimulatedLink, driven on virtual time.
struct SCTPPair {
    var a: SCTPAssociation
    var b: SCTPAssociation
    var link: SimulatedLink<ByteBuffer>
    var now = NIODeadline.virtualStart
    var eventsA: [SCTPEvent] = []
    var eventsB: [SCTPEvent] = []
    /// Packets sent by each side (for inspection).
    var sentByA: [ByteBuffer] = []
    var sentByB: [ByteBuffer] = []
    var recordPackets = false
    /// Called on every message event, so big transfers need not keep events.
    var keepMessages = true
    var onMessageB: ((SCTPMessage) -> Void)?
    var onMessageA: ((SCTPMessage) -> Void)?

    init(configA: SCTPConfiguration = SCTPConfiguration(), configB: SCTPConfiguration = SCTPConfiguration(),
         conditions: LinkConditions = .perfect, seed: UInt64 = 1) {
        a = SCTPAssociation(configuration: configA, rng: SeededRandom(seed: seed &* 31 &+ 7))
        b = SCTPAssociation(configuration: configB, rng: SeededRandom(seed: seed &* 17 &+ 3))
        link = SimulatedLink(conditions: conditions, seed: seed)
    }

    mutating func flush() {
        while let p = a.pollTransmit() {
            if recordPackets { sentByA.append(p) }
            link.send(p, size: p.readableBytes, from: .a, now: now)
        }
        while let p = b.pollTransmit() {
            if recordPackets { sentByB.append(p) }
            link.send(p, size: p.readableBytes, from: .b, now: now)
        }
        while let e = a.pollEvent() {
            if case .message(let m) = e { onMessageA?(m); if !keepMessages { continue } }
            eventsA.append(e)
        }
        while let e = b.pollEvent() {
            if case .message(let m) = e { onMessageB?(m); if !keepMessages { continue } }
            eventsB.append(e)
        }
    }

    /// Advances to the next thing that happens; `false` when nothing is scheduled.
    mutating func step() -> Bool {
        flush()
        var next: NIODeadline? = link.nextDeliveryTime
        for d in [a.nextDeadline, b.nextDeadline] {
            if let d, next == nil || d < next! { next = d }
        }
        guard let n = next else { return false }
        if n > now { now = n }
        for (to, packet) in link.deliver(upTo: now) {
            if to == .a { a.handle(packet, now: now) } else { b.handle(packet, now: now) }
            flush()
        }
        if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
        if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
        flush()
        return true
    }

    /// Runs until `done` holds or `limit` of virtual time passed; returns whether `done` held.
    @discardableResult
    mutating func run(for limit: TimeAmount, until done: (SCTPPair) -> Bool = { _ in false }) -> Bool {
        let end = now + limit
        while now < end {
            if done(self) { return true }
            if !step() { return done(self) }
        }
        return done(self)
    }

    /// Connects A (the initiator) to B.
    mutating func connect() -> Bool {
        a.connect(now: now)
        return run(for: .seconds(30)) { $0.a.state == .established && $0.b.state == .established }
    }
}

func bytes(_ count: Int, seed: Int) -> ByteBuffer {
    var x = UInt32(truncatingIfNeeded: seed &* 2654435761 &+ 1)
    let array = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
        for i in 0..<count {
            x = x &* 1664525 &+ 1013904223
            buf[i] = UInt8(truncatingIfNeeded: x >> 24)
        }
        n = count
    }
    return ByteBuffer(bytes: array)
}

extension Array where Element == SCTPEvent {
    var messages: [SCTPMessage] {
        compactMap { if case .message(let m) = $0 { m } else { nil } }
    }
}
