import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTestSupport

/// Two ICE agents (and optionally a fake STUN server) over a `SimulatedLink`, on virtual time.
struct ICESimulation {
    var a: ICEAgent
    var b: ICEAgent
    var link: SimulatedLink<Transmit>
    var now = NIODeadline.virtualStart
    var eventsA: [ICEEvent] = []
    var eventsB: [ICEEvent] = []
    var dataA: [String] = []
    var dataB: [String] = []
    /// Forward candidates and end-of-candidates between the agents (trickle signaling).
    var signaling = true
    let addressA: TransportAddress
    let addressB: TransportAddress

    init(conditions: LinkConditions, seed: UInt64 = 1, roleA: ICERole = .controlling, roleB: ICERole = .controlled,
         configuration: ICEConfiguration = ICEConfiguration(),
         addressA: TransportAddress = TransportAddress("10.0.0.1:5000")!, addressB: TransportAddress = TransportAddress("10.0.0.2:6000")!) {
        a = ICEAgent(configuration: configuration, role: roleA, rng: SeededRandom(seed: seed &* 31 &+ 1))
        b = ICEAgent(configuration: configuration, role: roleB, rng: SeededRandom(seed: seed &* 31 &+ 2))
        link = SimulatedLink(conditions: conditions, seed: seed)
        self.addressA = addressA
        self.addressB = addressB
    }

    mutating func start() {
        a.setRemoteCredentials(b.localCredentials, now: now)
        b.setRemoteCredentials(a.localCredentials, now: now)
        a.startGathering(localAddresses: [addressA], now: now)
        b.startGathering(localAddresses: [addressB], now: now)
    }

    mutating func restartBoth() {
        a.restart(now: now)
        b.restart(now: now)
        a.setRemoteCredentials(b.localCredentials, now: now)
        b.setRemoteCredentials(a.localCredentials, now: now)
    }

    private mutating func drain() -> Bool {
        var did = false
        while let t = a.pollTransmit() { link.send(t, size: t.payload.readableBytes, from: .a, now: now); did = true }
        while let t = b.pollTransmit() { link.send(t, size: t.payload.readableBytes, from: .b, now: now); did = true }
        while let e = a.pollEvent() {
            eventsA.append(e); did = true
            if signaling { Self.forward(e, to: &b, now: now) }
        }
        while let e = b.pollEvent() {
            eventsB.append(e); did = true
            if signaling { Self.forward(e, to: &a, now: now) }
        }
        return did
    }

    private static func forward(_ e: ICEEvent, to peer: inout ICEAgent, now: NIODeadline) {
        switch e {
        case .candidateGathered(let c): peer.addRemoteCandidate(c, now: now)
        case .gatheringStateChanged(.complete): peer.endOfRemoteCandidates(now: now)
        default: break
        }
    }

    /// Runs until `until` is true or `limit` of virtual time passes; returns whether `until` held.
    @discardableResult
    mutating func run(for limit: TimeAmount, until: (ICESimulation) -> Bool = { _ in false }) -> Bool {
        let end = now + limit
        while now <= end {
            while drain() {}
            for (side, t) in link.deliver(upTo: now) {
                let d = ReceivedDatagram(source: t.source!, destination: t.destination, payload: t.payload)
                let data: ReceivedDatagram?
                if side == .a { data = a.receive(d, now: now) } else { data = b.receive(d, now: now) }
                if let data {
                    let s = String(buffer: data.payload)
                    if side == .a { dataA.append(s) } else { dataB.append(s) }
                }
            }
            while drain() {}
            if until(self) { return true }
            let next = [a.nextDeadline, b.nextDeadline, link.nextDeliveryTime].compactMap { $0 }.min() ?? end
            now = max(now, min(next, end + .nanoseconds(1)))
            if now > end { break }
            a.handleTimeout(now: now)
            b.handleTimeout(now: now)
        }
        return until(self)
    }

    var bothConnected: Bool { a.connectionState == .connected && b.connectionState == .connected }

    /// Sends application data from one side over its selected pair; `false` if it has none.
    mutating func sendData(_ text: String, from side: LinkSide) -> Bool {
        let payload = ByteBuffer(string: text)
        guard let t = side == .a ? a.send(applicationData: payload, now: now) : b.send(applicationData: payload, now: now) else { return false }
        link.send(t, size: t.payload.readableBytes, from: side, now: now)
        return true
    }
}

extension ICEAgent {
    /// What an edge does with a datagram for a bare agent: STUN goes to the agent; anything else
    /// is application data, returned when it comes from the peer the agent knows (RFC 7983).
    mutating func receive(_ datagram: ReceivedDatagram, now: NIODeadline) -> ReceivedDatagram? {
        if PacketKind(firstByte: datagram.payload.readableBytesView.first ?? 0) == .stun {
            handle(datagram, now: now)
            return nil
        }
        return acceptsApplicationData(from: datagram.source) ? datagram : nil
    }
}
