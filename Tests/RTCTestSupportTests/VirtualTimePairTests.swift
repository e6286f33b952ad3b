import NIOCore
import RTCCore
import RTCTestSupport
import Testing

/// A minimal stop-and-wait ARQ core (one frame in flight, retransmitted every `rto` until
/// acknowledged) to exercise the pair harness: timers, loss, duplication, reordering, MTU.
struct StopAndWait: SansIOCore {
    enum Frame: Equatable { case data(seq: Int, payload: Int), ack(seq: Int) }
    enum Event: Equatable { case delivered(Int), acked(seq: Int) }

    var rto: TimeAmount = .milliseconds(50)
    var dataSize = 100
    private(set) var transmissions = 0
    private var queue: [Int] = []
    private var nextSeq = 0
    private var inFlight: (seq: Int, payload: Int)?
    private var expected = 0
    private var outbox: [Frame] = []
    private var events: [Event] = []
    private var retransmitAt: NIODeadline?
    private var lastNow = NIODeadline.uptimeNanoseconds(0)

    mutating func send(_ payloads: [Int], now: NIODeadline) {
        lastNow = now
        queue += payloads
        startNext()
    }

    mutating func handle(_ frame: Frame, now: NIODeadline) {
        lastNow = now
        switch frame {
        case .data(let seq, let payload):
            if seq == expected {
                events.append(.delivered(payload))
                expected += 1
            }
            if seq < expected { outbox.append(.ack(seq: seq)) }
        case .ack(let seq):
            guard seq == inFlight?.seq else { return }
            events.append(.acked(seq: seq))
            inFlight = nil
            retransmitAt = nil
            nextSeq += 1
            startNext()
        }
    }

    mutating func pollTransmit() -> Frame? { outbox.isEmpty ? nil : outbox.removeFirst() }
    mutating func pollEvent() -> Event? { events.isEmpty ? nil : events.removeFirst() }
    var nextDeadline: NIODeadline? { retransmitAt }

    mutating func handleTimeout(now: NIODeadline) {
        lastNow = now
        if let deadline = retransmitAt, deadline <= now { transmit() }
    }

    private mutating func startNext() {
        guard inFlight == nil, !queue.isEmpty else { return }
        inFlight = (nextSeq, queue.removeFirst())
        transmit()
    }

    private mutating func transmit() {
        guard let frame = inFlight else { return }
        outbox.append(.data(seq: frame.seq, payload: frame.payload))
        transmissions += 1
        retransmitAt = lastNow + rto
    }
}

/// Answers every datagram with the same payload, back to where it came from.
struct DatagramEcho: DatagramCore {
    var local: TransportAddress
    private(set) var received: [ReceivedDatagram] = []
    private var outbox: [Transmit] = []

    init(local: TransportAddress) { self.local = local }

    mutating func send(_ bytes: [UInt8], to destination: TransportAddress) {
        outbox.append(Transmit(destination: destination, payload: ByteBuffer(bytes: bytes)))
    }
    mutating func handle(_ input: ReceivedDatagram, now: NIODeadline) {
        received.append(input)
        if input.payload.readableBytes > 0, input.payload.getInteger(at: input.payload.readerIndex, as: UInt8.self) != 0 {
            outbox.append(Transmit(source: local, destination: input.source, payload: ByteBuffer(bytes: [0])))
        }
    }
    mutating func pollTransmit() -> Transmit? { outbox.isEmpty ? nil : outbox.removeFirst() }
    mutating func pollEvent() -> Never? { nil }
    var nextDeadline: NIODeadline? { nil }
    mutating func handleTimeout(now: NIODeadline) {}
}

@Suite struct VirtualTimePairTests {
    typealias Pair = VirtualTimePair<StopAndWait, StopAndWait>

    static func pair(_ conditions: LinkConditions, seed: UInt64 = 1, dataSize: Int = 100) -> Pair {
        var sender = StopAndWait()
        sender.dataSize = dataSize
        let size: (StopAndWait.Frame) -> Int = { if case .data = $0 { dataSize } else { 12 } }
        return VirtualTimePair(sender, StopAndWait(), conditions: conditions, seed: seed,
                               aToB: { $0 }, bToA: { $0 }, sizeOfA: size, sizeOfB: size)
    }

    static func delivered(_ pair: Pair) -> [Int] {
        pair.eventsB.compactMap { if case .delivered(let n) = $0 { n } else { nil } }
    }

    @Test func perfectLinkDeliversInOrderAndTimeJumpsByRoundTrips() {
        var pair = Self.pair(.perfect)
        pair.withA { a, now in a.send(Array(0..<20), now: now) }
        let done = pair.run(until: { Self.delivered($0).count == 20 && $0.a.nextDeadline == nil })
        #expect(done)
        #expect(Self.delivered(pair) == Array(0..<20))
        #expect(pair.a.transmissions == 20)
        // 20 round trips over a 10 ms link, nothing else: virtual time moved exactly 400 ms.
        #expect(pair.now == .virtualStart + .milliseconds(400))
        #expect(pair.link.sent == 40 && pair.link.delivered == 40)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func lossDuplicationAndReorderingStillDeliverEachPayloadOnceInOrder(seed: UInt64) {
        var pair = Self.pair(LinkConditions(loss: 0.3, reorder: 0.3, duplicate: 0.2), seed: seed)
        pair.withA { a, now in a.send(Array(0..<50), now: now) }
        let done = pair.run(until: { Self.delivered($0).count == 50 && $0.a.nextDeadline == nil }, for: .seconds(600))
        #expect(done)
        #expect(Self.delivered(pair) == Array(0..<50))
        #expect(pair.link.dropped > 0 && pair.link.duplicated > 0 && pair.link.reordered > 0)
        // Losses were repaired by the sender's retransmission timer, run in virtual time.
        #expect(pair.a.transmissions > 50)
    }

    @Test func theSameSeedReplaysTheSameRun() {
        func outcome(seed: UInt64) -> (NIODeadline, Int, Int, [StopAndWait.Event]) {
            var pair = Self.pair(LinkConditions(loss: 0.2, reorder: 0.2, duplicate: 0.1), seed: seed)
            pair.withA { a, now in a.send(Array(0..<30), now: now) }
            pair.run(until: { Self.delivered($0).count == 30 }, for: .seconds(600))
            return (pair.now, pair.link.dropped, pair.a.transmissions, pair.eventsA)
        }
        let first = outcome(seed: 9), again = outcome(seed: 9), other = outcome(seed: 10)
        #expect(first.0 == again.0 && first.1 == again.1 && first.2 == again.2 && first.3 == again.3)
        #expect(first.0 != other.0 || first.1 != other.1 || first.2 != other.2)
    }

    @Test func oversizeFramesNeverArriveAndTheRunStopsAtItsLimit() {
        var pair = Self.pair(LinkConditions(mtu: 99), dataSize: 100)
        pair.withA { a, now in a.send([7], now: now) }
        let done = pair.run(until: { !Self.delivered($0).isEmpty }, for: .seconds(1))
        #expect(!done)
        #expect(pair.eventsB.isEmpty)
        #expect(pair.now <= .virtualStart + .seconds(1))
        // The sender kept retransmitting every 50 ms of virtual time (0, 50, …, 1000 ms: the
        // limit is inclusive), and the link dropped each.
        #expect(pair.a.transmissions == 21)
        #expect(pair.link.droppedOversize == 21)
        pair.run(for: .seconds(2))
        #expect(pair.now == .virtualStart + .seconds(3))
    }

    @Test func aConversionCanRefuseWhatIsNotForThePeer() {
        var pair = VirtualTimePair(StopAndWait(), StopAndWait(), aToB: { frame -> StopAndWait.Frame? in
            if case .data(_, let payload) = frame, payload < 0 { return nil }
            return frame
        }, bToA: { $0 }, sizeOfA: { _ in 100 }, sizeOfB: { _ in 12 })
        pair.withA { a, now in a.send([-1], now: now) }
        let done = pair.run(until: { !$0.eventsB.isEmpty }, for: .milliseconds(120))
        #expect(!done)
        #expect(pair.undeliverable == 3)  // sent at 0, 50 and 100 ms
    }

    @Test func datagramCoresGetTheSendersAddressAsSource() {
        let addressA = TransportAddress(ip: .v4(0x0A00_0001), port: 1000)
        let addressB = TransportAddress(ip: .v4(0x0A00_0002), port: 2000)
        var pair = VirtualTimePair(DatagramEcho(local: addressA), at: addressA, DatagramEcho(local: addressB), at: addressB,
                                   conditions: LinkConditions(delay: .milliseconds(25)))
        pair.withA { a, _ in a.send([1, 2, 3], to: addressB) }
        let done = pair.run(until: { !$0.a.received.isEmpty })
        #expect(done)
        // a's transmit named no source: b sees it from a's address; b's answer names its own.
        #expect(pair.b.received == [ReceivedDatagram(source: addressA, destination: addressB, payload: ByteBuffer(bytes: [1, 2, 3]))])
        #expect(pair.a.received == [ReceivedDatagram(source: addressB, destination: addressA, payload: ByteBuffer(bytes: [0]))])
        #expect(pair.now == .virtualStart + .milliseconds(50))
    }
}
