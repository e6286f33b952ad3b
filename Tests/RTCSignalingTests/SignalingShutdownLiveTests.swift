import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCSignalingServer
import RTCTestSupport
import Testing

@Suite("Signaling server shutdown with idle connections", .serialized)
struct SignalingShutdownLiveTests {
    /// Connections that hold no WebSocket do not hold the server's graceful shutdown: one that
    /// never sent a request (a browser's preconnect, a client stopped while connecting), one
    /// that sent half a request head, one idle after a keep-alive request. The server closes
    /// each and `run()` returns.
    @Test func idleConnectionsDoNotHoldShutdown() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        var configuration = SignalingServerConfiguration()
        configuration.port = 0
        let server = SignalingServer(configuration: configuration)
        let running = Task { try await server.run(handleSignals: false) }
        let port = try await withTimeout(30, "the signaling server listening") { try await server.waitUntilRunning() }

        let silent = try await RawConnection.open(port: port)
        let halfHead = try await RawConnection.open(port: port)
        try await halfHead.send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let keptAlive = try await RawConnection.open(port: port)
        try await keptAlive.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try await waitUntil(10, "the /health response") { keptAlive.received.contains("\r\n\r\n{") }
        #expect(keptAlive.received.hasPrefix("HTTP/1.1 200"))
        #expect(await server.stats().connections == 0)

        await server.shutdown()
        try await withTimeout(10, "the signaling server stopping with idle connections open") { try await running.value }
        for (name, connection) in [("silent", silent), ("half a head", halfHead), ("kept alive", keptAlive)] {
            try await withTimeout(10, "the server closing the \(name) connection") { try await connection.channel.closeFuture.get() }
        }
    }

    /// A connection that has not sent a whole request head within `requestHeadTimeout` is
    /// closed by the server, whether it sent nothing or trickles a head; one that sent its
    /// request in time is served and stays open.
    @Test func aConnectionWithoutARequestHeadInTimeIsClosed() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        var configuration = SignalingServerConfiguration()
        configuration.port = 0
        configuration.requestHeadTimeout = .milliseconds(300)
        let server = SignalingServer(configuration: configuration)
        let running = Task { try await server.run(handleSignals: false) }
        let port = try await withTimeout(30, "the signaling server listening") { try await server.waitUntilRunning() }

        // The served connection first, its request sent at once: the timeout runs from the
        // accept, and opening the others first could take longer than it under load.
        let served = try await RawConnection.open(port: port)
        try await served.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let silent = try await RawConnection.open(port: port)
        let trickling = try await RawConnection.open(port: port)
        for byte in "GET /ws HTTP/1.1\r\nHo".utf8 {
            try? await trickling.send(String(UnicodeScalar(byte)))
            try await Task.sleep(for: .milliseconds(20))
        }
        try await withTimeout(10, "the server closing the silent connection") { try await silent.channel.closeFuture.get() }
        try await withTimeout(10, "the server closing the trickling connection") { try await trickling.channel.closeFuture.get() }
        #expect(served.received.hasPrefix("HTTP/1.1 200"))
        #expect(served.channel.isActive, "a connection that sent its request in time stays open")

        await server.shutdown()
        try await withTimeout(10, "the signaling server stopping") { try await running.value }
    }
}

/// A TCP client that sends what it is told and keeps what it receives.
private final class RawConnection: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let bytes = NIOLockedValueBox("")
    private let channelBox = NIOLockedValueBox<(any Channel)?>(nil)

    var channel: any Channel { channelBox.withLockedValue { $0! } }
    var received: String { bytes.withLockedValue { $0 } }

    static func open(port: Int) async throws -> RawConnection {
        let connection = RawConnection()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(connection) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        connection.channelBox.withLockedValue { $0 = channel }
        return connection
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        bytes.withLockedValue { $0 += String(buffer: buffer) }
    }
}
