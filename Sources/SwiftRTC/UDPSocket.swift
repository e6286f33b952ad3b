import NIOCore
import NIOPosix
import RTCCore

extension TransportAddress {
    /// Converts a NIO socket address (IPv4 or IPv6); `nil` for Unix sockets.
    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let a):
            guard let port = socketAddress.port else { return nil }
            self.init(ip: .v4(UInt32(bigEndian: a.address.sin_addr.s_addr)), port: UInt16(port))
        case .v6(let a):
            guard let port = socketAddress.port else { return nil }
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            guard let ip = IPAddress(bytes: bytes) else { return nil }
            self.init(ip: ip, port: UInt16(port))
        default:
            return nil
        }
    }

    /// The NIO socket address for sending.
    var socketAddress: SocketAddress {
        switch ip {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = a.bigEndian
            return SocketAddress(sin, host: "")
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, b) in ip.bytes.enumerated() { raw[i] = b }
            }
            return SocketAddress(sin6, host: "")
        }
    }
}

/// Binds the UDP sockets of a peer connection and feeds their datagrams to it on its loop.
enum UDPSocket {
    /// Starts binding a socket on `address` (any port); the future completes with the channel.
    static func bind(address: TransportAddress, on eventLoop: any EventLoop, connection: PeerConnection,
                     liveObjects: LiveObjects) -> EventLoopFuture<any Channel> {
        let bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler(connection: connection, liveObjects: liveObjects))
                }
            }
        var bindAddress = address
        bindAddress.port = 0
        return bootstrap.bind(to: bindAddress.socketAddress)
    }
}

/// Hands each datagram to the connection synchronously (we are on its executor) and flushes
/// once per read burst.
private final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private weak var connection: PeerConnection?
    private var local: TransportAddress?
    // The last source converted: a data-channel flow comes from one address, and converting an
    // IPv6 socket address costs more than the rest of receiving the datagram.
    private var lastSource: (socket: SocketAddress, transport: TransportAddress)?

    private let liveObjects: LiveObjects

    init(connection: PeerConnection, liveObjects: LiveObjects) {
        self.connection = connection
        self.liveObjects = liveObjects
        liveObjects.created(.socketHandler)
    }

    deinit { liveObjects.destroyed(.socketHandler) }

    func channelActive(context: ChannelHandlerContext) {
        local = context.channel.localAddress.flatMap(TransportAddress.init(socketAddress:))
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let connection, let local else { return }
        let source: TransportAddress
        if let last = lastSource, last.socket == envelope.remoteAddress {
            source = last.transport
        } else {
            guard let converted = TransportAddress(socketAddress: envelope.remoteAddress) else { return }
            lastSource = (envelope.remoteAddress, converted)
            source = converted
        }
        connection.assumeIsolated { $0.receive(ReceivedDatagram(source: source, destination: local, payload: envelope.data)) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.assumeIsolated { $0.flushAfterReads() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (e.g. port unreachable after the peer left) surface here; ICE consent
        // handles a dead path, so the socket stays open.
    }
}

/// The host addresses ICE may gather from.
enum LocalInterfaces {
    static func hostAddresses(includeLoopback: Bool, includeIPv6: Bool) throws -> [TransportAddress] {
        var out: [TransportAddress] = []
        for device in try System.enumerateDevices() {
            guard let address = device.address, let t = TransportAddress(socketAddress: address) else { continue }
            if t.ip.isLoopback && !includeLoopback { continue }
            if !t.ip.isIPv4 && (!includeIPv6 || t.ip.isLinkLocal) { continue }
            if !out.contains(t) { out.append(t) }
        }
        return out
    }
}
