import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The server's connections: HTTP/1.1 answered by the Hummingbird router, and `GET /ws`
/// upgraded to a WebSocket served by a plain NIO ``SignalingSocketHandler`` (no async stream,
/// actor or task per message; frames stay on the connection's event loop).
struct SignalingChildChannel: HTTPChannelHandler {
    enum Upgrade: Sendable {
        case webSocket
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgrade: EventLoopFuture<Upgrade>
        let channel: any Channel
    }

    let responder: Responder
    let connections: SignalingConnections
    /// Largest WebSocket message (after aggregating fragments).
    let maxFrameSize: Int
    let closeTimeout: TimeAmount
    /// How long the first request head may take (``SignalingServerConfiguration/requestHeadTimeout``).
    let requestHeadTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connections = self.connections, maxFrameSize = self.maxFrameSize, closeTimeout = self.closeTimeout
        let requestHeadTimeout = self.requestHeadTimeout
        return channel.eventLoop.makeCompletedFuture {
            let upgrader = SignalingWebSocketUpgrader(connections: connections, closeTimeout: closeTimeout, maxFrameSize: maxFrameSize)
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        return Upgrade.http(try NIOAsyncChannel(wrappingChannelSynchronously: channel,
                                                                configuration: .init(isOutboundHalfClosureEnabled: true)))
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let beforeRequest = SignalingBeforeRequestHandler(timeout: requestHeadTimeout, logger: logger)
            try channel.pipeline.syncOperations.addHandler(beforeRequest, position: .first)
            let bound = NIOLoopBound(beforeRequest, eventLoop: channel.eventLoop)
            upgrade.whenComplete { _ in
                // Its job is done: out of the way of every later read.
                bound.value.requestArrived = true
                channel.pipeline.syncOperations.removeHandler(bound.value, promise: nil)
            }
            return Value(upgrade: upgrade, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgrade.get() {
            case .webSocket:
                try await value.channel.closeFuture.get()
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            }
        } catch {
            logger.trace("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// Watches a connection until its first request head arrives: closes it when that takes longer
/// than the timeout, or on graceful shutdown (a client that connected and sent nothing: a
/// browser's preconnect, a client stopped while connecting). Without it such a connection held
/// the server's shutdown for as long as the client kept it open: neither the upgrade handler
/// nor the WebSocket handler quiesces, and Hummingbird's HTTP handler is only added once a
/// request has come.
final class SignalingBeforeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?

    /// The first request's head has been read (it was upgraded or handed to HTTP): shutdown is
    /// theirs to handle from then on.
    var requestArrived = false {
        didSet { if requestArrived { timer?.cancel() } }
    }

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel, logger = logger, timeout = timeout
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            guard !bound.value.requestArrived else { return }
            logger.debug("closing a connection that sent no request head in time", metadata: [
                "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "-")", "timeout": "\(timeout)"])
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !requestArrived {
            logger.debug("shutting down: closing a connection that sent no request", metadata: [
                "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "-")"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Upgrades `GET /ws` to a WebSocket whose pipeline is one ``SignalingSocketHandler`` (it reads
/// and writes frames itself). The handshake (checking the request's key and version, the
/// accept header) is NIO's WebSocket upgrader's; its frame encoder, decoder and error handler
/// are not added, so a frame crosses no pipeline hop before the handler.
struct SignalingWebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = SignalingChildChannel.Upgrade

    let connections: SignalingConnections
    let closeTimeout: TimeAmount
    let maxFrameSize: Int
    private let handshake: NIOTypedWebSocketServerUpgrader<UpgradeResult>

    init(connections: SignalingConnections, closeTimeout: TimeAmount, maxFrameSize: Int) {
        self.connections = connections
        self.closeTimeout = closeTimeout
        self.maxFrameSize = maxFrameSize
        self.handshake = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
            maxFrameSize: maxFrameSize,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                return channel.eventLoop.makeSucceededFuture(path == "/ws" ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededFuture(.webSocket) }  // not called: upgrade(channel:upgradeRequest:) is ours
        )
    }

    var supportedProtocol: String { handshake.supportedProtocol }
    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead,
                              initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        let connections = self.connections, closeTimeout = self.closeTimeout, maxFrameSize = self.maxFrameSize
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                SignalingSocketHandler(connections: connections, closeTimeout: closeTimeout, maxMessageSize: maxFrameSize))
            return .webSocket
        }
    }
}
