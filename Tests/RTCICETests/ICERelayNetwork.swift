import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTURN
import RTCTestSupport

/// Two ICE agents and a `FakeTURNRelay` on virtual time: every datagram takes `delay` and is
/// routed by its destination (the relay owns its own address and the relayed ones). Agents
/// get datagrams as an edge gives them: `unwrapRelayed` first, then STUN to `handle`, other
/// data (from a peer the agent knows) recorded as text. Candidates and end-of-candidates are
/// trickled between the agents at once.
struct ICERelayNetwork {
    var a: ICEAgent
    var b: ICEAgent
    var relay: FakeTURNRelay
    let addressA: TransportAddress
    let addressB: TransportAddress
    var now = NIODeadline.virtualStart
    var delay: TimeAmount = .milliseconds(10)
    var eventsA: [ICEEvent] = []
    var eventsB: [ICEEvent] = []
    var dataA: [String] = []
    var dataB: [String] = []
    /// Whether candidates are trickled to the peer.
    var signaling = true
    /// Datagrams the relay sent to peers straight from a relayed address (what a network
    /// capture between the relay and a peer would show).
    var relayedToPeers = 0
    /// What agents sent the TURN server whose length is not a multiple of 4 (over a stream
    /// everything must be: STUN is, ChannelData is padded, RFC 8656 §12.5).
    var unalignedToServer = 0
    /// Carry agent ↔ server traffic as a byte stream: each direction's bytes go through a
    /// `TURNStreamFramer` in uneven pieces, and what it splits out is delivered.
    var streamTransport = false { didSet { relay.padChannelData = streamTransport } }
    private var framers: [String: TURNStreamFramer] = [:]
    private var inFlight: [(due: NIODeadline, order: Int, datagram: ReceivedDatagram)] = []
    private var order = 0

    static let relayAddress = TransportAddress("198.51.100.7:3478")!

    init(configurationA: ICEConfiguration, configurationB: ICEConfiguration,
         addressA: TransportAddress = TransportAddress("10.0.0.1:5000")!, addressB: TransportAddress = TransportAddress("10.0.1.2:6000")!) {
        a = ICEAgent(configuration: configurationA, role: .controlling, rng: SeededRandom(seed: 11))
        b = ICEAgent(configuration: configurationB, role: .controlled, rng: SeededRandom(seed: 12))
        relay = FakeTURNRelay(address: Self.relayAddress)
        self.addressA = addressA
        self.addressB = addressB
    }

    /// A configuration with the relay as TURN server (alice/`password`).
    static func configuration(relayOnly: Bool, password: String = "wonderland", transport: TURNTransport = .udp) -> ICEConfiguration {
        var c = ICEConfiguration()
        c.relayServers = [ICERelayServer(address: relayAddress, username: "alice", password: password, transport: transport)]
        c.relayOnly = relayOnly
        return c
    }

    /// Exchanges credentials and starts gathering on both sides.
    mutating func start() {
        a.setRemoteCredentials(b.localCredentials, now: now)
        b.setRemoteCredentials(a.localCredentials, now: now)
        a.startGathering(localAddresses: [addressA], now: now)
        b.startGathering(localAddresses: [addressB], now: now)
        flush()
    }

    /// An ICE restart on both sides: new credentials exchanged, candidates signaled again.
    mutating func restartBoth() {
        a.restart(now: now)
        b.restart(now: now)
        a.setRemoteCredentials(b.localCredentials, now: now)
        b.setRemoteCredentials(a.localCredentials, now: now)
        flush()
    }

    var bothConnected: Bool { a.connectionState == .connected && b.connectionState == .connected }

    /// Sends `text` on A's (or B's) selected pair; `false` when there is none.
    mutating func send(_ text: String, fromA: Bool) -> Bool {
        let t = fromA ? a.send(applicationData: ByteBuffer(string: text), now: now) : b.send(applicationData: ByteBuffer(string: text), now: now)
        guard let t else { return false }
        queue(t, from: fromA ? addressA : addressB)
        flush()
        return true
    }

    /// Drains both agents: transmits onto the network, events into the logs and (trickle) to the peer.
    mutating func flush() {
        var progress = true
        while progress {
            progress = false
            while let t = a.pollTransmit() { queue(t, from: addressA) }
            while let t = b.pollTransmit() { queue(t, from: addressB) }
            while let e = a.pollEvent() {
                progress = true
                eventsA.append(e)
                if signaling { Self.forward(e, to: &b, now: now) }
            }
            while let e = b.pollEvent() {
                progress = true
                eventsB.append(e)
                if signaling { Self.forward(e, to: &a, now: now) }
            }
        }
    }

    private static func forward(_ e: ICEEvent, to peer: inout ICEAgent, now: NIODeadline) {
        switch e {
        case .candidateGathered(let c): peer.addRemoteCandidate(c, now: now)
        case .gatheringStateChanged(.complete): peer.endOfRemoteCandidates(now: now)
        default: break
        }
    }

    private mutating func queue(_ t: Transmit, from: TransportAddress) {
        let source = t.source ?? from
        if t.destination == relay.address, t.payload.readableBytes % 4 != 0 { unalignedToServer += 1 }
        let onStream = streamTransport && (t.destination == relay.address || source == relay.address)
        guard onStream else {
            order += 1
            inFlight.append((now + delay, order, ReceivedDatagram(source: source, destination: t.destination, payload: t.payload)))
            return
        }
        // The stream of this direction, fed in two uneven pieces; whole messages come out.
        let key = "\(source)>\(t.destination)"
        var framer = framers[key] ?? TURNStreamFramer()
        var payload = t.payload
        let cut = min(payload.readableBytes, 3)
        framer.append(payload.readSlice(length: cut)!)
        framer.append(payload)
        while let message = try? framer.next() {
            order += 1
            inFlight.append((now + delay, order, ReceivedDatagram(source: source, destination: t.destination, payload: message)))
        }
        framers[key] = framer
    }

    private mutating func deliver(_ d: ReceivedDatagram) {
        if relay.owns(d.destination) {
            for t in relay.handle(d, now: now) {
                if t.source != relay.address { relayedToPeers += 1 }
                queue(t, from: relay.address)
            }
        } else if d.destination.ip == addressA.ip || a.relayAllocations.contains(where: { $0.relayed == d.destination }) {
            if let text = Self.receive(d, by: &a, now: now) { dataA.append(text) }
        } else if d.destination.ip == addressB.ip || b.relayAllocations.contains(where: { $0.relayed == d.destination }) {
            if let text = Self.receive(d, by: &b, now: now) { dataB.append(text) }
        }
    }

    private static func receive(_ d: ReceivedDatagram, by agent: inout ICEAgent, now: NIODeadline) -> String? {
        guard let d = agent.unwrapRelayed(d, now: now) else { return nil }
        if PacketKind(firstByte: d.payload.readableBytesView.first ?? 0) == .stun {
            agent.handle(d, now: now)
            return nil
        }
        return agent.acceptsApplicationData(from: d.source) ? String(buffer: d.payload) : nil
    }

    /// Runs until `until` holds or `limit` of virtual time passed; returns whether it held.
    @discardableResult
    mutating func run(for limit: TimeAmount, until: (ICERelayNetwork) -> Bool = { _ in false }) -> Bool {
        let end = now + limit
        flush()
        var steps = 0
        while !until(self) {
            steps += 1
            precondition(steps < 2_000_000, "the network does not settle")
            let next = [a.nextDeadline, b.nextDeadline, inFlight.map(\.due).min()].compactMap { $0 }.min()
            guard let next, next <= end else {
                now = max(now, end)
                return false
            }
            now = max(now, next)
            inFlight.sort { ($0.due, $0.order) < ($1.due, $1.order) }
            while let first = inFlight.first, first.due <= now {
                inFlight.removeFirst()
                deliver(first.datagram)
            }
            if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
            if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
            flush()
        }
        return true
    }
}
