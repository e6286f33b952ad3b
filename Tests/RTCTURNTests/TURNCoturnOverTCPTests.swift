import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Drives a `TURNClient` (transport `.stream`) over a real TCP connection to the server, the
/// stream split by `TURNStreamFramer` (a test edge: the stack's UDP edge has no TCP yet).
final class TURNTCPDriver: @unchecked Sendable {
    var client: TURNClient
    let channel: Channel
    let local: TransportAddress
    var events: [TURNEvent] = []
    var received: [TURNPeerData] = []
    private let lock = NIOLock()
    private var framer = TURNStreamFramer()
    private var inbox: [ByteBuffer] = []
    private var framingError: (any Error)?

    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let owner: NIOLockedValueBox<TURNTCPDriver?>
        init(_ owner: NIOLockedValueBox<TURNTCPDriver?>) { self.owner = owner }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let driver = owner.withLockedValue({ $0 }) else { return }
            driver.read(unwrapInboundIn(data))
        }
    }

    init(configuration: TURNClientConfiguration) async throws {
        client = TURNClient(configuration: configuration, rng: SystemRandomNumberGenerator())
        let box = NIOLockedValueBox<TURNTCPDriver?>(nil)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer { ch in
            ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Reader(box)) }
        }
        // coturn may still be starting: retry the connection for a few seconds.
        channel = try await waitForValue(10, "a TCP connection to coturn", every: .milliseconds(100)) {
            try? await bootstrap.connect(host: configuration.server.ip.description, port: Int(configuration.server.port)).get()
        }
        let a = channel.localAddress!
        local = TransportAddress(ip: IPAddress(a.ipAddress!)!, port: UInt16(a.port!))
        box.withLockedValue { $0 = self }
    }

    private func read(_ bytes: ByteBuffer) {
        lock.withLock {
            framer.append(bytes)
            do {
                while let m = try framer.next() { inbox.append(m) }
            } catch {
                framingError = error
            }
        }
    }

    private func flush() {
        while let t = client.pollTransmit() { channel.writeAndFlush(t.payload, promise: nil) }
        while let e = client.pollEvent() {
            if case .peerData(let data) = e { received.append(data) } else { events.append(e) }
        }
    }

    func with<T>(_ body: (inout TURNClient, NIODeadline) throws -> T) rethrows -> T {
        let result = try body(&client, .now())
        flush()
        return result
    }

    func send(_ bytes: [UInt8], to peer: TransportAddress) throws -> ByteBuffer {
        let t = try with { c, now in try c.send(ByteBuffer(bytes: bytes), to: peer, now: now) }
        channel.writeAndFlush(t.payload, promise: nil)
        return t.payload
    }

    func run(until what: String, timeout: Double = 15, _ done: (TURNTCPDriver) -> Bool) async throws {
        try await waitUntil(timeout, what, every: .milliseconds(2)) {
            let messages = lock.withLock { () -> [ByteBuffer] in
                defer { inbox.removeAll() }
                return inbox
            }
            if let error = lock.withLock({ framingError }) { throw error }
            for m in messages {
                client.handle(ReceivedDatagram(source: client.configuration.server, destination: local, payload: m), now: .now())
            }
            if let d = client.nextDeadline, d <= .now() { client.handleTimeout(now: .now()) }
            flush()
            if done(self) { return true }
            if case .failed(let e) = client.state { throw e }
            return false
        }
    }

    @discardableResult
    func waitFor(_ what: String, _ match: @escaping (TURNEvent) -> Bool) async throws -> TURNEvent {
        var found: TURNEvent?
        try await run(until: what) { d in
            found = d.events.first(where: match)
            return found != nil
        }
        events.removeAll { match($0) }
        return found!
    }
}

/// The TURN client over TCP to a real coturn (RFC 8656 §3.1 with RFC 6062-style framing;
/// peers over UDP): allocation, permission, a channel with padded ChannelData both ways,
/// deallocation.
@Suite(.serialized) struct TURNCoturnOverTCPTests {
    @Test func allocatesAndRelaysThroughAChannelOverTCP() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer(CoturnConfiguration(authentication: .longTerm(username: "alice", password: "wonderland")))
        defer { server.stop() }
        let configuration = TURNClientConfiguration(server: TransportAddress(ip: .loopbackV4, port: server.port), username: "alice",
                                                    password: "wonderland", transport: .stream)
        let driver = try await TURNTCPDriver(configuration: configuration)
        defer { driver.channel.close(promise: nil) }
        let peer = try await TURNTestSocket()

        driver.with { c, now in c.allocate(now: now) }
        guard case .allocated(let allocation) = try await driver.waitFor("allocation over TCP", { if case .allocated = $0 { return true }; return false })
        else { return }
        #expect(allocation.serverReflexiveAddress == driver.local, "the TCP connection's address")

        // Send indication first (permission), then a channel: ChannelData padded to 4.
        try driver.with { c, now in try c.createPermission(for: peer.localAddress.ip, now: now) }
        try await driver.waitFor("permission") { $0 == .permissionInstalled(peer.localAddress.ip) }
        _ = try driver.send(Array("indication over tcp".utf8), to: peer.localAddress)
        let (from1, data1) = try await peer.receive()
        #expect(from1 == allocation.relayedAddress && String(buffer: data1) == "indication over tcp")

        try driver.with { c, now in _ = try c.bindChannel(to: peer.localAddress, now: now) }
        try await driver.waitFor("channel bound") { if case .channelBound = $0 { return true }; return false }
        let sent = try driver.send(Array("odd-length!".utf8), to: peer.localAddress)
        #expect(sent.readableBytes == 16, "4-byte header, 11 bytes, 1 byte of padding")
        let (_, data2) = try await peer.receive()
        #expect(String(buffer: data2) == "odd-length!")

        // The peer's replies come back as ChannelData on the stream, split by the framer.
        for text in ["a", "bb", "ccc", "dddd"] { peer.send(ByteBuffer(string: text), to: allocation.relayedAddress) }
        try await driver.run(until: "four replies") { $0.received.count == 4 }
        #expect(driver.received.map { String(buffer: $0.payload) } == ["a", "bb", "ccc", "dddd"])
        #expect(driver.received.allSatisfy { $0.channel != nil && $0.peer == peer.localAddress })

        driver.with { c, now in c.close(now: now) }
        try await driver.waitFor("deallocated") { $0 == .closed }
        await peer.close()
    }
}
