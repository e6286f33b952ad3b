import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCCore
import RTCTURN
import RTCTestSupport

/// A UDP socket on 127.0.0.1 that queues what it receives (used as the TURN client's socket
/// and as the plain peer behind the relay).
final class TURNTestSocket: @unchecked Sendable {
    let channel: Channel
    private let lock = NIOLock()
    private var inbox: [AddressedEnvelope<ByteBuffer>] = []

    init() async throws {
        let box = NIOLockedValueBox<TURNTestSocket?>(nil)
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    // The handler reaches the socket through the box once init finished.
                    try ch.pipeline.syncOperations.addHandler(Forwarder(box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.withLockedValue { $0 = self }
    }

    private final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<TURNTestSocket?>
        init(_ box: NIOLockedValueBox<TURNTestSocket?>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let e = unwrapInboundIn(data)
            guard let owner = box.withLockedValue({ $0 }) else { return }
            owner.lock.withLock { owner.inbox.append(e) }
        }
    }

    var localAddress: TransportAddress {
        let a = channel.localAddress!
        return TransportAddress(ip: IPAddress(a.ipAddress!)!, port: UInt16(a.port!))
    }

    func send(_ payload: ByteBuffer, to address: TransportAddress) {
        let remote = try! SocketAddress(ipAddress: address.ip.description, port: Int(address.port))
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: payload), promise: nil)
    }

    /// Everything received so far, as (source, bytes).
    func drain() -> [(TransportAddress, ByteBuffer)] {
        let items = lock.withLock { () -> [AddressedEnvelope<ByteBuffer>] in
            defer { inbox.removeAll() }
            return inbox
        }
        return items.map { (TransportAddress(ip: IPAddress($0.remoteAddress.ipAddress!)!, port: UInt16($0.remoteAddress.port!)), $0.data) }
    }

    /// Waits (polling) for a datagram, at most `timeout` seconds.
    func receive(timeout: Double = 5) async throws -> (TransportAddress, ByteBuffer) {
        var pending: [(TransportAddress, ByteBuffer)] = []
        return try await waitForValue(timeout, "a datagram on \(localAddress)", every: .milliseconds(2)) {
            pending += drain()
            return pending.isEmpty ? nil : pending.removeFirst()
        }
    }

    func close() async { try? await channel.close() }
}

/// Drives a `TURNClient` over a real UDP socket on real time (test edge: the core itself
/// never reads a clock).
final class TURNUDPDriver: @unchecked Sendable {
    var client: TURNClient
    let socket: TURNTestSocket
    var events: [TURNEvent] = []
    var received: [TURNPeerData] = []
    var sentPayloads: [ByteBuffer] = []

    init(configuration: TURNClientConfiguration) async throws {
        client = TURNClient(configuration: configuration, rng: SystemRandomNumberGenerator())
        socket = try await TURNTestSocket()
    }

    private func flush() {
        while let t = client.pollTransmit() { socket.send(t.payload, to: t.destination) }
        while let e = client.pollEvent() {
            if case .peerData(let data) = e { received.append(data) } else { events.append(e) }
        }
    }

    /// Calls into the client with the current time, then sends what it produced.
    func with<T>(_ body: (inout TURNClient, NIODeadline) throws -> T) rethrows -> T {
        let result = try body(&client, .now())
        flush()
        return result
    }

    /// Sends application data to `peer` through the relay.
    func send(_ bytes: [UInt8], to peer: TransportAddress) throws {
        let t = try with { c, now in try c.send(ByteBuffer(bytes: bytes), to: peer, now: now) }
        sentPayloads.append(t.payload)
        socket.send(t.payload, to: t.destination)
    }

    /// Runs the client until `done` holds, at most `timeout` seconds.
    func run(until what: String, timeout: Double = 15, _ done: (TURNUDPDriver) -> Bool) async throws {
        try await waitUntil(timeout, what, every: .milliseconds(2)) {
            for (source, bytes) in socket.drain() {
                client.handle(ReceivedDatagram(source: source, destination: socket.localAddress, payload: bytes), now: .now())
            }
            if let d = client.nextDeadline, d <= .now() { client.handleTimeout(now: .now()) }
            flush()
            if done(self) { return true }
            if case .failed(let e) = client.state { throw e }
            return false
        }
    }

    /// Runs until an event matching `match` arrives and returns it.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 15, _ match: @escaping (TURNEvent) -> Bool) async throws -> TURNEvent {
        var found: TURNEvent?
        try await run(until: what, timeout: timeout) { d in
            found = d.events.first(where: match)
            return found != nil
        }
        events.removeAll { match($0) }
        return found!
    }
}
