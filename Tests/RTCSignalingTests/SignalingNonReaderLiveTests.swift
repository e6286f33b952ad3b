import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCSession
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

/// A real client that joins a room and then never reads, while another member floods it with
/// large candidates: the server's queue for it stays within the bound, it is disconnected,
/// and the flooder keeps working.
@Suite("Signaling server and a client that never reads", .serialized)
struct SignalingNonReaderLiveTests {
    static let bound = 64 * 1024

    @Test func aClientThatNeverReadsIsDisconnectedAndTheServerStaysBounded() async throws {
        try await withSignalingServer({
            $0.maxQueuedBytes = Self.bound
            $0.rateLimit = SignalingRateLimit(messagesPerSecond: 1e6, burst: 1e6)
        }) { server, port in
            let flood = LiveClient(port: port, peer: "flood")
            try await flood.recorder.wait("flood joined") { if case .joined = $0 { true } else { false } }
            let slow = try await RawWebSocket.connect(port: port)
            try await slow.sendText(#"{"type":"join","peer_id":"slow","room_id":"room"}"#)
            try await flood.recorder.wait("slow joined") { $0 == .peerJoined("slow") }
            slow.stopReading()

            // 8 KiB candidates until the server drops the non-reader (at most 40 MiB: kernel
            // socket buffers on loopback absorb a few MiB before the server's queue fills). The
            // flood goes in batches the server has relayed before the next one starts — a
            // candidate to an unknown peer after each batch comes back as an error once the
            // server has handled everything before it — and stops once the non-reader is gone:
            // an unpaced flood queued 40 MiB in the flooder, kept the server busy for a minute
            // after the non-reader was dropped and starved every test running beside it.
            let padding = String(repeating: "x", count: 8 * 1024)
            let probe = ICECandidateInit(candidate: "candidate:0 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0)
            var sent = 0
            var batches = 0
            var seen = 0
            while sent < 5000 {
                for _ in 0..<25 {
                    try await flood.client.sendCandidate(ICECandidateInit(candidate: "candidate:\(sent) 1 udp 1 127.0.0.1 9 typ host \(padding)",
                                                                    sdpMid: "0", sdpMLineIndex: 0), to: "slow")
                    sent += 1
                }
                batches += 1
                try await flood.client.sendCandidate(probe, to: "nobody")
                try await flood.recorder.waitCount(batches, timeout: 30) { event in
                    if case .error(let error) = event { error.code == .unknownTarget && error.message.contains("\"nobody\"") } else { false }
                }
                let gone = flood.recorder.contains(since: &seen) { event in
                    if event == .peerLeft("slow") { return true }
                    if case .error(let error) = event { return error.code == .unknownTarget && error.message.contains("\"slow\"") }
                    return false
                }
                if gone { break }
            }
            try await flood.recorder.wait(timeout: 30, "slow dropped") { $0 == .peerLeft("slow") }
            let stats = await server.queueStats()
            #expect(stats.overflowDisconnects == 1)
            #expect(stats.peakQueuedBytes > 0)
            #expect(stats.peakQueuedBytes <= Self.bound)

            // The server closed the non-reader: reading again drains what reached it, then EOF.
            slow.resumeReading()
            try await withTimeout(60, "the server closing the non-reader") { try await slow.closed() }
            let frames = slow.frames()
            // The error usually cannot reach a client that does not read; if it did, it is this one.
            for frame in frames where frame.opcode == 0x1 {
                let text = String(decoding: frame.payload, as: UTF8.self)
                if text.contains(#""type":"error""#) { #expect(text.contains(#""code":"queue_overflow""#)) }
            }
            if let close = frames.last(where: { $0.opcode == 0x8 }), close.payload.count >= 2 {
                #expect(UInt16(close.payload[0]) << 8 | UInt16(close.payload[1]) == 1008)
            }

            // The flooder is still connected and relays to a new member.
            let fresh = LiveClient(port: port, peer: "fresh")
            try await fresh.recorder.wait(timeout: 30, "fresh joined") { if case .joined = $0 { true } else { false } }
            let hello = ICECandidateInit(candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0)
            try await flood.client.sendCandidate(hello, to: "fresh")
            try await fresh.recorder.wait(timeout: 30, "relay after the flood") { $0 == .iceCandidate(hello, from: "flood") }
            #expect(!flood.recorder.all.contains { if case .disconnected = $0 { true } else { false } })
            await fresh.stop()
            await flood.stop()
        }
    }
}

/// A minimal WebSocket client on a raw NIO channel whose reading can be switched off (so the
/// kernel buffers fill and the server's writes back up).
final class RawWebSocket: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    struct Frame { var opcode: UInt8; var payload: [UInt8] }

    private let lock = NIOLock()
    private var received: [UInt8] = []
    private var channel: (any Channel)?

    static func connect(port: Int) async throws -> RawWebSocket {
        let socket = RawWebSocket()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(socket) } }
            .connect(host: "127.0.0.1", port: port).get()
        socket.channel = channel
        let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        try await waitUntil(10, "the 101 response") { socket.lock.withLock { socket.headerEnd != nil } }
        #expect(socket.lock.withLock { String(decoding: socket.received.prefix(12), as: UTF8.self) } == "HTTP/1.1 101")
        return socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        lock.withLock { received += buffer.readableBytesView }
    }

    private var headerEnd: Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard received.count >= 4 else { return nil }
        for i in 0...(received.count - 4) where Array(received[i..<i + 4]) == marker { return i + 4 }
        return nil
    }

    /// Sends one masked text frame (the mask is zero: the XOR leaves the payload as it is).
    func sendText(_ text: String) async throws {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        var frame = ByteBuffer(bytes: [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0])
        frame.writeBytes(payload)
        try await channel!.writeAndFlush(frame)
    }

    func stopReading() { _ = channel!.setOption(ChannelOptions.autoRead, value: false) }

    /// Reads again, with a large receive buffer: what the server had sent (megabytes in kernel
    /// buffers) would otherwise come 4 KiB per wake-up of this process — over 20 s on a loaded
    /// machine, which once failed the wait for the server's close.
    func resumeReading() {
        let channel = self.channel!
        channel.eventLoop.execute {
            _ = channel.setOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            _ = channel.setOption(ChannelOptions.autoRead, value: true)
            channel.read()
        }
    }

    func closed() async throws { try await channel!.closeFuture.get() }

    /// The frames received after the HTTP response (server frames are not masked).
    func frames() -> [Frame] {
        lock.withLock {
            guard var i = headerEnd else { return [] }
            var frames: [Frame] = []
            while i + 2 <= received.count {
                let opcode = received[i] & 0x0F
                var length = Int(received[i + 1] & 0x7F)
                i += 2
                if length == 126 {
                    guard i + 2 <= received.count else { break }
                    length = Int(received[i]) << 8 | Int(received[i + 1])
                    i += 2
                } else if length == 127 {
                    guard i + 8 <= received.count else { break }
                    length = received[i..<i + 8].reduce(0) { $0 << 8 | Int($1) }
                    i += 8
                }
                guard i + length <= received.count else { break }
                frames.append(Frame(opcode: opcode, payload: Array(received[i..<i + length])))
                i += length
            }
            return frames
        }
    }
}
