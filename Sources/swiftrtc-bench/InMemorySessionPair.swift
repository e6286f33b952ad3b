import Dispatch
import NIOCore
import RTCCore
import RTCSession

/// Two `RTCSession`s wired to each other in memory on virtual time: what one transmits the
/// other receives, trickled candidates are handed across, and time moves only when nothing
/// else does. The `dc-core` and `open-core` benchmarks run on it.
struct InMemorySessionPair {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    var a: RTCSession
    var b: RTCSession
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let addressA = TransportAddress("10.0.0.1:5000")!
    let addressB = TransportAddress("10.0.0.2:5000")!
    /// Data channels opened, on both sides together.
    var opened = 0
    /// Bytes of binary messages received, on both sides together.
    var received = 0
    /// Datagrams handed across.
    var datagrams = 0
    /// With `timesTurns`, each datagram handed across in order: who received it, its size and
    /// the nanoseconds the receiving session's `handle` took (everything it set off, to the
    /// transmits it queued in reply).
    var turns: [(toA: Bool, bytes: Int, nanoseconds: UInt64)] = []
    var timesTurns = false
    /// How long the offerer's `setRemoteDescription(answer)` took in the last `open()`.
    var answerApplyNanoseconds: UInt64 = 0

    /// Hands every transmit to the other side and drains events until nothing moves; returns
    /// whether anything moved.
    mutating func shuttle() throws -> Bool {
        var movedAny = false
        var moved = true
        while moved {
            moved = false
            while let t = a.pollTransmit() {
                let start = timesTurns ? DispatchTime.now().uptimeNanoseconds : 0
                b.handle(ReceivedDatagram(source: t.source ?? addressA, destination: t.destination, payload: t.payload), now: now)
                if timesTurns { turns.append((false, t.payload.readableBytes, DispatchTime.now().uptimeNanoseconds - start)) }
                moved = true
                datagrams += 1
            }
            while let t = b.pollTransmit() {
                let start = timesTurns ? DispatchTime.now().uptimeNanoseconds : 0
                a.handle(ReceivedDatagram(source: t.source ?? addressB, destination: t.destination, payload: t.payload), now: now)
                if timesTurns { turns.append((true, t.payload.readableBytes, DispatchTime.now().uptimeNanoseconds - start)) }
                moved = true
                datagrams += 1
            }
            while let event = a.pollEvent() {
                moved = true
                try note(event, peerOfA: true)
            }
            while let event = b.pollEvent() {
                moved = true
                try note(event, peerOfA: false)
            }
            movedAny = movedAny || moved
        }
        return movedAny
    }

    private mutating func note(_ event: SessionEvent, peerOfA fromA: Bool) throws {
        switch event {
        case .ice(.localCandidate(let c)):
            if fromA { try b.addRemoteCandidate(c, now: now) } else { try a.addRemoteCandidate(c, now: now) }
        case .dataChannel(.opened):
            opened += 1
        case .dataChannel(.message(_, .binary(let bytes))):
            received += bytes.count
        default:
            break
        }
    }

    /// Nothing moves: advances virtual time to the earliest deadline (at most to `limit`) and
    /// runs the timers.
    mutating func tick(notAfter limit: NIODeadline? = nil) {
        let next = [a.nextDeadline, b.nextDeadline].compactMap { $0 }.min() ?? now + .milliseconds(10)
        now = max(now + .microseconds(1), limit.map { min(next, $0) } ?? next)
        if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
        if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
    }

    /// Shuttles and ticks until `duration` of virtual time has passed.
    mutating func run(for duration: TimeAmount) throws {
        let end = now + duration
        while now < end {
            if try !shuttle() { tick(notAfter: end) }
        }
    }

    /// Shuttles and ticks until `opened` reaches `count`, or throws after 100,000 steps.
    mutating func run(untilOpened count: Int) throws {
        var steps = 0
        while opened < count {
            if try !shuttle() { tick() }
            steps += 1
            if steps > 100_000 { throw Failure(description: "the channel did not open") }
        }
    }
}

extension InMemorySessionPair {
    /// The offer/answer exchange with a data channel created by `a` (candidates in the
    /// descriptions, as after gathering; the answerer's checks go out before the answer is
    /// applied), run until the channel is open on both sides; returns
    /// the channel's id on `a`.
    mutating func open() throws -> Int {
        let handle = try a.createDataChannel(label: "bench", options: DataChannelOptions(), now: now)
        try a.setLocalDescription(try a.createOffer(), now: now)
        a.addLocalAddresses([addressA], now: now)
        try b.setRemoteDescription(a.localDescription!, now: now)
        try b.setLocalDescription(try b.createAnswer(), now: now)
        b.addLocalAddresses([addressB], now: now)
        // The answer takes a while (5 ms here) to reach the offerer: the answerer's first checks
        // (and whatever follows them) cross meanwhile, as they do between real peers.
        let answer = b.localDescription!
        try run(for: .milliseconds(5))
        let start = DispatchTime.now().uptimeNanoseconds
        try a.setRemoteDescription(answer, now: now)
        answerApplyNanoseconds = DispatchTime.now().uptimeNanoseconds - start
        try run(untilOpened: opened + 2)
        return handle
    }
}
