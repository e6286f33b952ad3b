import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import RTCSignaling
import RTCTestSupport
import Testing

/// `SignalingClient` follows `redirect`s a bounded number of times: against a server that
/// redirects every join back to itself (instances that disagree about a room's home), the
/// client follows `maxRedirects` hops and then stops with a typed error.
@Suite("SignalingClient follows redirects, a few hops at most")
struct SignalingClientRedirectTests {
    /// Answers every text frame with a `redirect` of room `room` to this server's own URL, and
    /// a close frame with a close frame. Counts the joins it saw.
    final class Redirector: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let room: String
        let joins: NIOLockedValueBox<Int>

        init(room: String, joins: NIOLockedValueBox<Int>) {
            self.room = room
            self.joins = joins
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                joins.withLockedValue { $0 += 1 }
                let port = context.channel.localAddress?.port ?? 0
                let reply = SignalingMessage.redirect(roomID: room, url: "ws://127.0.0.1:\(port)/ws").jsonString()
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: reply))),
                                      promise: nil)
            case .connectionClose:
                var code = ByteBuffer()
                code.write(webSocketErrorCode: .normalClosure)
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
                context.close(promise: nil)
            default:
                break
            }
        }
    }

    @Test func aRedirectLoopStopsTheClientAfterMaxRedirectsHops() async throws {
        let joins = NIOLockedValueBox(0)
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Redirector(room: "loop", joins: joins))
                }
            })
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let url = "ws://127.0.0.1:\(server.localAddress?.port ?? 0)/ws"

        let client = SignalingClient(url: url, peerID: "a", roomID: "loop", reconnectPolicy: .never, mode: .sfu, maxRedirects: 2)
        let recorder = EventRecorder(client)
        let run = Task { await client.run() }
        try await withTimeout(20, "the client stopping") { await run.value }

        let redirects = recorder.all.filter { if case .redirected = $0 { true } else { false } }
        #expect(redirects == [.redirected(url: url), .redirected(url: url)], "two hops followed")
        #expect(recorder.all.last == .disconnected(reconnectIn: nil))
        #expect(await client.stopError == .tooManyRedirects(hops: 2, url: url))
        #expect(joins.withLockedValue { $0 } == 3, "the first join and one per hop followed")
        #expect(!recorder.all.contains { if case .joined = $0 { true } else { false } })
    }
}
