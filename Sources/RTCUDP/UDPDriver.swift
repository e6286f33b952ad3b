import NIOCore
import NIOPosix
import RTCCore

/// The UDP edge of one sans-IO core (`DatagramCore`: a bare `ICEAgent`, an `RTCSession`, later
/// an SFU's per-peer core): owns one socket per local address, the one timer, and the pump
/// that feeds the core datagrams and time and performs what it produced.
///
/// Everything runs on `eventLoop`, the loop the sockets are bound on. Create and use a driver
/// from code that runs there — typically an actor whose executor is that loop (as
/// `PeerConnection` is) — and call ``pump()`` after each command you give ``core``:
///
/// ```swift
/// let driver = UDPDriver(core: agent, eventLoop: loop) { event in … }   // events, on the loop
/// let bound = await driver.bind(addresses)
/// driver.core.startGathering(localAddresses: bound, now: .now())
/// driver.pump()
/// ```
///
/// The datagram path has no task, actor hop or allocation of its own: each socket's handler
/// hands a datagram straight to the core (the source address conversion is cached), events go
/// to the owner's `onEvent` synchronously, and writes are batched and flushed once per read
/// burst. Sockets use vector reads and 4 MiB kernel buffers.
public final class UDPDriver<Core: DatagramCore> {
    /// The loop the sockets, the timer and the core run on.
    public let eventLoop: any EventLoop
    /// The core. Give it commands on `eventLoop`, then call ``pump()``.
    public var core: Core
    /// `true` once ``close()`` started: datagrams and timers no longer reach the core.
    public private(set) var isClosed = false
    /// The local addresses with a bound socket (ports assigned).
    public var localAddresses: [TransportAddress] { Array(sockets.keys) }

    private let onEvent: (Core.Event) -> Void
    private let socketCounter: (@Sendable (_ delta: Int) -> Void)?
    private var sockets: [TransportAddress: any Channel] = [:]
    private var channelsToFlush: [ObjectIdentifier: any Channel] = [:]
    /// Destination socket addresses already converted (building one per datagram is costly).
    private var socketAddresses: [TransportAddress: SocketAddress] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// A weak reference to `self` for the socket handlers (made on the loop, once).
    private var weakSelf: NIOLoopBound<WeakDriver<Core>>?
    /// Calls `timerFired()` through a weak reference (made on the loop, once).
    private var timerCallback: NIOLoopBound<TimerCallback>?

    /// Creates a driver for `core`; no socket is bound until ``bind(_:isolation:)``.
    /// - Parameters:
    ///   - onEvent: receives every event the core reports, on `eventLoop`, in order.
    ///   - socketCounter: told `+1` when a socket's handler is made and `-1` when it is
    ///     released, so an owner can prove that closing released every socket.
    public init(core: Core, eventLoop: any EventLoop, socketCounter: (@Sendable (_ delta: Int) -> Void)? = nil,
                onEvent: @escaping (Core.Event) -> Void) {
        self.core = core
        self.eventLoop = eventLoop
        self.socketCounter = socketCounter
        self.onEvent = onEvent
    }

    deinit {
        // Dropped without close(): release the sockets and the timer.
        timer?.cancel()
        for channel in sockets.values { channel.close(promise: nil) }
    }

    // MARK: Sockets

    /// Binds a UDP socket on an ephemeral port of every address, all at once (one event-loop
    /// round trip, not one per address), and returns the bound addresses. An address that
    /// cannot be bound (e.g. IPv6 disabled) is skipped. Call on `eventLoop`.
    public func bind(_ addresses: [TransportAddress], isolation: isolated (any Actor)? = #isolation) async -> [TransportAddress] {
        let target = weakReference()
        let counter = socketCounter
        let bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = UDPDriverHandler(driver: target.value.driver, socketCounter: counter)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let binding = addresses.map { address in
            var any = address
            any.port = 0
            return bootstrap.bind(to: any.socketAddress)
        }
        var bound: [TransportAddress] = []
        for future in binding {
            guard let channel = try? await future.get() else { continue }
            guard !isClosed, let local = channel.localAddress.flatMap(TransportAddress.init(socketAddress:)) else {
                channel.close(promise: nil)  // closed while binding: close() has already closed the others
                continue
            }
            sockets[local] = channel
            bound.append(local)
        }
        return bound
    }

    /// Stops the driver: datagrams and timers no longer reach the core, and every socket is
    /// closed (awaited). Drain the core (e.g. its close_notify) with ``pump()`` before.
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        guard !isClosed else { return }
        isClosed = true
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        channelsToFlush.removeAll()
        let channels = Array(sockets.values)
        sockets.removeAll()
        for channel in channels { try? await channel.close() }
    }

    // MARK: The pump

    /// Hands the core's events to `onEvent`, writes its transmits, flushes the sockets written
    /// to and re-arms the timer. Call after every command given to ``core``.
    public func pump() {
        guard !isClosed else { return }
        drainEvents()
        writeTransmits()
        flushSockets()
        rescheduleTimer()
    }

    /// A datagram arrived (called by a socket's handler on the loop). Writes are flushed at
    /// the end of the read burst.
    fileprivate func receive(_ datagram: ReceivedDatagram) {
        guard !isClosed else { return }
        core.handle(datagram, now: .now())
        drainEvents()
        writeTransmits()
    }

    /// Remembers the socket address of a sender, so that answering it converts nothing.
    fileprivate func learn(_ socketAddress: SocketAddress, for address: TransportAddress) {
        if socketAddresses[address] == nil { cache(socketAddress, for: address) }
    }

    private func drainEvents() {
        while let event = core.pollEvent() { onEvent(event) }
    }

    private func writeTransmits() {
        while let transmit = core.pollTransmit() {
            guard let channel = channel(for: transmit) else { continue }
            let destination: SocketAddress
            if let known = socketAddresses[transmit.destination] {
                destination = known
            } else {
                destination = transmit.destination.socketAddress
                cache(destination, for: transmit.destination)
            }
            channel.write(AddressedEnvelope(remoteAddress: destination, data: transmit.payload), promise: nil)
            channelsToFlush[ObjectIdentifier(channel)] = channel
        }
    }

    private func cache(_ socketAddress: SocketAddress, for address: TransportAddress) {
        if socketAddresses.count >= 64 { socketAddresses.removeAll() }  // bounded: candidates are few
        socketAddresses[address] = socketAddress
    }

    private func flushSockets() {
        for channel in channelsToFlush.values { channel.flush() }
        channelsToFlush.removeAll(keepingCapacity: true)
    }

    /// The socket of the transmit's source address, else any socket of the destination's family.
    private func channel(for transmit: Transmit) -> (any Channel)? {
        if let source = transmit.source, let channel = sockets[source] { return channel }
        return sockets.first { $0.key.ip.isIPv4 == transmit.destination.ip.isIPv4 }?.value
    }

    // MARK: The timer

    private func rescheduleTimer() {
        guard !isClosed, let deadline = core.nextDeadline else { return }
        // Re-arm only when the deadline moved earlier: a timer that fires early is harmless
        // (the core reports its next deadline again), and most datagrams change nothing.
        if let current = timerDeadline, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let callback: NIOLoopBound<TimerCallback>
        if let made = timerCallback {
            callback = made
        } else {
            callback = NIOLoopBound(TimerCallback { [weak self] in self?.timerFired() }, eventLoop: eventLoop)
            timerCallback = callback
        }
        timer = eventLoop.scheduleTask(deadline: deadline) { callback.value.fire() }
    }

    private func timerFired() {
        timerDeadline = nil
        timer = nil
        guard !isClosed else { return }
        core.handleTimeout(now: .now())
        pump()
    }

    private func weakReference() -> NIOLoopBound<WeakDriver<Core>> {
        if let weakSelf { return weakSelf }
        let made = NIOLoopBound(WeakDriver(self), eventLoop: eventLoop)
        weakSelf = made
        return made
    }
}

/// A weak reference to a driver, so that its sockets and timer do not keep it alive.
final class WeakDriver<Core: DatagramCore> {
    weak var driver: UDPDriver<Core>?
    init(_ driver: UDPDriver<Core>) { self.driver = driver }
}

/// The timer's action, in a box of no generic type (a scheduled task's closure must not
/// capture the core's type).
final class TimerCallback {
    let fire: () -> Void
    init(_ fire: @escaping () -> Void) { self.fire = fire }
}

/// One socket's handler: hands each datagram to the driver synchronously (we are on its loop)
/// and lets it flush once per read burst.
final class UDPDriverHandler<Core: DatagramCore>: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private weak var driver: UDPDriver<Core>?
    private var local: TransportAddress?
    // The last source converted: a data-channel flow comes from one address, and converting an
    // IPv6 socket address costs more than the rest of receiving the datagram.
    private var lastSource: (socket: SocketAddress, transport: TransportAddress)?
    private let socketCounter: (@Sendable (_ delta: Int) -> Void)?

    init(driver: UDPDriver<Core>?, socketCounter: (@Sendable (_ delta: Int) -> Void)?) {
        self.driver = driver
        self.socketCounter = socketCounter
        socketCounter?(1)
    }

    deinit { socketCounter?(-1) }

    func channelActive(context: ChannelHandlerContext) {
        local = context.channel.localAddress.flatMap(TransportAddress.init(socketAddress:))
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let driver, let local else { return }
        let source: TransportAddress
        if let last = lastSource, last.socket == envelope.remoteAddress {
            source = last.transport
        } else {
            guard let converted = TransportAddress(socketAddress: envelope.remoteAddress) else { return }
            lastSource = (envelope.remoteAddress, converted)
            driver.learn(envelope.remoteAddress, for: converted)
            source = converted
        }
        driver.receive(ReceivedDatagram(source: source, destination: local, payload: envelope.data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver?.pump()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (e.g. port unreachable after the peer left) surface here; the core
        // handles a dead path (ICE consent), so the socket stays open.
    }
}
