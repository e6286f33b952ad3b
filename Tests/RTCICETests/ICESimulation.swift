import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTestSupport

/// An ICE agent as an edge runs it: STUN goes to the agent; other datagrams from the peer the
/// agent knows are application data (RFC 7983), recorded as text; `send` puts application data
/// on the selected pair.
struct ICEEndpoint: DatagramCore {
    var agent: ICEAgent
    var received: [String] = []
    /// The addresses the endpoint has now, when a test moves it: datagrams to other addresses
    /// are lost and transmits from them cannot leave (as the kernel refuses a removed address).
    var addresses: Set<TransportAddress>?
    private var outgoing: [Transmit] = []

    init(_ agent: ICEAgent) { self.agent = agent }

    mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        if let addresses, !addresses.contains(datagram.destination) { return }
        if let data = agent.receive(datagram, now: now) { received.append(String(buffer: data.payload)) }
    }

    mutating func pollTransmit() -> Transmit? {
        while true {
            guard let transmit = outgoing.isEmpty ? agent.pollTransmit() : outgoing.removeFirst() else { return nil }
            if let addresses, let source = transmit.source, !addresses.contains(source) { continue }
            return transmit
        }
    }

    mutating func pollEvent() -> ICEEvent? { agent.pollEvent() }
    var nextDeadline: NIODeadline? { agent.nextDeadline }
    mutating func handleTimeout(now: NIODeadline) { agent.handleTimeout(now: now) }

    /// Queues `text` on the selected pair; `false` if there is none.
    mutating func send(_ text: String, now: NIODeadline) -> Bool {
        guard let t = agent.send(applicationData: ByteBuffer(string: text), now: now) else { return false }
        outgoing.append(t)
        return true
    }
}

/// Two ICE agents on the generic virtual-time harness, with trickle signaling between them.
struct ICESimulation {
    var pair: VirtualTimePair<ICEEndpoint, ICEEndpoint>
    let addressA: TransportAddress
    let addressB: TransportAddress

    /// Agent A.
    var a: ICEAgent {
        get { pair.a.agent }
        _modify { yield &pair.a.agent }
    }
    /// Agent B.
    var b: ICEAgent {
        get { pair.b.agent }
        _modify { yield &pair.b.agent }
    }
    /// The link between them.
    var link: SimulatedLink<VirtualTimePair<ICEEndpoint, ICEEndpoint>.Carried> {
        get { pair.link }
        _modify { yield &pair.link }
    }
    var now: NIODeadline { pair.now }
    var eventsA: [ICEEvent] { pair.eventsA }
    var eventsB: [ICEEvent] { pair.eventsB }
    var dataA: [String] { pair.a.received }
    var dataB: [String] { pair.b.received }
    /// Forward candidates and end-of-candidates between the agents (trickle signaling).
    var signaling: Bool {
        get { pair.signaling != nil }
        set {
            if newValue { pair.signaling = { Self.trickle(&$0, &$1, $2, $3, $4) } } else { pair.signaling = nil }
        }
    }

    init(conditions: LinkConditions, seed: UInt64 = 1, roleA: ICERole = .controlling, roleB: ICERole = .controlled,
         configuration: ICEConfiguration = ICEConfiguration(),
         addressA: TransportAddress = TransportAddress("10.0.0.1:5000")!, addressB: TransportAddress = TransportAddress("10.0.0.2:6000")!) {
        let a = ICEAgent(configuration: configuration, role: roleA, rng: SeededRandom(seed: seed &* 31 &+ 1))
        let b = ICEAgent(configuration: configuration, role: roleB, rng: SeededRandom(seed: seed &* 31 &+ 2))
        pair = VirtualTimePair(ICEEndpoint(a), at: addressA, ICEEndpoint(b), at: addressB, conditions: conditions, seed: seed)
        pair.signaling = { Self.trickle(&$0, &$1, $2, $3, $4) }
        self.addressA = addressA
        self.addressB = addressB
    }

    /// Trickle (RFC 8838): gathered candidates and end-of-candidates go to the peer.
    static func trickle(_ a: inout ICEEndpoint, _ b: inout ICEEndpoint, _ newA: [ICEEvent], _ newB: [ICEEvent], _ now: NIODeadline) {
        for e in newA { forward(e, to: &b.agent, now: now) }
        for e in newB { forward(e, to: &a.agent, now: now) }
    }

    mutating func start() {
        pair.withA { [bCredentials = b.localCredentials, addressA] a, now in
            a.agent.setRemoteCredentials(bCredentials, now: now)
            a.agent.startGathering(localAddresses: [addressA], now: now)
        }
        pair.withB { [aCredentials = a.localCredentials, addressB] b, now in
            b.agent.setRemoteCredentials(aCredentials, now: now)
            b.agent.startGathering(localAddresses: [addressB], now: now)
        }
    }

    mutating func restartBoth() {
        pair.withA { a, now in a.agent.restart(now: now) }
        pair.withB { b, now in b.agent.restart(now: now) }
        pair.withA { [bCredentials = b.localCredentials] a, now in a.agent.setRemoteCredentials(bCredentials, now: now) }
        pair.withB { [aCredentials = a.localCredentials] b, now in b.agent.setRemoteCredentials(aCredentials, now: now) }
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
        let end = pair.now + limit
        let (addressA, addressB) = (self.addressA, self.addressB)
        let held = pair.run(until: { p in until(ICESimulation(pair: p, addressA: addressA, addressB: addressB)) }, for: limit)
        if !held { pair.run(for: end - pair.now) }
        return held
    }

    private init(pair: VirtualTimePair<ICEEndpoint, ICEEndpoint>, addressA: TransportAddress, addressB: TransportAddress) {
        self.pair = pair
        self.addressA = addressA
        self.addressB = addressB
    }

    var bothConnected: Bool { a.connectionState == .connected && b.connectionState == .connected }

    /// Sends application data from one side over its selected pair; `false` if it has none.
    mutating func sendData(_ text: String, from side: LinkSide) -> Bool {
        side == .a ? pair.withA { a, now in a.send(text, now: now) } : pair.withB { b, now in b.send(text, now: now) }
    }
}

extension ICEAgent {
    /// What an edge does with a datagram for a bare agent: STUN goes to the agent; anything else
    /// is application data, returned (and counted against its pair) when it comes from the peer
    /// the agent knows (RFC 7983).
    mutating func receive(_ datagram: ReceivedDatagram, now: NIODeadline) -> ReceivedDatagram? {
        if PacketKind(firstByte: datagram.payload.readableBytesView.first ?? 0) == .stun {
            handle(datagram, now: now)
            return nil
        }
        guard acceptsApplicationData(from: datagram.source) else { return nil }
        countApplicationData(from: datagram.source, to: datagram.destination, bytes: datagram.payload.readableBytes, now: now)
        return datagram
    }
}
