import NIOCore
import NIOPosix
import RTCCore

/// One socket's handler: hands each datagram to the driver synchronously (we are on its loop)
/// and lets it flush once per read burst.
///
/// It also sizes the socket's reads. A socket starts with single reads into one 2 KiB buffer
/// (what an idle connection — consent checks every few seconds — needs). When
/// `busyBurstsToVectorize` read bursts in a row each hit the read limit (`busyBurst`
/// datagrams), data is flowing: the socket switches to UDP receive offload where the kernel has
/// it (`UDP_GRO`, reads into one 64 KiB buffer; the datagrams a peer sent as one GSO write arrive
/// together with their segment size and are cut apart here, without a copy), else to vector
/// reads of `vectorReadCount` datagrams into one `vectorReadCount × datagramCapacity` buffer
/// (recvmmsg). Receive offload is reviewed every `offloadReviewReads` reads: a socket whose
/// reads are seldom coalesced (its peers do not send GSO writes, e.g. browsers and media
/// senders, for which a lone datagram per 64 KiB read costs more) moves to vector reads, and
/// tries receive offload again after `offloadRetryDatagrams` datagrams. NIO keeps the read buffer (and the vector-read arrays, about 80 KiB) while
/// the socket is open, which is why idle sockets do without them.
final class UDPDriverHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    /// Bytes read per datagram (an MTU-sized datagram fits; larger ones are truncated).
    static let datagramCapacity = 2048
    /// Datagrams read per readable event before vector reads (NIO's `maxMessagesPerRead`).
    static let busyBurst = 4
    /// Consecutive full bursts that make the socket busy (receive offload or vector reads).
    static let busyBurstsToVectorize = 2
    /// Datagrams per vector read once busy (without receive offload).
    static let vectorReadCount = 32
    /// Bytes per read with receive offload: the kernel coalesces at most 64 KiB.
    static let coalescedCapacity = 65_536

    private let callbacks: UDPDriverCallbacks
    private let socketCounter: (@Sendable (_ delta: Int) -> Void)?
    private var local: TransportAddress?
    // The last source converted: a data-channel flow comes from one address, and converting an
    // IPv6 socket address costs more than the rest of receiving the datagram.
    private var lastSource: (socket: SocketAddress, transport: TransportAddress)?
    /// Datagrams read in the current burst, and full bursts in a row (while reading singly).
    private var burstDatagrams = 0
    private var fullBursts = 0
    /// How the socket reads now.
    private var mode = ReadMode.single
    /// Reads with receive offload in the current review window, and how many of them held
    /// several datagrams.
    private var offloadReads = 0
    private var coalescedReads = 0
    /// Reads since receive offload was turned off (in `.leavingOffload`).
    private var leavingReads = 0
    /// Datagrams read in vectors since the socket moved there, and how many make it try
    /// receive offload again.
    private var vectorDatagrams = 0
    private let offloadRetryDatagrams: Int

    /// How a socket reads: singly while idle, then with receive offload while that pays,
    /// else in vectors.
    enum ReadMode {
        /// One datagram per read into a 2 KiB buffer.
        case single
        /// Receive offload (`UDP_GRO`) into 64 KiB buffers.
        case offload
        /// Receive offload turned off because reads were seldom coalesced; still reading
        /// into 64 KiB buffers until the socket's queue has been emptied once (a datagram the
        /// kernel coalesced before the switch must not be cut short by a 2 KiB vector slot).
        case leavingOffload
        /// Vector reads (recvmmsg) of `vectorReadCount` datagrams.
        case vector
    }

    /// Reads with receive offload reviewed at a time: when fewer than an eighth of them held
    /// several datagrams (the peer does not send GSO writes: a browser, a media sender), the
    /// socket moves to vector reads, which cost less per lone datagram.
    static let offloadReviewReads = 256

    /// Reads after which `.leavingOffload` ends even if the queue never ran empty (a socket that
    /// stays busy): by then every buffer the kernel queued before offload was turned off has
    /// been read, since the 4 MiB receive buffer (the kernel doubles it) holds fewer buffers
    /// than this at the smallest per-datagram charge (about 768 bytes).
    static let leavingOffloadReads = 16_384

    init(callbacks: UDPDriverCallbacks, socketCounter: (@Sendable (_ delta: Int) -> Void)?, offloadRetryDatagrams: Int) {
        self.callbacks = callbacks
        self.offloadRetryDatagrams = offloadRetryDatagrams
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
        guard let local else { return }
        let source: TransportAddress
        if let last = lastSource, last.socket == envelope.remoteAddress {
            source = last.transport
        } else {
            guard let converted = TransportAddress(socketAddress: envelope.remoteAddress) else { return }
            lastSource = (envelope.remoteAddress, converted)
            source = converted
        }
        switch mode {
        case .offload: offloadReads += 1
        case .leavingOffload: leavingReads += 1
        case .vector: vectorDatagrams += 1
        case .single: break
        }
        // A read with receive offload may hold several datagrams of one flow, each
        // `segmentSize` bytes but the last: each is handed on as a slice of its own.
        if let segmentSize = envelope.metadata?.segmentSize, segmentSize > 0, envelope.data.readableBytes > segmentSize {
            coalescedReads += 1
            var rest = envelope.data
            callbacks.receivedCoalesced((rest.readableBytes + segmentSize - 1) / segmentSize)
            while rest.readableBytes > 0, let datagram = rest.readSlice(length: min(segmentSize, rest.readableBytes)) {
                burstDatagrams += 1
                callbacks.receive(ReceivedDatagram(source: source, destination: local, payload: datagram))
            }
            return
        }
        burstDatagrams += 1
        guard mode == .offload || mode == .leavingOffload else {
            callbacks.receive(ReceivedDatagram(source: source, destination: local, payload: envelope.data))
            return
        }
        // With receive offload a lone datagram sits in a 64 KiB buffer: handed on as a slice, so
        // that a core that writes into it (SRTP and DTLS decrypt in place; NIO's pool still holds
        // the buffer) copies the datagram, not the whole buffer.
        callbacks.receive(ReceivedDatagram(source: source, destination: local, payload: envelope.data.slice()))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch mode {
        case .single:
            fullBursts = burstDatagrams >= Self.busyBurst ? fullBursts + 1 : 0
            if fullBursts >= Self.busyBurstsToVectorize { becomeBusy(context.channel) }
        case .offload:
            if offloadReads >= Self.offloadReviewReads {
                if coalescedReads * 8 < offloadReads, let options = context.channel.syncOptions,
                   (try? options.setOption(.datagramReceiveOffload, value: false)) != nil {
                    mode = .leavingOffload
                    leavingReads = 0
                }
                offloadReads = 0
                coalescedReads = 0
            }
        case .leavingOffload:
            // Fewer than a full burst: NIO stopped because the queue was empty; or enough reads
            // that nothing queued before the switch can be left.
            if burstDatagrams < Self.busyBurst || leavingReads >= Self.leavingOffloadReads, let options = context.channel.syncOptions {
                try? options.setOption(.datagramReceiveSegmentSize, value: false)
                readInVectors(options)
            }
        case .vector:
            if vectorDatagrams >= offloadRetryDatagrams, System.supportsUDPReceiveOffload { becomeBusy(context.channel) }
        }
        burstDatagrams = 0
        callbacks.readComplete()
    }

    /// A busy socket reads with receive offload where the kernel has it (`UDP_GRO`: the
    /// datagrams a peer sent as one segmentation-offload write arrive in one read, as one buffer
    /// with their segment size, instead of being cut apart and queued one by one), else in
    /// vectors. We are on its loop, so the options apply at once.
    private func becomeBusy(_ channel: any Channel) {
        vectorDatagrams = 0
        guard let options = channel.syncOptions else { mode = .vector; return }
        if System.supportsUDPReceiveOffload, (try? options.setOption(.datagramReceiveSegmentSize, value: true)) != nil {
            // No vector reads (0 turns NIO's off; from vector reads, the 64 KiB buffer would
            // otherwise be cut into 2 KiB slots and a coalesced read truncated).
            if (try? options.setOption(.datagramVectorReadMessageCount, value: 0)) != nil,
               (try? options.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.coalescedCapacity))) != nil,
               (try? options.setOption(.datagramReceiveOffload, value: true)) != nil {
                mode = .offload
                offloadReads = 0
                coalescedReads = 0
                return
            }
            // Offload refused (a kernel without UDP_GRO on this socket): no segment sizes either.
            try? options.setOption(.datagramReceiveSegmentSize, value: false)
        }
        readInVectors(options)
    }

    private func readInVectors(_ options: any NIOSynchronousChannelOptions) {
        mode = .vector
        try? options.setOption(.datagramVectorReadMessageCount, value: Self.vectorReadCount)
        try? options.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.vectorReadCount * Self.datagramCapacity))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (e.g. port unreachable after the peer left) surface here; the core
        // handles a dead path (ICE consent), so the socket stays open.
    }
}
