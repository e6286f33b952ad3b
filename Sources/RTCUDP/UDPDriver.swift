import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCCore
import RTCTURN

/// The UDP edge of one sans-IO core (`DatagramCore`: a bare `ICEAgent`, an `RTCSession`, later
/// an SFU's per-peer core): owns one socket per local address, the one timer, and the pump
/// that feeds the core datagrams and time and performs what it produced.
///
/// Everything runs on `eventLoop`, the loop the sockets are bound on. Create and use a driver
/// from code that runs there — typically an actor whose executor is that loop (as
/// `PeerConnection` is) — and call ``pump()`` after each command you give ``core``. The core
/// itself sits behind a lock (``shared``), so a quick command may also come from another
/// thread, with the pump handed to the loop afterwards:
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
/// burst; consecutive datagrams of one size to one destination leave as one UDP GSO write
/// (``usesSegmentationOffload``), which the kernel cuts into the same datagrams. Sockets have 4 MiB kernel buffers (kernel memory, not the process's RSS) and read one
/// datagram at a time into a 2 KiB buffer until they get busy: a socket whose reads come in
/// full bursts switches to vector reads of 32 datagrams (``UDPDriverHandler``), so an idle
/// connection keeps no 64 KiB read buffer and no vector-read arrays. The pump is `@inlinable`,
/// so the owner's module runs a copy specialized for its core.
public final class UDPDriver<Core: DatagramCore> {
    /// The loop the sockets, the timer and the core run on.
    public let eventLoop: any EventLoop
    /// The core. Give it commands on `eventLoop`, then call ``pump()``; other threads give
    /// theirs through ``shared`` and hand the pump to the loop.
    ///
    /// Every access takes ``shared``'s lock for its duration (uncontended while only the loop
    /// uses the core: a few tens of nanoseconds), so an owner may run quick commands on the
    /// caller's thread instead of hopping to the loop and back for each.
    @inlinable
    public var core: Core {
        _read {
            shared.lock.lock()
            defer { shared.lock.unlock() }
            yield shared.value
        }
        _modify {
            shared.lock.lock()
            defer { shared.lock.unlock() }
            yield &shared.value
        }
    }
    /// The core behind a lock, for commands from other threads (``SharedCore/withCore(_:)``).
    /// Transmits and events they produce stay queued in the core until the next ``pump()`` on
    /// the loop.
    public let shared: SharedCore<Core>
    /// `true` once ``close()`` started: datagrams and timers no longer reach the core.
    public private(set) var isClosed = false

    @usableFromInline let onEvent: (Core.Event) -> Void
    /// The most bytes a socket queues in the process (written, not yet taken by the kernel).
    public let maximumPendingWriteBytes: Int
    /// Datagrams dropped because their socket's queue held ``maximumPendingWriteBytes``
    /// already (a peer, or the kernel, not keeping up): memory stays bounded, the sender's own
    /// congestion control and retransmissions recover.
    public var datagramsDroppedUnwritable: Int { droppedUnwritable }
    @usableFromInline var droppedUnwritable = 0
    @usableFromInline let socketCounter: (@Sendable (_ delta: Int) -> Void)?
    @usableFromInline var sockets: [TransportAddress: any Channel] = [:]
    @usableFromInline var channelsToFlush: [ObjectIdentifier: any Channel] = [:]
    /// Whether consecutive equal-sized datagrams to one destination go out as one UDP GSO write
    /// (Linux 4.18+; `System.supportsUDPSegmentationOffload`). Turned off for good if such a
    /// write fails.
    public var usesSegmentationOffload = System.supportsUDPSegmentationOffload
    /// Datagrams a busy socket reads in vectors, after receive offload did not pay, before it
    /// tries receive offload again (its peers may have changed: a bulk sender that writes with
    /// segmentation offload after media senders that did not). Applies to sockets bound later.
    public var receiveOffloadRetryDatagrams = 262_144
    /// How many GSO writes (of two or more datagrams each) were made.
    public var segmentationOffloadWrites: Int { segmentedWrites }
    @usableFromInline var segmentedWrites = 0
    /// Datagrams that arrived several to a read (UDP receive offload, `UDP_GRO`, once a socket
    /// is busy; each is handed to the core on its own).
    public var coalescedDatagramsReceived: Int { coalescedDatagrams }
    @usableFromInline var coalescedDatagrams = 0
    @usableFromInline var batch = SegmentBatch()
    /// The most bytes one GSO write carries: a quarter of ``maximumPendingWriteBytes``, at most
    /// `SegmentBatch.maximumBytes`.
    @usableFromInline var batchByteLimit: Int { min(SegmentBatch.maximumBytes, maximumPendingWriteBytes / 4) }
    /// Destination socket addresses already converted (building one per datagram is costly).
    @usableFromInline var socketAddresses: [TransportAddress: SocketAddress] = [:]
    @usableFromInline var timer: Scheduled<Void>?
    @usableFromInline var timerDeadline: NIODeadline?
    /// How the sockets and the timer reach `self` without keeping it alive (made on the loop, once).
    @usableFromInline var callbacksStorage: NIOLoopBound<UDPDriverCallbacks>?
    /// TCP connections for transmits marked `viaStream` (TURN over TCP), by (local socket, server).
    @usableFromInline var streams: [StreamKey: StreamConnection] = [:]
    /// Handlers a stream connection to a server needs below the TURN framing, by the server's
    /// address: e.g. a TLS client handler for `turns:` (RFC 8656 §3.1; the owner makes it, so
    /// this module links no TLS). Called on the loop while the connection's pipeline is built;
    /// set before the first transmit to that server.
    public var streamPipelineSetup: [TransportAddress: @Sendable (any Channel) throws -> Void] = [:]

    /// Creates a driver for `core`; no socket is bound until ``bind(_:isolation:)``.
    /// - Parameters:
    ///   - maximumPendingWriteBytes: bound of each socket's queue in the process (4 MiB);
    ///     transmits beyond it are dropped and counted in ``datagramsDroppedUnwritable``.
    ///   - onEvent: receives every event the core reports, on `eventLoop`, in order.
    ///   - socketCounter: told `+1` when a socket's handler is made and `-1` when it is
    ///     released, so an owner can prove that closing released every socket.
    public init(core: Core, eventLoop: any EventLoop, socketCounter: (@Sendable (_ delta: Int) -> Void)? = nil,
                maximumPendingWriteBytes: Int = 4 << 20, onEvent: @escaping (Core.Event) -> Void) {
        self.maximumPendingWriteBytes = max(maximumPendingWriteBytes, 2)
        self.shared = SharedCore(core)
        self.eventLoop = eventLoop
        self.socketCounter = socketCounter
        self.onEvent = onEvent
    }

    deinit {
        // Dropped without close(): release the sockets and the timer.
        timer?.cancel()
        for channel in sockets.values { channel.close(promise: nil) }
        for stream in streams.values { stream.channel?.close(promise: nil) }
    }

    // MARK: Sockets

    /// Binds a UDP socket on an ephemeral port of every address, all at once (one event-loop
    /// round trip, not one per address), and returns the bound addresses. An address that
    /// cannot be bound (e.g. IPv6 disabled) is skipped. Call on `eventLoop`.
    @inlinable
    public func bind(_ addresses: [TransportAddress], isolation: isolated (any Actor)? = #isolation) async -> [TransportAddress] {
        let bootstrap = UDPDriverCallbacks.bootstrap(on: eventLoop, callbacks: callbacks(), socketCounter: socketCounter,
                                                     offloadRetryDatagrams: receiveOffloadRetryDatagrams,
                                                     maximumPendingWriteBytes: maximumPendingWriteBytes)
        let binding = addresses.map { address in
            var any = address
            any.port = 0
            return bootstrap.bind(to: any.socketAddress)
        }
        // One suspension for all of them, resumed on the caller's own executor: `future.get()`
        // is nonisolated, so each call left the caller's event loop for the global pool and came
        // back (two thread hand-offs per socket, about a third of a millisecond per offer or
        // answer for two sockets). Binds run on `eventLoop`, so they are mostly complete already.
        let results: [Result<any Channel, any Error>] = await withCheckedContinuation(isolation: isolation) { continuation in
            EventLoopFuture.whenAllComplete(binding, on: eventLoop).whenComplete { all in
                continuation.resume(returning: (try? all.get()) ?? [])
            }
        }
        var bound: [TransportAddress] = []
        for result in results {
            guard let channel = try? result.get() else { continue }
            guard !isClosed, let local = channel.localAddress.flatMap(TransportAddress.init(socketAddress:)) else {
                channel.close(promise: nil)  // closed while binding: close() has already closed the others
                continue
            }
            sockets[local] = channel
            bound.append(local)
        }
        return bound
    }

    /// The addresses sockets are bound on (with their ports).
    public var boundAddresses: [TransportAddress] { Array(sockets.keys) }

    /// Closes the sockets bound on `addresses` (their interface went away), and any TURN
    /// stream connection made from them. Call on `eventLoop`.
    public func closeSockets(on addresses: [TransportAddress]) {
        for address in addresses {
            sockets.removeValue(forKey: address)?.close(promise: nil)
            for (key, stream) in streams where key.local == address {
                stream.failed = true
                stream.channel?.close(promise: nil)
                streams[key] = nil
            }
        }
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
        batch = SegmentBatch()
        let channels = Array(sockets.values) + streams.values.compactMap(\.channel)
        sockets.removeAll()
        for stream in streams.values { stream.failed = true }
        streams.removeAll()
        for channel in channels { try? await channel.close() }
    }

    /// How many of the sockets read several datagrams at a time now (after they got busy; see
    /// ``UDPDriverHandler``): with UDP receive offload where the kernel has it, else in vectors
    /// (recvmmsg). The others read one datagram at a time. Call on `eventLoop`.
    public var busyReadingSocketCount: Int {
        sockets.values.filter { readsInVectors($0) || receivesOffloaded($0) }.count
    }

    /// How many of the sockets read with UDP receive offload now (busy, and their peers send
    /// GSO writes often enough that it pays; see ``UDPDriverHandler``). Call on `eventLoop`.
    public var receiveOffloadSocketCount: Int {
        sockets.values.filter { receivesOffloaded($0) }.count
    }


    // MARK: The pump

    /// Hands the core's events to `onEvent`, writes its transmits, flushes the sockets written
    /// to and re-arms the timer. Call after every command given to ``core``.
    @inlinable
    public func pump() {
        guard !isClosed else { return }
        drainEvents()
        writeTransmits()
        flushSockets()
        // What the core put off until the datagrams above were out (DatagramCore.runDeferredWork).
        if core.runDeferredWork(now: .now()) {
            drainEvents()
            writeTransmits()
            flushSockets()
        }
        rescheduleTimer()
    }

    /// A datagram arrived (from a socket's handler, on the loop). Writes are flushed at the
    /// end of the read burst.
    @inlinable
    func receive(_ datagram: ReceivedDatagram) {
        guard !isClosed else { return }
        core.handle(datagram, now: .now())
        drainEvents()
        writeTransmits()
    }

    @inlinable
    func drainEvents() {
        while let event = core.pollEvent() { onEvent(event) }
    }

    @inlinable
    func writeTransmits() {
        while let transmit = core.pollTransmit() {
            if transmit.viaStream {
                writeStream(transmit)
                continue
            }
            guard let channel = channel(for: transmit) else { continue }
            guard channel.isWritable else {
                droppedUnwritable += 1
                continue
            }
            let destination: SocketAddress
            if let known = socketAddresses[transmit.destination] {
                destination = known
            } else {
                destination = transmit.destination.socketAddress
                if socketAddresses.count >= 64 { socketAddresses.removeAll() }  // bounded: candidates are few
                socketAddresses[transmit.destination] = destination
            }
            if usesSegmentationOffload {
                // A batch is not in the channel's queue yet, so writability cannot see it: it is
                // kept to a quarter of the queue's bound (written when the next one would not fit).
                if batch.append(transmit.payload, channel: channel, destination: destination, byteLimit: batchByteLimit) { continue }
                writeBatch()
                if batch.start(transmit.payload, channel: channel, destination: destination) { continue }
            }
            channel.write(AddressedEnvelope(remoteAddress: destination, data: transmit.payload), promise: nil)
            channelsToFlush[ObjectIdentifier(channel)] = channel
        }
        // An open batch stays open until the flush: a read burst's datagrams (each acknowledging
        // some and releasing more data) then still go out in few GSO writes.
    }

    /// Writes the datagrams gathered in `batch`: one as it is, several as one UDP GSO write
    /// (the kernel cuts it into the same datagrams, one system call and one pass down the
    /// stack for all of them).
    @inlinable
    func writeBatch() {
        guard let channel = batch.channel, let destination = batch.destination else { return }
        let (payload, segmentSize, count) = batch.take()
        guard count > 1 else {
            channel.write(AddressedEnvelope(remoteAddress: destination, data: payload), promise: nil)
            channelsToFlush[ObjectIdentifier(channel)] = channel
            return
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let callbacks = callbacks()
        promise.futureResult.whenFailure { error in
            // The socket refused it (not a closed channel): no more GSO here.
            if error is IOError { callbacks.value.segmentationOffloadFailed() }
        }
        channel.write(AddressedEnvelope(remoteAddress: destination, data: payload,
                                        metadata: .init(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: segmentSize)),
                      promise: promise)
        channelsToFlush[ObjectIdentifier(channel)] = channel
        segmentedWrites += 1
    }

    /// A GSO write failed (a kernel or device that refuses it): later datagrams are written one
    /// by one. What that write carried is lost, like any datagram; the protocols above resend.
    @inlinable
    func segmentationOffloadFailed() {
        usesSegmentationOffload = false
    }

    @inlinable
    func flushSockets() {
        writeBatch()
        for channel in channelsToFlush.values { channel.flush() }
        channelsToFlush.removeAll(keepingCapacity: true)
    }

    /// The socket of the transmit's source address, else any socket of the destination's family.
    @inlinable
    func channel(for transmit: Transmit) -> (any Channel)? {
        if let source = transmit.source, let channel = sockets[source] { return channel }
        return sockets.first { $0.key.ip.isIPv4 == transmit.destination.ip.isIPv4 }?.value
    }

    // MARK: The timer

    @inlinable
    func rescheduleTimer() {
        guard !isClosed, let deadline = Self.nextDeadline(of: &core) else { return }
        // Re-arm only when the deadline moved earlier: a timer that fires early is harmless
        // (the core reports its next deadline again), and most datagrams change nothing.
        if let current = timerDeadline, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let callbacks = callbacks()
        timer = eventLoop.scheduleTask(deadline: deadline) { callbacks.value.timerFired() }
    }

    /// The core's next deadline, read in place: reading a property of a struct core through
    /// the class's stored property copies the whole core first (retaining everything in it),
    /// once per pump; through an `inout` access it is read where it is.
    @inlinable
    static func nextDeadline(of core: inout Core) -> NIODeadline? { core.nextDeadline }

    @inlinable
    func timerFired() {
        timerDeadline = nil
        timer = nil
        guard !isClosed else { return }
        core.handleTimeout(now: .now())
        pump()
    }

    /// The callbacks the sockets and the timer use; they hold `self` weakly.
    @inlinable
    func callbacks() -> NIOLoopBound<UDPDriverCallbacks> {
        if let callbacksStorage { return callbacksStorage }
        let made = NIOLoopBound(UDPDriverCallbacks(receive: { [weak self] in self?.receive($0) },
                                                   readComplete: { [weak self] in self?.pump() },
                                                   timerFired: { [weak self] in self?.timerFired() },
                                                   segmentationOffloadFailed: { [weak self] in self?.segmentationOffloadFailed() },
                                                   receivedCoalesced: { [weak self] in self?.coalescedDatagrams += $0 }),
                                eventLoop: eventLoop)
        callbacksStorage = made
        return made
    }
}

/// How a driver's sockets and timer call it: closures that hold the driver weakly (so they do
/// not keep it alive) and that, being made in the owner's module, run the pump specialized
/// for its core. Of no generic type, so the NIO closures that capture it capture no core type.
@usableFromInline
final class UDPDriverCallbacks {
    @usableFromInline let receive: (ReceivedDatagram) -> Void
    @usableFromInline let readComplete: () -> Void
    @usableFromInline let timerFired: () -> Void
    @usableFromInline let segmentationOffloadFailed: () -> Void
    /// A read with receive offload held this many datagrams (more than one).
    @usableFromInline let receivedCoalesced: (Int) -> Void

    @usableFromInline
    init(receive: @escaping (ReceivedDatagram) -> Void, readComplete: @escaping () -> Void, timerFired: @escaping () -> Void,
         segmentationOffloadFailed: @escaping () -> Void, receivedCoalesced: @escaping (Int) -> Void) {
        self.receive = receive
        self.readComplete = readComplete
        self.timerFired = timerFired
        self.segmentationOffloadFailed = segmentationOffloadFailed
        self.receivedCoalesced = receivedCoalesced
    }

    /// A bootstrap for a driver's sockets: single reads into a 2 KiB buffer until the socket
    /// gets busy (then vector reads, see ``UDPDriverHandler``), 4 MiB kernel buffers, a bounded
    /// queue in the process, and a handler that calls `callbacks`.
    @usableFromInline
    static func bootstrap(on eventLoop: any EventLoop, callbacks: NIOLoopBound<UDPDriverCallbacks>,
                          socketCounter: (@Sendable (_ delta: Int) -> Void)?, offloadRetryDatagrams: Int,
                          maximumPendingWriteBytes: Int) -> DatagramBootstrap {
        // No SO_REUSEADDR: every socket binds an ephemeral port, and on Linux a port-0 bind with
        // SO_REUSEADDR may be given a port another SO_REUSEADDR socket already has; datagrams for
        // one of them then reach the other (seen with 2,000 connections in one process: ~70 lost
        // consent and failed).
        DatagramBootstrap(group: eventLoop)
            .channelOption(.writeBufferWaterMark,
                           value: ChannelOptions.Types.WriteBufferWaterMark(low: maximumPendingWriteBytes / 2, high: maximumPendingWriteBytes))
            .channelOption(.maxMessagesPerRead, value: UInt(UDPDriverHandler.busyBurst))
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPDriverHandler.datagramCapacity))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = UDPDriverHandler(callbacks: callbacks.value, socketCounter: socketCounter,
                                                   offloadRetryDatagrams: offloadRetryDatagrams)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }
}

/// Datagrams gathered for one UDP GSO write (`UDP_SEGMENT`, per message): consecutive
/// transmits from one socket to one destination, all of the first one's size except possibly a
/// shorter last one (the kernel cuts the buffer at every `segmentSize` bytes).
@usableFromInline
struct SegmentBatch {
    /// Datagrams larger than this are never batched (a GSO segment must fit the path MTU;
    /// a plain write of a larger one may still be fragmented by IP).
    @usableFromInline static let maximumSegmentSize = 1400
    /// At most this many per write (the kernel's `UDP_MAX_SEGMENTS` is 64 or more) …
    @usableFromInline static let maximumSegments = 64
    /// … and this many bytes (a UDP datagram over IPv4 carries at most 65,507).
    @usableFromInline static let maximumBytes = 65_000

    @usableFromInline var channel: (any Channel)?
    @usableFromInline var destination: SocketAddress?
    /// The first datagram, kept as it is while it is alone (no copy for a batch of one).
    @usableFromInline var first: ByteBuffer?
    @usableFromInline var joined: ByteBuffer?
    @usableFromInline var segmentSize = 0
    @usableFromInline var count = 0
    /// A shorter datagram ended the batch.
    @usableFromInline var closed = false

    @usableFromInline init() {}

    /// Starts a batch with `payload`; `false` (and nothing started) when it cannot be batched.
    @inlinable
    mutating func start(_ payload: ByteBuffer, channel: any Channel, destination: SocketAddress) -> Bool {
        let size = payload.readableBytes
        guard size > 0, size <= Self.maximumSegmentSize else { return false }
        self.channel = channel
        self.destination = destination
        first = payload
        segmentSize = size
        count = 1
        closed = false
        return true
    }

    /// Adds `payload` if it continues the batch; `false` when it does not (the batch is
    /// then written and a new one started).
    @inlinable
    mutating func append(_ payload: ByteBuffer, channel: any Channel, destination: SocketAddress, byteLimit: Int) -> Bool {
        guard let current = self.channel, !closed, count < Self.maximumSegments, current === channel,
              destination == self.destination else { return false }
        let size = payload.readableBytes
        guard size > 0, size <= segmentSize, (count + 1) * segmentSize <= min(byteLimit, Self.maximumBytes) else { return false }
        if count == 1, let first {
            var buffer = channel.allocator.buffer(capacity: min(Self.maximumSegments * segmentSize, Self.maximumBytes))
            buffer.writeImmutableBuffer(first)
            joined = buffer
            self.first = nil
        }
        joined!.writeImmutableBuffer(payload)
        count += 1
        if size < segmentSize { closed = true }
        return true
    }

    /// The batch's bytes, segment size and datagram count; the batch is empty afterwards.
    @inlinable
    mutating func take() -> (payload: ByteBuffer, segmentSize: Int, count: Int) {
        defer {
            channel = nil
            destination = nil
            first = nil
            joined = nil
            count = 0
        }
        return (count == 1 ? first! : joined!, segmentSize, count)
    }
}

/// Whether a socket reads in vectors (recvmmsg). Call on its loop.
private func readsInVectors(_ socket: any Channel) -> Bool {
    ((try? socket.syncOptions?.getOption(.datagramVectorReadMessageCount)) ?? 0) > 1
}

/// Whether a socket reads with UDP receive offload. Call on its loop.
private func receivesOffloaded(_ socket: any Channel) -> Bool {
    (try? socket.syncOptions?.getOption(.datagramReceiveOffload)) ?? false
}
