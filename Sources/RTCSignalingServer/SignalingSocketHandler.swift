import Foundation
import NIOCore
import NIOWebSocket
import RTCSignaling

/// One signaling WebSocket, as a plain NIO handler on its channel's event loop: after the
/// upgrade it is the whole pipeline. It reads the client's frames from the bytes itself
/// (``SignalingFrameReader``: joins fragments, enforces the size limit and the protocol) and
/// frames what it sends (``SignalingFrames``: each message is one buffer). Messages go to
/// ``SignalingConnections`` and its deliveries are written directly when the target is on
/// this loop, or batched per event loop and handed over once per read burst (one `execute`
/// and one flush per target per burst).
///
/// Each connection's outbound side is bounded: messages wait in a queue of at most
/// `maxQueuedBytes` (payload plus ``perMessageOverhead`` per message) while the channel is not
/// writable. A message that does not fit closes the connection with a `queue_overflow` error
/// (close code 1008); the queue is dropped, so a client that stops reading costs the server
/// at most that bound plus NIO's write-buffer high-water mark.
final class SignalingSocketHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes counted per queued message on top of its payload (the frame and queue slot).
    static let perMessageOverhead = 64

    private let connections: SignalingConnections
    private let closeTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var reader: SignalingFrameReader
    private var id: SignalingConnectionID?
    /// Complete frames waiting for the channel to become writable. Once `closing`, nothing is
    /// queued but our close frame, so a non-empty queue then ends with it.
    private var queue = CircularBuffer<ByteBuffer>()
    private var queuedBytes = 0
    private var peakQueuedBytes = 0
    private var needsFlush = false
    /// A close frame is queued or sent: nothing more is queued.
    private var closing = false
    private var closeTimer: Scheduled<Void>?
    /// Deliveries made during the current read burst.
    private var batch = SignalingDeliveryBatch()

    /// - Parameter maxMessageSize: the largest message (and frame) a client may send.
    init(connections: SignalingConnections, closeTimeout: TimeAmount, maxMessageSize: Int) {
        self.connections = connections
        self.closeTimeout = closeTimeout
        self.reader = SignalingFrameReader(maxMessageSize: maxMessageSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let (id, deliveries) = connections.open(self, on: context.eventLoop)
        self.id = id
        batch.add(deliveries, allocator: context.channel.allocator)
        batch.take().dispatch()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.feed(Self.unwrapInboundIn(data))
        let allocator = context.channel.allocator
        do {
            while let event = try reader.next(allocator: allocator) {
                handle(event, context: context, allocator: allocator)
            }
        } catch {
            protocolFailure(error, context: context)
        }
    }

    private func handle(_ event: SignalingFrameReader.Event, context: ChannelHandlerContext, allocator: ByteBufferAllocator) {
        switch event {
        case .message(let payload):
            guard !closing, let id else { return }
            receive(payload, from: id, allocator: allocator)
        case .ping(let payload):
            guard !closing else { return }
            write(SignalingFrames.frame(.pong, payload: payload, allocator: allocator))
        case .pong:
            break
        case .close(var data):
            if closing {
                context.close(promise: nil)
            } else {
                // The client closes: echo its status code, then close.
                let echo = data.readSlice(length: min(2, data.readableBytes)) ?? ByteBuffer()
                closeNow(sending: echo, context: context)
            }
        }
    }

    /// The client broke the WebSocket protocol (or sent too much): a close frame with the
    /// error's code, then the connection closes.
    private func protocolFailure(_ error: SignalingFrameReader.ReadError, context: ChannelHandlerContext) {
        connections.logger.debug("closing a client that broke the WebSocket protocol",
                                 metadata: ["connection": "\(id.map { "\($0)" } ?? "?")", "reason": "\(error.reason)"])
        guard !closing else {
            context.close(promise: nil)
            return
        }
        var data = ByteBuffer()
        data.write(webSocketErrorCode: error.code)
        closeNow(sending: data, context: context)
    }

    /// Drops what is queued, sends a close frame carrying `payload` and closes the channel
    /// once it is written.
    private func closeNow(sending payload: ByteBuffer, context: ChannelHandlerContext) {
        closing = true
        dropQueue()
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(NIOAny(SignalingFrames.frame(.connectionClose, payload: payload, allocator: channel.allocator)),
                              promise: promise)
    }

    private func dropQueue() {
        queue.removeAll()
        queuedBytes = 0
    }

    private func receive(_ data: ByteBuffer, from id: SignalingConnectionID, allocator: ByteBufferAllocator) {
        let deliveries: [(SignalingPeerRef, SignalingOutbound)]
        if let relay = SignalingRelayScanner.scan(data) {
            deliveries = connections.receiveRelay(type: relay.type, target: relay.target, size: data.readableBytes, from: id) { from, framed in
                SignalingRelayScanner.splice(data, relay: relay, from: from, allocator: allocator, framed: framed)
            }
        } else {
            let bytes = Data(data.readableBytesView)
            let decoded = Result<SignalingMessage, SignalingProtocolError> { () throws(SignalingProtocolError) in
                try SignalingMessage.decode(bytes)
            }
            deliveries = connections.receive(decoded, size: bytes.count, from: id)
        }
        batch.add(deliveries, allocator: allocator)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        batch.take().dispatch()
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closing = true
        dropQueue()
        if let id {
            self.id = nil
            batch.add(connections.close(id), allocator: context.channel.allocator)
            batch.take().dispatch()
        }
        self.context = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closure (Hummingbird's child channel option): a client that
        // shuts down its side is gone, so close ours.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: - Outbound (on this handler's loop only)

    /// Queues or writes one delivery.
    func deliver(_ outbound: SignalingOutbound, allocator: ByteBufferAllocator) {
        switch outbound {
        case .message(let message):
            enqueue(SignalingFrames.textFrame(message.jsonString(), allocator: allocator))
        case .text(let bytes):
            enqueue(SignalingFrames.frame(.text, payload: bytes, allocator: allocator))
        case .frame(let frame):
            enqueue(frame)
        case .close(let reason):
            guard !closing else { return }
            closing = true
            var data = ByteBuffer()
            switch reason {
            case .shutdown:
                data.write(webSocketErrorCode: .goingAway)
                data.writeString("server shutdown")
            case .rateLimited:
                data.write(webSocketErrorCode: .policyViolation)
                data.writeString("rate limit exceeded")
            case .unavailable:
                data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: 1013))  // try again later
                data.writeString("room directory unavailable")
            }
            let frame = SignalingFrames.frame(.connectionClose, payload: data, allocator: allocator)
            queue.append(frame)
            queuedBytes += Self.perMessageOverhead + frame.readableBytes
            drain()
        }
    }

    /// Writes `frame` (a complete frame), or queues it while the channel is not writable.
    private func enqueue(_ frame: ByteBuffer) {
        guard !closing, let context else { return }
        if queue.isEmpty, context.channel.isWritable {
            write(frame)
            return
        }
        let cost = Self.perMessageOverhead + frame.readableBytes
        guard queuedBytes + cost <= connections.maxQueuedBytes else {
            overflow(context: context)
            return
        }
        queue.append(frame)
        queuedBytes += cost
        if queuedBytes > peakQueuedBytes {
            peakQueuedBytes = queuedBytes
            connections.noteQueued(queuedBytes)
        }
    }

    /// Writes queued frames while the channel takes them.
    private func drain() {
        guard let context else { return }
        while let frame = queue.first, context.channel.isWritable || (closing && queue.count == 1) {
            let isCloseFrame = closing && queue.count == 1
            queue.removeFirst()
            queuedBytes -= Self.perMessageOverhead + frame.readableBytes
            write(frame)
            if isCloseFrame {
                flushIfNeeded()
                scheduleClose(context: context)
                return
            }
        }
        flushIfNeeded()
    }

    /// The queue is full: the client does not read. Drop the queue, try to tell it, close.
    private func overflow(context: ChannelHandlerContext) {
        closing = true
        dropQueue()
        connections.noteOverflow()
        connections.logger.warning("closing a client that does not read (outbound queue full)",
                                   metadata: ["connection": "\(id.map { "\($0)" } ?? "?")",
                                              "limit_bytes": "\(connections.maxQueuedBytes)"])
        let error = SignalingProtocolError(.queueOverflow,
            "more than \(connections.maxQueuedBytes) bytes waiting to be sent to this client; disconnecting")
        let allocator = context.channel.allocator
        write(SignalingFrames.textFrame(error.asMessage.jsonString(), allocator: allocator))
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .policyViolation)
        data.writeString("outbound queue full")
        write(SignalingFrames.frame(.connectionClose, payload: data, allocator: allocator))
        flushIfNeeded()
        // Leave the room now (so nobody sends here any more); the socket closes shortly after,
        // giving the error a chance to reach a client that is merely slow.
        if let id {
            self.id = nil
            batch.add(connections.close(id), allocator: context.channel.allocator)
            batch.take().dispatch()  // this runs inside another connection's delivery: no read burst of ours follows
        }
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
    }

    private func scheduleClose(context: ChannelHandlerContext) {
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: closeTimeout) { channel.close(promise: nil) }
    }

    /// Writes a complete frame (not flushed).
    private func write(_ frame: ByteBuffer) {
        context?.write(NIOAny(frame), promise: nil)
        needsFlush = true
    }

    /// Flushes if something was written since the last flush.
    func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }
}

/// Deliveries collected during one read burst, dispatched together: those for connections on
/// the current loop at once, the others in one task per event loop.
struct SignalingDeliveryBatch {
    private var local: [(SignalingSocketHandler, SignalingOutbound)] = []
    private var remote: [ObjectIdentifier: (any EventLoop, [(SignalingPeerRef, SignalingOutbound)])] = [:]
    private var allocator = ByteBufferAllocator()

    mutating func add(_ deliveries: [(SignalingPeerRef, SignalingOutbound)], allocator: ByteBufferAllocator) {
        self.allocator = allocator
        for (ref, outbound) in deliveries {
            if ref.loop.inEventLoop {
                local.append((ref.handler, outbound))
            } else {
                remote[ObjectIdentifier(ref.loop), default: (ref.loop, [])].1.append((ref, outbound))
            }
        }
    }

    /// Empties the batch, returning what it held. Call `batch.take().dispatch()`: delivering
    /// can re-enter a handler (a write that fails closes that channel, whose `channelInactive`
    /// adds to and dispatches its own batch), so no access to a stored batch may span it.
    mutating func take() -> SignalingDeliveryBatch {
        let taken = self
        self = SignalingDeliveryBatch()
        return taken
    }

    /// Delivers what was collected (on a batch returned by ``take()``).
    func dispatch() {
        guard !local.isEmpty || !remote.isEmpty else { return }
        Self.send(local: local, remote: remote, allocator: allocator)
    }

    private static func send(local: [(SignalingSocketHandler, SignalingOutbound)],
                             remote: [ObjectIdentifier: (any EventLoop, [(SignalingPeerRef, SignalingOutbound)])],
                             allocator: ByteBufferAllocator) {
        if !local.isEmpty { deliver(local, allocator: allocator) }
        for (_, (loop, deliveries)) in remote {
            loop.execute {
                deliver(deliveries.map { ($0.0.handler, $0.1) }, allocator: allocator)
            }
        }
    }

    /// Delivers in order, then flushes each handler once.
    private static func deliver(_ deliveries: [(SignalingSocketHandler, SignalingOutbound)], allocator: ByteBufferAllocator) {
        for (handler, outbound) in deliveries { handler.deliver(outbound, allocator: allocator) }
        if deliveries.count == 1 {
            deliveries[0].0.flushIfNeeded()
        } else {
            var flushed = Set<ObjectIdentifier>()
            for (handler, _) in deliveries where flushed.insert(ObjectIdentifier(handler)).inserted { handler.flushIfNeeded() }
        }
    }

    /// Dispatches deliveries made outside any connection (shutdown).
    static func dispatchDetached(_ deliveries: [(SignalingPeerRef, SignalingOutbound)]) {
        var byLoop: [ObjectIdentifier: (any EventLoop, [(SignalingPeerRef, SignalingOutbound)])] = [:]
        for (ref, outbound) in deliveries { byLoop[ObjectIdentifier(ref.loop), default: (ref.loop, [])].1.append((ref, outbound)) }
        for (_, (loop, list)) in byLoop {
            loop.execute { deliver(list.map { ($0.0.handler, $0.1) }, allocator: ByteBufferAllocator()) }
        }
    }
}
