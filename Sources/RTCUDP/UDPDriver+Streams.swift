import NIOCore
import NIOPosix
import RTCCore
import RTCTURN

/// Which stream connection a `viaStream` transmit uses: from the IP of `local` (the UDP socket
/// the core sends "from", which is also where it expects the replies) to `remote`.
@usableFromInline
struct StreamKey: Hashable, Sendable {
    @usableFromInline let local: TransportAddress
    @usableFromInline let remote: TransportAddress

    @usableFromInline
    init(local: TransportAddress, remote: TransportAddress) {
        self.local = local
        self.remote = remote
    }
}

/// One TCP connection of a driver (loop-confined): what waits for the connection, the channel
/// once connected, and whether it failed or closed (then its transmits are dropped: a TURN
/// allocation over TCP lives and dies with its connection, RFC 8656 §3.1, so it is not
/// reconnected; the core is told at once with `DatagramCore.streamClosed`).
@usableFromInline
final class StreamConnection {
    var channel: (any Channel)?
    var pending: [ByteBuffer] = []
    @usableFromInline var failed = false

    init(pending: ByteBuffer) { self.pending = [pending] }
}

extension UDPDriver {
    /// How many payloads may wait for a connection to open (TURN requests and early data).
    static var maximumPendingStreamWrites: Int { 256 }

    /// Writes a `viaStream` transmit to its connection, opening it on first use.
    @usableFromInline
    func writeStream(_ transmit: Transmit) {
        guard let local = transmit.source ?? sockets.keys.first(where: { $0.ip.isIPv4 == transmit.destination.ip.isIPv4 }) else { return }
        let key = StreamKey(local: local, remote: transmit.destination)
        guard let connection = streams[key] else {
            let connection = StreamConnection(pending: transmit.payload)
            streams[key] = connection
            connect(key, connection)
            return
        }
        guard !connection.failed else { return }
        if let channel = connection.channel {
            channel.write(transmit.payload, promise: nil)
            channelsToFlush[ObjectIdentifier(channel)] = channel
        } else if connection.pending.count < Self.maximumPendingStreamWrites {
            connection.pending.append(transmit.payload)
        }
    }

    /// Opens the TCP connection from `key.local`'s IP (an ephemeral port) to `key.remote`;
    /// what it reads is framed (`TURNStreamFramer`) and each message reaches the core as a
    /// datagram from `key.remote` to `key.local`.
    func connect(_ key: StreamKey, _ connection: StreamConnection) {
        var bindAddress = key.local
        bindAddress.port = 0
        let callbacks = callbacks()
        let closed = NIOLoopBound({ [weak self, weak connection] (reason: String) in
            guard let connection, !connection.failed else { return }
            connection.failed = true
            connection.channel = nil
            self?.streamFailed(key, reason: reason)
        }, eventLoop: eventLoop)
        let socketCounter = socketCounter
        let setup = streamPipelineSetup[key.remote]
        let future = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(to: bindAddress.socketAddress)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try setup?(channel)
                    let handler = UDPDriverStreamHandler(key: key, callbacks: callbacks.value, closed: closed.value, socketCounter: socketCounter)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: key.remote.socketAddress)
        let connected = NIOLoopBound({ [weak self, weak connection] (result: Result<any Channel, any Error>) in
            guard let connection else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let channel):
                guard let self, !self.isClosed, !connection.failed else {
                    channel.close(promise: nil)
                    return
                }
                connection.channel = channel
                for payload in connection.pending { channel.write(payload, promise: nil) }
                connection.pending.removeAll()
                channel.flush()
            case .failure(let error):
                guard !connection.failed else { return }
                connection.failed = true
                connection.pending.removeAll()
                self?.streamFailed(key, reason: "cannot connect: \(error)")
            }
        }, eventLoop: eventLoop)
        future.whenComplete { connected.value($0) }
    }
}

extension UDPDriver {
    /// Tells the core a stream connection is gone (not when the driver itself is closing).
    func streamFailed(_ key: StreamKey, reason: String) {
        guard !isClosed else { return }
        core.streamClosed(local: key.local, remote: key.remote, reason: reason, now: .now())
        pump()
    }
}

/// A stream connection's handler: splits what it reads into TURN messages and hands each to
/// the driver as a datagram from the server to the local socket, on the loop.
final class UDPDriverStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let key: StreamKey
    private let callbacks: UDPDriverCallbacks
    private let closed: (String) -> Void
    /// The last error the pipeline reported (a TLS handshake failure, a reset), for the reason.
    private var lastError: (any Error)?
    private let socketCounter: (@Sendable (_ delta: Int) -> Void)?
    private var framer = TURNStreamFramer()

    init(key: StreamKey, callbacks: UDPDriverCallbacks, closed: @escaping (String) -> Void, socketCounter: (@Sendable (_ delta: Int) -> Void)?) {
        self.key = key
        self.callbacks = callbacks
        self.closed = closed
        self.socketCounter = socketCounter
        socketCounter?(1)
    }

    deinit { socketCounter?(-1) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        framer.append(unwrapInboundIn(data))
        do {
            while let message = try framer.next() {
                callbacks.receive(ReceivedDatagram(source: key.remote, destination: key.local, payload: message))
            }
        } catch {
            // Out of step: nothing after can be trusted.
            lastError = error
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        callbacks.readComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed(lastError.map { "\($0)" } ?? "closed by the server")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if lastError == nil { lastError = error }
        context.close(promise: nil)
    }
}
