import Foundation
import NIOCore
import NIOPosix
import RTCCore
import RTCICE

/// The UDP edge of RTCICE's `MDNSResolver`, shared by every connection of the process: one
/// socket on port 5353 (shared with other mDNS software through SO_REUSEADDR/SO_REUSEPORT)
/// that joined the mDNS group 224.0.0.251 on every IPv4 interface; each query goes out on every
/// interface (RFC 6762 §5.2: from port 5353, TTL 255), answers arrive on the group. Opened on
/// the first `.local` candidate, on one event loop; its one timer drives the resolver.
final class MDNSQuerier: @unchecked Sendable {
    /// The process's querier.
    static let shared = MDNSQuerier(eventLoop: MultiThreadedEventLoopGroup.singleton.next())

    let eventLoop: any EventLoop
    // Everything below is touched on `eventLoop` only.
    private var resolver = MDNSResolver()
    private var channel: (any Channel)?
    private var opening = false
    private var openError: (any Error)?
    private var interfaces: [(device: NIONetworkDevice, address: in_addr)] = []
    private var waiters: [String: [CheckedContinuation<IPAddress?, Never>]] = [:]
    private var timer: Scheduled<Void>?

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// The address `name` resolves to, or `nil` when no answer came within the resolver's
    /// timeout (or no socket could be opened: another program holds port 5353 exclusively).
    func resolve(_ name: String) async -> IPAddress? {
        let key = (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
        return await withCheckedContinuation { continuation in
            eventLoop.execute { self.start(key, continuation) }
        }
    }

    private func start(_ key: String, _ continuation: CheckedContinuation<IPAddress?, Never>) {
        if openError != nil { return continuation.resume(returning: nil) }
        if let address = resolver.resolve(key, now: .now()) { return continuation.resume(returning: address) }
        waiters[key, default: []].append(continuation)
        pump()
    }

    private func pump() {
        guard let channel else { return open() }
        while let query = resolver.pollTransmit() {
            let envelope = AddressedEnvelope(remoteAddress: try! SocketAddress(ipAddress: "224.0.0.251", port: 5353), data: query)
            if interfaces.isEmpty { channel.write(envelope, promise: nil) }
            // The outgoing interface is a socket option: set it, write, next interface (in order on the loop).
            for interface in interfaces {
                _ = (channel as? any SocketOptionProvider)?.setIPMulticastIF(interface.address)
                channel.write(envelope, promise: nil)
            }
            channel.flush()
        }
        while let event = resolver.pollEvent() {
            switch event {
            case .resolved(let name, let address): finish(name, address)
            case .unresolved(let name): finish(name, nil)
            }
        }
        timer?.cancel()
        timer = nil
        if let deadline = resolver.nextDeadline {
            timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
                resolver.handleTimeout(now: .now())
                pump()
            }
        }
    }

    private func finish(_ name: String, _ address: IPAddress?) {
        for waiter in waiters.removeValue(forKey: name) ?? [] { waiter.resume(returning: address) }
    }

    private func open() {
        guard !opening else { return }
        opening = true
        let reusePort = ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT))
        let devices = ((try? System.enumerateDevices()) ?? []).filter { device in
            guard case .v4(let v4)? = device.address else { return false }
            return v4.address.sin_addr.s_addr != UInt32(0x7f00_0001).bigEndian  // loopback carries no mDNS
        }
        DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(reusePort, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(querier: self)) }
            }
            .bind(host: "0.0.0.0", port: 5353)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                let group = try! SocketAddress(ipAddress: "224.0.0.251", port: 5353)
                let joins = devices.map { (channel as! any MulticastChannel).joinGroup(group, device: $0) }
                let ttl = (channel as? any SocketOptionProvider)?.setIPMulticastTTL(255) ?? channel.eventLoop.makeSucceededVoidFuture()
                // An interface that cannot join (no multicast) is skipped; the others still work.
                return EventLoopFuture.whenAllComplete(joins + [ttl], on: channel.eventLoop).map { results in
                    for (device, result) in zip(devices, results) {
                        if case .success = result, case .v4(let v4)? = device.address {
                            self.interfaces.append((device, v4.address.sin_addr))
                        }
                    }
                    return channel
                }
            }
            .whenComplete { result in
                self.opening = false
                switch result {
                case .success(let channel):
                    self.channel = channel
                    self.pump()
                case .failure(let error):
                    self.openError = error
                    for (name, _) in self.waiters { self.finish(name, nil) }
                }
            }
    }

    fileprivate func received(_ datagram: ByteBuffer) {
        resolver.handle(datagram, now: .now())
        pump()
    }

    /// Hands what arrives on the socket to the resolver.
    private final class Reader: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let querier: MDNSQuerier
        init(querier: MDNSQuerier) { self.querier = querier }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            querier.received(Self.unwrapInboundIn(data).data)
        }
    }
}
