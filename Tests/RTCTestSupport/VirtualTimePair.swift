import NIOCore
import RTCCore

/// Two sans-IO cores (`SansIOCore`) run against each other over a `SimulatedLink` on virtual
/// time: what one transmits crosses the link (loss, reordering, duplication, delay, MTU) and
/// is handed to the other; time jumps straight to the next core deadline or delivery, so a
/// minute of protocol time takes milliseconds and every run with the same seed is the same.
///
/// The cores need not speak the same types: `aToB` / `bToA` turn what one side transmits into
/// what the other side's `handle(_:now:)` takes, and `sizeOfA` / `sizeOfB` give the bytes a
/// transmission occupies on the link (for the MTU). Two `DatagramCore`s need none of that
/// (see the other initializer).
///
/// ```swift
/// var pair = VirtualTimePair(client, server, conditions: LinkConditions(loss: 0.1), seed: 7,
///                            aToB: { $0 }, bToA: { $0 }, sizeOfA: \.count, sizeOfB: \.count)
/// pair.withA { core, now in core.connect(now: now) }
/// #expect(pair.run(until: { $0.eventsB.contains(.connected) }))
/// ```
public struct VirtualTimePair<A: SansIOCore, B: SansIOCore> {
    /// What the link carries: a transmission of either side.
    public enum Carried {
        /// Sent by `a`, travelling to `b`.
        case fromA(A.Output)
        /// Sent by `b`, travelling to `a`.
        case fromB(B.Output)
    }

    /// The first core (side `.a` of the link).
    public var a: A
    /// The second core (side `.b` of the link).
    public var b: B
    /// The link between them; its counters say what it did.
    public var link: SimulatedLink<Carried>
    /// The current virtual time.
    public private(set) var now: NIODeadline
    /// Every event `a` reported, in order (see `takeEventsA()`).
    public private(set) var eventsA: [A.Event] = []
    /// Every event `b` reported, in order.
    public private(set) var eventsB: [B.Event] = []
    /// Transmissions a conversion refused (`aToB`/`bToA` returned `nil`): not for the peer.
    public private(set) var undeliverable = 0
    /// Loop iterations so far (each delivers what is due and runs due timers).
    public private(set) var steps = 0

    private let aToB: (A.Output) -> B.Input?
    private let bToA: (B.Output) -> A.Input?
    private let sizeOfA: (A.Output) -> Int
    private let sizeOfB: (B.Output) -> Int

    /// Creates a pair at `start` with a link under `conditions` drawing from `seed`.
    public init(_ a: A, _ b: B, conditions: LinkConditions = .perfect, seed: UInt64 = 1, start: NIODeadline = .virtualStart,
                aToB: @escaping (A.Output) -> B.Input?, bToA: @escaping (B.Output) -> A.Input?,
                sizeOfA: @escaping (A.Output) -> Int, sizeOfB: @escaping (B.Output) -> Int) {
        self.a = a
        self.b = b
        self.link = SimulatedLink(conditions: conditions, seed: seed)
        self.now = start
        self.aToB = aToB
        self.bToA = bToA
        self.sizeOfA = sizeOfA
        self.sizeOfB = sizeOfB
    }

    /// Runs a command on `a` at the current time (`pair.withA { a, now in a.connect(now: now) }`),
    /// then moves what it produced onto the link and into `eventsA`.
    @discardableResult
    public mutating func withA<T>(_ body: (inout A, NIODeadline) throws -> T) rethrows -> T {
        let result = try body(&a, now)
        flush()
        return result
    }

    /// Runs a command on `b` at the current time, then flushes (see `withA`).
    @discardableResult
    public mutating func withB<T>(_ body: (inout B, NIODeadline) throws -> T) rethrows -> T {
        let result = try body(&b, now)
        flush()
        return result
    }

    /// Signaling between the two sides, outside the link: called by every flush with the events
    /// each side just reported (e.g. trickled candidates handed to the peer, RFC 8838). What it
    /// makes the cores do is flushed in turn. `nil` (the default) means no signaling.
    public var signaling: ((inout A, inout B, _ newA: [A.Event], _ newB: [B.Event], _ now: NIODeadline) -> Void)?

    /// Drains both cores: transmissions go onto the link, events into `eventsA` / `eventsB`
    /// (and through `signaling`, until the cores have nothing more to say).
    public mutating func flush() {
        while true {
            let firstA = eventsA.count
            let firstB = eventsB.count
            while let out = a.pollTransmit() { link.send(.fromA(out), size: sizeOfA(out), from: .a, now: now) }
            while let out = b.pollTransmit() { link.send(.fromB(out), size: sizeOfB(out), from: .b, now: now) }
            while let event = a.pollEvent() { eventsA.append(event) }
            while let event = b.pollEvent() { eventsB.append(event) }
            guard let signaling, eventsA.count > firstA || eventsB.count > firstB else { return }
            let newA = Array(eventsA[firstA...])
            let newB = Array(eventsB[firstB...])
            signaling(&a, &b, newA, newB, now)
        }
    }

    /// The earliest of both cores' deadlines and the link's next delivery, if any.
    public var nextWakeUp: NIODeadline? {
        [a.nextDeadline, b.nextDeadline, link.nextDeliveryTime].compactMap { $0 }.min()
    }

    /// Advances virtual time from wake-up to wake-up (deliveries, then due timers, then a flush)
    /// until `condition` holds, for at most `limit` of virtual time and `maxSteps` iterations.
    /// Returns whether `condition` held; `now` is where it stopped.
    @discardableResult
    public mutating func run(until condition: (Self) -> Bool, for limit: TimeAmount = .seconds(60), maxSteps: Int = 1_000_000) -> Bool {
        let end = now + limit
        flush()
        var budget = maxSteps
        while !condition(self) {
            guard budget > 0, let next = nextWakeUp, next <= end else { return false }
            budget -= 1
            step(to: next)
        }
        return true
    }

    /// Advances virtual time by `duration`, handling everything due on the way.
    public mutating func run(for duration: TimeAmount) {
        let end = now + duration
        run(until: { _ in false }, for: duration)
        now = max(now, end)
    }

    /// Takes `a`'s events so far, leaving the log empty.
    public mutating func takeEventsA() -> [A.Event] {
        defer { eventsA.removeAll() }
        return eventsA
    }

    /// Takes `b`'s events so far, leaving the log empty.
    public mutating func takeEventsB() -> [B.Event] {
        defer { eventsB.removeAll() }
        return eventsB
    }

    private mutating func step(to next: NIODeadline) {
        steps += 1
        now = max(now, next)
        for (_, carried) in link.deliver(upTo: now) {
            switch carried {
            case .fromA(let out):
                if let input = aToB(out) { b.handle(input, now: now) } else { undeliverable += 1 }
            case .fromB(let out):
                if let input = bToA(out) { a.handle(input, now: now) } else { undeliverable += 1 }
            }
        }
        if let deadline = a.nextDeadline, deadline <= now { a.handleTimeout(now: now) }
        if let deadline = b.nextDeadline, deadline <= now { b.handleTimeout(now: now) }
        flush()
    }
}

extension VirtualTimePair where A: DatagramCore, B: DatagramCore {
    /// Creates a pair of datagram cores (ICE agents, sessions, TURN clients against a server
    /// core) at `addressA` and `addressB`: every datagram one sends reaches the other, from the
    /// sender's address (`Transmit.source` when it names one) to the transmit's destination; a
    /// datagram's size on the link is its payload.
    public init(_ a: A, at addressA: TransportAddress, _ b: B, at addressB: TransportAddress,
                conditions: LinkConditions = .perfect, seed: UInt64 = 1, start: NIODeadline = .virtualStart) {
        self.init(a, b, conditions: conditions, seed: seed, start: start,
                  aToB: { ReceivedDatagram(source: $0.source ?? addressA, destination: $0.destination, payload: $0.payload) },
                  bToA: { ReceivedDatagram(source: $0.source ?? addressB, destination: $0.destination, payload: $0.payload) },
                  sizeOfA: { $0.payload.readableBytes }, sizeOfB: { $0.payload.readableBytes })
    }
}
