import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCDTLS
import RTCTestSupport

/// Test-only UDP edge: drives a `DTLSConnection` over a real NIO datagram socket on 127.0.0.1
/// (the production driver lives in a later layer; here the edge is test code).
final class DTLSUDPDriver: @unchecked Sendable {
    private final class Inbox: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<[AddressedEnvelope<ByteBuffer>]>
        init(_ box: NIOLockedValueBox<[AddressedEnvelope<ByteBuffer>]>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            box.withLockedValue { $0.append(envelope) }
        }
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: Channel
    private let inbox = NIOLockedValueBox<[AddressedEnvelope<ByteBuffer>]>([])
    var connection: DTLSConnection
    var remote: SocketAddress?
    private(set) var events: [DTLSEvent] = []

    init(connection: DTLSConnection, remote: SocketAddress?) throws {
        self.connection = connection
        self.remote = remote
        let box = inbox
        channel = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbox(box)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    var localPort: Int { channel.localAddress?.port ?? 0 }

    /// One turn: feed received datagrams and expired timers, send what the connection wants.
    func pump() throws {
        let received = inbox.withLockedValue { value -> [AddressedEnvelope<ByteBuffer>] in defer { value.removeAll() }; return value }
        for envelope in received {
            if remote == nil { remote = envelope.remoteAddress }
            connection.handle(envelope.data, now: .now())
        }
        if let deadline = connection.nextDeadline, deadline <= .now() { connection.handleTimeout(now: .now()) }
        flush()
        while let event = connection.pollEvent() { events.append(event) }
    }

    func flush() {
        while let datagram = connection.pollTransmit() {
            guard let remote else { continue }
            channel.write(AddressedEnvelope(remoteAddress: remote, data: datagram), promise: nil)
        }
        channel.flush()
    }

    /// Pumps until `done(events)` holds; throws after `timeout` seconds.
    func run(timeout: Double = 15, until done: ([DTLSEvent]) -> Bool) async throws {
        try await waitUntil(timeout, "the DTLS condition; events so far: \(events)", every: .milliseconds(2)) {
            try pump()
            return done(events)
        }
    }

    /// Received application data, concatenated as text.
    var receivedText: String {
        events.reduce(into: "") { text, event in
            if case .applicationData(let buffer) = event { text += String(buffer: buffer) }
        }
    }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
