import NIOCore
import NIOWebSocket

/// One load-generator client after the WebSocket upgrade: joins its room, sends what its
/// ``LoadWorker`` asks, and hands every received message to the worker. Confined to its
/// channel's event loop.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let peer: String
    let room: String
    /// The room peer this client sends to.
    let target: String
    /// Succeeds on `room_peers` (the server's reply to `join`).
    let joined: EventLoopPromise<Void>
    private let worker: LoadWorker
    private var context: ChannelHandlerContext?
    /// Where complete frames are written: the frame encoder's context, so they go on toward
    /// the socket past it (or this handler's own context without an encoder).
    private var output: ChannelHandlerContext?
    private(set) var isOpen = false
    /// A write is waiting for a flush.
    var needsFlush = false
    /// The server closed this connection (close frame seen or TCP closed).
    private(set) var closedByServer = false

    init(peer: String, room: String, target: String, worker: LoadWorker, joined: EventLoopPromise<Void>) {
        self.peer = peer
        self.room = room
        self.target = target
        self.worker = worker
        self.joined = joined
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        output = (try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)) ?? context
        isOpen = true
        worker.add(self)
    }

    /// Sends `join`; called once the upgrade is complete (the HTTP handlers are gone).
    func start() {
        writeFrame(LoadMessages.join(peer: peer, room: room, key: worker.nextMaskKey()))
        flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            worker.received(frame.unmaskedData, on: self)
        case .ping:
            write(frame.unmaskedData, opcode: .pong)
            needsFlush = true
        case .connectionClose:
            closedByServer = true
            worker.serverClosed(self, frame.unmaskedData)
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        self.context = nil
        output = nil
        joined.fail(ChannelError.ioOnClosedChannel)
        worker.lost(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Queues one frame through NIO's encoder, masked as a client must (pongs).
    func write(_ payload: ByteBuffer, opcode: WebSocketOpcode) {
        guard let context else { return }
        let key = worker.nextMaskKey()
        let frame = WebSocketFrame(fin: true, opcode: opcode,
                                   maskKey: WebSocketMaskingKey([UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]),
                                   data: payload)
        context.write(wrapOutboundOut(frame), promise: nil)
        needsFlush = true
    }

    /// Queues a complete frame (built by ``LoadMessages``).
    private func writeFrame(_ frame: ByteBuffer) {
        output?.write(NIOAny(frame), promise: nil)
        needsFlush = true
    }

    /// Sends a relayed message to `target` stamped with the current time.
    func sendRelayed(_ kind: LoadMessages.Kind) {
        guard let context else { return }
        writeFrame(LoadMessages.relayed(kind, target: target, timestamp: NIODeadline.now().uptimeNanoseconds,
                                        key: worker.nextMaskKey(), allocator: context.channel.allocator))
    }

    /// Flushes queued writes, if any.
    func flush() {
        guard needsFlush, let output else { return }
        needsFlush = false
        output.flush()
    }

    /// Closes the connection.
    func close() {
        context?.close(promise: nil)
    }
}
