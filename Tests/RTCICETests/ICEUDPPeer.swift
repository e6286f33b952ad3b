import NIOCore
import NIOPosix
import RTCCore
import RTCICE
import RTCUDP

/// A bare `ICEAgent` plus the application data it carries, as one `DatagramCore` for the UDP
/// driver: STUN goes to the agent; other datagrams from the peer (RFC 7983 demultiplexing,
/// checked with `acceptsApplicationData(from:)`) become `.data` events, and `send` queues
/// application data on the selected pair.
struct ICEWithApplicationData: DatagramCore {
    enum Event { case ice(ICEEvent), data(ReceivedDatagram) }

    var agent: ICEAgent
    private var received: [ReceivedDatagram] = []
    private var outgoing: [Transmit] = []

    init(agent: ICEAgent) { self.agent = agent }

    mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        // What a TURN server delivers is unwrapped first (a no-op without relays).
        guard let datagram = agent.unwrapRelayed(datagram, now: now) else { return }
        if PacketKind(firstByte: datagram.payload.readableBytesView.first ?? 0) == .stun {
            agent.handle(datagram, now: now)
        } else if agent.acceptsApplicationData(from: datagram.source) {
            received.append(datagram)
        }
    }

    mutating func pollTransmit() -> Transmit? {
        outgoing.isEmpty ? agent.pollTransmit() : outgoing.removeFirst()
    }

    mutating func pollEvent() -> Event? {
        if let event = agent.pollEvent() { return .ice(event) }
        return received.isEmpty ? nil : .data(received.removeFirst())
    }

    var nextDeadline: NIODeadline? { agent.nextDeadline }

    mutating func handleTimeout(now: NIODeadline) { agent.handleTimeout(now: now) }

    mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline) {
        agent.streamClosed(local: local, remote: remote, reason: reason, now: now)
    }

    /// Queues application data on the selected pair; dropped (as UDP would) without one.
    mutating func send(_ data: ByteBuffer, now: NIODeadline) {
        if let transmit = agent.send(applicationData: data, now: now) { outgoing.append(transmit) }
    }
}

/// An ICE agent on real UDP sockets: `RTCUDP.UDPDriver` runs it on one event loop, and this
/// actor (whose executor is that loop, as `PeerConnection`'s is) gives it commands.
actor ICEUDPPeer {
    nonisolated let eventLoop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    private let driver: UDPDriver<ICEWithApplicationData>

    /// `recorder` gets the agent's events and the application data, on the loop.
    init(agent: ICEAgent, recorder: ICETransportRecorder,
         eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.eventLoop = eventLoop
        driver = UDPDriver(core: ICEWithApplicationData(agent: agent), eventLoop: eventLoop) { event in
            switch event {
            case .ice(let e): recorder.record(e)
            case .data(let d): recorder.record(data: d)
            }
        }
    }

    /// Binds a socket on each address and starts gathering from them.
    func start(bindAddresses: [IPAddress]) async throws {
        let bound = await driver.bind(bindAddresses.map { TransportAddress(ip: $0, port: 0) })
        guard !bound.isEmpty else { throw NoAddressBound(addresses: bindAddresses) }
        driver.core.agent.startGathering(localAddresses: bound, now: .now())
        driver.pump()
    }

    /// Runs `body` with the agent, then sends what it produced.
    func withAgent<T: Sendable>(_ body: @Sendable (inout ICEAgent) -> T) -> T {
        defer { driver.pump() }
        return body(&driver.core.agent)
    }

    /// Sends text as application data on the selected pair.
    func send(_ text: String) {
        driver.core.send(ByteBuffer(string: text), now: .now())
        driver.pump()
    }

    /// Closes the agent and every socket.
    func close() async {
        driver.core.agent.close()
        driver.pump()
        await driver.close()
    }
}

/// None of the addresses an `ICEUDPPeer` was to bind could be bound.
struct NoAddressBound: Error {
    var addresses: [IPAddress]
}
