import NIOCore
import RTCCore

/// What a simulated link does to the datagrams it carries.
public struct LinkConditions: Sendable {
    /// Probability (0…1) that a datagram is dropped.
    public var loss: Double
    /// Probability that a datagram is held back by an extra `reorderDelay`, so later ones overtake it.
    public var reorder: Double
    /// Probability that a datagram is delivered twice.
    public var duplicate: Double
    /// One-way delay applied to every datagram.
    public var delay: TimeAmount
    /// Extra delay of a reordered datagram.
    public var reorderDelay: TimeAmount
    /// Datagrams larger than this are dropped (and counted), like a path MTU would.
    public var mtu: Int?

    /// Creates link conditions; the defaults are a perfect 10 ms link.
    public init(loss: Double = 0, reorder: Double = 0, duplicate: Double = 0,
                delay: TimeAmount = .milliseconds(10), reorderDelay: TimeAmount = .milliseconds(15), mtu: Int? = nil) {
        self.loss = loss
        self.reorder = reorder
        self.duplicate = duplicate
        self.delay = delay
        self.reorderDelay = reorderDelay
        self.mtu = mtu
    }

    /// A perfect link with 10 ms delay.
    public static let perfect = LinkConditions()
}

/// One of the two ends of a `SimulatedLink`.
public enum LinkSide: Sendable, Hashable {
    case a, b
    /// The other end.
    public var peer: LinkSide { self == .a ? .b : .a }
}

/// A deterministic two-ended datagram link on virtual time: loss, reordering, duplication,
/// delay and an MTU, all decided by a seeded generator so every run is the same.
///
/// Usage: `send` what one side's core transmits, `deliver(upTo:)` what is due, and advance
/// virtual time to `min(core deadlines, link.nextDeliveryTime)`.
public struct SimulatedLink<Packet> {
    private struct InFlight {
        var due: NIODeadline
        var order: UInt64
        var to: LinkSide
        var packet: Packet
    }

    /// The conditions applied to every datagram.
    public var conditions: LinkConditions
    /// Drops the datagrams it returns `true` for (given each with its sender), before the
    /// conditions apply; counted in `dropped`. For a peer that ignores some packets.
    public var dropIf: ((Packet, LinkSide) -> Bool)?
    /// Rewrites each datagram (given with its sender) before `dropIf` and the conditions
    /// apply: for a peer that ignores part of a datagram (one record of several).
    public var rewrite: ((Packet, LinkSide) -> Packet)?
    private var rng: SeededRandom
    private var inFlight: [InFlight] = []
    private var counter: UInt64 = 0

    /// Datagrams handed to `send`.
    public private(set) var sent = 0
    /// Datagrams dropped by loss.
    public private(set) var dropped = 0
    /// Datagrams dropped for exceeding the MTU.
    public private(set) var droppedOversize = 0
    /// Extra copies made by duplication.
    public private(set) var duplicated = 0
    /// Datagrams held back to be reordered.
    public private(set) var reordered = 0
    /// Datagrams delivered (copies included).
    public private(set) var delivered = 0

    /// Creates a link.
    public init(conditions: LinkConditions, seed: UInt64 = 1) {
        self.conditions = conditions
        self.rng = SeededRandom(seed: seed)
    }

    /// Puts a datagram of `size` bytes on the link, sent from `from` at `now`.
    public mutating func send(_ packet: Packet, size: Int, from: LinkSide, now: NIODeadline) {
        sent += 1
        let packet = rewrite.map { $0(packet, from) } ?? packet
        if let mtu = conditions.mtu, size > mtu { droppedOversize += 1; return }
        if let dropIf, dropIf(packet, from) { dropped += 1; return }
        if chance(conditions.loss) { dropped += 1; return }
        var due = now + conditions.delay
        if chance(conditions.reorder) { due = due + conditions.reorderDelay; reordered += 1 }
        enqueue(packet, to: from.peer, due: due)
        if chance(conditions.duplicate) {
            duplicated += 1
            enqueue(packet, to: from.peer, due: due + .microseconds(100))
        }
    }

    /// When the next datagram arrives, or `nil` when the link is empty.
    public var nextDeliveryTime: NIODeadline? { inFlight.map(\.due).min() }

    /// Number of datagrams still in flight.
    public var inFlightCount: Int { inFlight.count }

    /// Removes and returns every datagram due at or before `now`, in arrival order.
    public mutating func deliver(upTo now: NIODeadline) -> [(to: LinkSide, packet: Packet)] {
        let due = inFlight.filter { $0.due <= now }.sorted { ($0.due, $0.order) < ($1.due, $1.order) }
        guard !due.isEmpty else { return [] }
        inFlight.removeAll { $0.due <= now }
        delivered += due.count
        return due.map { ($0.to, $0.packet) }
    }

    private mutating func enqueue(_ packet: Packet, to: LinkSide, due: NIODeadline) {
        counter += 1
        inFlight.append(InFlight(due: due, order: counter, to: to, packet: packet))
    }

    private mutating func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        return Double(rng.next() >> 11) / Double(1 << 53) < p
    }
}

extension NIODeadline {
    /// Virtual time zero for simulations (an arbitrary but fixed instant).
    public static let virtualStart = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
}
