import NIOCore
import NIOPosix
import RTCCore
import RTCICE

/// The UDP edge of an ICE agent: owns one socket per local address, feeds datagrams and time
/// to the sans-IO `ICEAgent` on one EventLoop, and sends what it transmits. Application data
/// (DTLS, SRTP…; RFC 7983) arriving from the peer is handed to `onApplicationData` on that
/// loop, without a Task or actor hop per packet.
public final class ICEUDPTransport: Sendable {
    /// The loop every socket and the agent run on.
    public let eventLoop: any EventLoop
    /// Agent events (candidates, gathering and connection state, selected pair). One consumer.
    public let events: AsyncStream<ICEEvent>
    private let core: NIOLoopBound<Core>

    final class Core {
        var agent: ICEAgent
        var channels: [TransportAddress: any Channel] = [:]
        var socketAddresses: [TransportAddress: SocketAddress] = [:]
        var timer: Scheduled<Void>?
        var timerDeadline: NIODeadline?
        let continuation: AsyncStream<ICEEvent>.Continuation
        let onApplicationData: @Sendable (ReceivedDatagram) -> Void
        let eventLoop: any EventLoop
        var closed = false

        init(agent: ICEAgent, eventLoop: any EventLoop, continuation: AsyncStream<ICEEvent>.Continuation,
             onApplicationData: @escaping @Sendable (ReceivedDatagram) -> Void) {
            self.agent = agent
            self.eventLoop = eventLoop
            self.continuation = continuation
            self.onApplicationData = onApplicationData
        }

        func receive(_ envelope: AddressedEnvelope<ByteBuffer>, on local: TransportAddress) {
            guard let source = TransportAddress(envelope.remoteAddress) else { return }
            if socketAddresses[source] == nil { socketAddresses[source] = envelope.remoteAddress }
            let datagram = ReceivedDatagram(source: source, destination: local, payload: envelope.data)
            if PacketKind(firstByte: datagram.payload.readableBytesView.first ?? 0) == .stun {
                agent.handle(datagram, now: .now())
            } else if agent.acceptsApplicationData(from: source) {
                onApplicationData(datagram)
            }
            pump()
        }

        func send(_ t: Transmit) -> (any Channel)? {
            let channel = t.source.flatMap { channels[$0] } ?? channels.first(where: { $0.key.ip.isIPv4 == t.destination.ip.isIPv4 })?.value
            guard let channel else { return nil }
            let remote: SocketAddress
            if let cached = socketAddresses[t.destination] {
                remote = cached
            } else {
                guard let made = try? SocketAddress(ipAddress: t.destination.ip.description, port: Int(t.destination.port)) else { return nil }
                socketAddresses[t.destination] = made
                remote = made
            }
            channel.write(AddressedEnvelope(remoteAddress: remote, data: t.payload), promise: nil)
            return channel
        }

        /// Drains transmits and events, then re-arms the timer for the agent's deadline.
        func pump() {
            guard !closed else { return }
            var touched: [ObjectIdentifier: any Channel] = [:]
            while let t = agent.pollTransmit() {
                if let ch = send(t) { touched[ObjectIdentifier(ch)] = ch }
            }
            for ch in touched.values { ch.flush() }
            while let e = agent.pollEvent() { continuation.yield(e) }
            // Re-arm only when the deadline moved earlier: a timer that fires early is harmless
            // (the agent just reports its next deadline), and most datagrams change nothing.
            guard let deadline = agent.nextDeadline else { return }
            if let current = timerDeadline, timer != nil, current <= deadline { return }
            timer?.cancel()
            timerDeadline = deadline
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            timer = eventLoop.scheduleTask(deadline: deadline) {
                let core = bound.value
                core.timer = nil
                core.timerDeadline = nil
                core.agent.handleTimeout(now: .now())
                core.pump()
            }
        }
    }

    private init(eventLoop: any EventLoop, core: NIOLoopBound<Core>, events: AsyncStream<ICEEvent>) {
        self.eventLoop = eventLoop
        self.core = core
        self.events = events
    }

    /// Binds a UDP socket on port 0 of each address in `bindAddresses`, starts `agent`
    /// gathering from them and returns the running transport. `onApplicationData` runs on
    /// `eventLoop` for every non-STUN datagram from the peer.
    public static func start(agent: ICEAgent, bindAddresses: [IPAddress],
                             eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
                             onApplicationData: @escaping @Sendable (ReceivedDatagram) -> Void) async throws -> ICEUDPTransport {
        let (events, continuation) = AsyncStream.makeStream(of: ICEEvent.self, bufferingPolicy: .unbounded)
        let core = try await eventLoop.submit {
            NIOLoopBound(Core(agent: agent, eventLoop: eventLoop, continuation: continuation, onApplicationData: onApplicationData), eventLoop: eventLoop)
        }.get()
        var bound: [TransportAddress] = []
        for ip in bindAddresses {
            let box = UnsafeLocalBox()
            let channel = try await DatagramBootstrap(group: eventLoop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Handler(core: core, box: box))
                    }
                }
                .bind(host: ip.description, port: 0).get()
            guard let local = channel.localAddress.flatMap(TransportAddress.init) else { continue }
            try await eventLoop.submit {
                box.local.value = local
                core.value.channels[local] = channel
            }.get()
            bound.append(local)
        }
        let addresses = bound
        try await eventLoop.submit {
            core.value.agent.startGathering(localAddresses: addresses, now: .now())
            core.value.pump()
        }.get()
        return ICEUDPTransport(eventLoop: eventLoop, core: core, events: events)
    }

    /// Host addresses worth binding (RFC 8445 §5.1.1.1), from `System.enumerateDevices()`:
    /// IPv4 and IPv6, loopback only when `includeLoopback`, link-local only when `includeLinkLocal`.
    public static func usableAddresses(includeLoopback: Bool, includeIPv6: Bool = true, includeLinkLocal: Bool = false) throws -> [IPAddress] {
        var out: [IPAddress] = []
        for device in try System.enumerateDevices() {
            guard let a = device.address.flatMap(TransportAddress.init)?.ip else { continue }
            if a.isLoopback && !includeLoopback { continue }
            if !a.isIPv4 && !includeIPv6 { continue }
            if a.isLinkLocal && !includeLinkLocal { continue }
            if !out.contains(a) { out.append(a) }
        }
        return out
    }

    /// Runs `body` with the agent on its loop, then sends what it produced.
    public func withAgent<T: Sendable>(_ body: @escaping @Sendable (inout ICEAgent) -> T) async throws -> T {
        let core = self.core
        return try await eventLoop.submit {
            let c = core.value
            let result = body(&c.agent)
            c.pump()
            return result
        }.get()
    }

    /// The agent's local credentials (to signal as `ice-ufrag`/`ice-pwd`).
    public var localCredentials: ICECredentials {
        get async throws { try await withAgent { $0.localCredentials } }
    }

    /// Sets the peer's credentials.
    public func setRemoteCredentials(_ credentials: ICECredentials) async throws {
        try await withAgent { $0.setRemoteCredentials(credentials, now: .now()) }
    }

    /// Adds a remote candidate (trickle, RFC 8838).
    public func addRemoteCandidate(_ candidate: ICECandidate) async throws {
        _ = try await withAgent { $0.addRemoteCandidate(candidate, now: .now()) }
    }

    /// The peer signaled end-of-candidates.
    public func endOfRemoteCandidates() async throws {
        try await withAgent { $0.endOfRemoteCandidates(now: .now()) }
    }

    /// ICE restart (RFC 8445 §9); returns the new local credentials.
    public func restart() async throws -> ICECredentials {
        try await withAgent { agent in
            agent.restart(now: .now())
            return agent.localCredentials
        }
    }

    /// Sends application data on the selected pair, from any thread. Without a selected pair
    /// the datagram is dropped, as UDP would.
    public func send(_ data: ByteBuffer) {
        let core = self.core
        eventLoop.execute {
            let c = core.value
            if let t = c.agent.send(applicationData: data, now: .now()), let ch = c.send(t) { ch.flush() }
        }
    }

    /// Sends application data; call on `eventLoop` (no hop). `false` when no pair is selected.
    public func sendOnLoop(_ data: ByteBuffer) -> Bool {
        let c = core.value
        guard let t = c.agent.send(applicationData: data, now: .now()), let ch = c.send(t) else { return false }
        ch.flush()
        return true
    }

    /// Closes the agent and every socket and finishes `events`.
    public func close() async {
        let core = self.core
        let channels: [any Channel] = (try? await eventLoop.submit {
            let c = core.value
            c.closed = true
            c.timer?.cancel()
            c.agent.close()
            c.continuation.finish()
            return Array(c.channels.values)
        }.get()) ?? []
        for ch in channels { try? await ch.close() }
    }
}

/// Holds the bound local address for a channel's handler (set right after bind, on the loop).
final class UnsafeLocalBox: @unchecked Sendable {
    final class Cell { var value: TransportAddress? }
    let local = Cell()
}

final class Handler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let core: NIOLoopBound<ICEUDPTransport.Core>
    private let box: UnsafeLocalBox

    init(core: NIOLoopBound<ICEUDPTransport.Core>, box: UnsafeLocalBox) {
        self.core = core
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let local = box.local.value else { return }
        core.value.receive(unwrapInboundIn(data), on: local)
    }
}

extension TransportAddress {
    /// Converts a NIO socket address (IPv4 or IPv6) without going through text.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let a):
            let ip = UInt32(bigEndian: a.address.sin_addr.s_addr)
            self.init(ip: .v4(ip), port: UInt16(bigEndian: a.address.sin_port))
        case .v6(let a):
            var addr = a.address.sin6_addr
            let bytes = withUnsafeBytes(of: &addr) { Array($0) }
            guard let ip = IPAddress(bytes: bytes) else { return nil }
            self.init(ip: ip, port: UInt16(bigEndian: a.address.sin6_port))
        default:
            return nil
        }
    }
}
