import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import RTCSignaling
@testable import RTCSignalingServer
import Testing

/// A connection's outbound queue is bounded: a member that cannot be written to (its channel
/// stays unwritable, as when the client stops reading) gets `queue_overflow` and a 1008 close
/// once the queue would exceed the bound, leaves its room, and the sender is unaffected.
/// Deterministic: two `SignalingSocketHandler`s on one `EmbeddedEventLoop`, no sockets.
@Suite("Signaling outbound queue bound") struct SignalingQueueOverflowTests {
    static let bound = 4096

    final class Member {
        let channel: EmbeddedChannel
        init(_ connections: SignalingConnections, loop: EmbeddedEventLoop) throws {
            channel = EmbeddedChannel(loop: loop)
            try channel.pipeline.syncOperations.addHandler(SignalingSocketHandler(connections: connections, closeTimeout: .seconds(5),
                                                                                  maxMessageSize: 1 << 16))
        }
        func send(_ text: String) throws {
            try channel.writeInbound(SignalingFramesTests.clientFrame(.text, ByteBuffer(string: text)))
            channel.pipeline.fireChannelReadComplete()
        }
        /// Every frame written to this client so far (the handler writes each as one buffer).
        func sent() throws -> [WebSocketFrame] {
            var frames: [WebSocketFrame] = []
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                frames.append(try #require(SignalingFramesTests.decodeServerFrame(bytes)))
            }
            return frames
        }
    }

    static func candidate(_ n: Int, to target: String) -> String {
        let padding = String(repeating: "x", count: 1000)
        return #"{"type":"ice_candidate","target":"\#(target)","candidate":{"candidate":"candidate:\#(n) 1 udp 1 127.0.0.1 9 typ host \#(padding)","sdpMid":"0","sdpMLineIndex":0}}"#
    }

    @Test func aMemberThatCannotBeWrittenToIsCutOffAtTheBound() throws {
        var logger = Logger(label: "test.queue")
        logger.logLevel = .critical
        let connections = SignalingConnections(configuration: .init(rateLimit: .init(messagesPerSecond: 1e6, burst: 1e6)),
                                               maxQueuedBytes: Self.bound, logger: logger)
        let loop = EmbeddedEventLoop()
        let flooder = try Member(connections, loop: loop)
        let slow = try Member(connections, loop: loop)
        try flooder.send(#"{"type":"join","peer_id":"flood","room_id":"r"}"#)
        try slow.send(#"{"type":"join","peer_id":"slow","room_id":"r"}"#)
        _ = try flooder.sent()
        _ = try slow.sent()

        slow.channel.isWritable = false
        var sentToSlow = 0
        while connections.queueStats.overflowDisconnects == 0, sentToSlow < 100 {
            try flooder.send(Self.candidate(sentToSlow, to: "slow"))
            sentToSlow += 1
            #expect(connections.queueStats.peakQueuedBytes <= Self.bound)
        }
        // 1,000-byte candidates cost about 1.2 KiB each in the queue: the fourth does not fit.
        #expect(sentToSlow == 4)
        let stats = connections.queueStats
        #expect(stats.overflowDisconnects == 1)
        #expect(stats.peakQueuedBytes > 2 * 1024 && stats.peakQueuedBytes <= Self.bound)

        // What the slow client would read if it resumed: the error, then a 1008 close; the
        // queued candidates were dropped.
        let frames = try slow.sent()
        #expect(frames.map(\.opcode) == [.text, .connectionClose])
        let error = try SignalingMessage.decode(String(buffer: frames[0].data))
        guard case .error(let code, _) = error else { Issue.record("expected an error, got \(error)"); return }
        #expect(code == .queueOverflow)
        var close = frames[1].data
        #expect(close.readWebSocketErrorCode() == .policyViolation)

        // The flooder is told the slow member left and keeps working.
        let flooderFrames = try flooder.sent().map { try SignalingMessage.decode(String(buffer: $0.data)) }
        #expect(flooderFrames == [.peerLeft(peerID: "slow")])
        try flooder.send(Self.candidate(99, to: "slow"))
        let reply = try flooder.sent().map { try SignalingMessage.decode(String(buffer: $0.data)) }
        guard case .error(.unknownTarget, _)? = reply.first, reply.count == 1 else { Issue.record("got \(reply)"); return }
        // Nothing more is queued for the closed member, and the close timer ends the socket.
        #expect(try slow.sent().isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(!slow.channel.isActive)
        #expect(connections.openCount == 1)
        _ = try? flooder.channel.finish()
    }

    @Test func queuedMessagesAreWrittenInOrderOnceTheChannelIsWritableAgain() throws {
        var logger = Logger(label: "test.queue")
        logger.logLevel = .critical
        let connections = SignalingConnections(configuration: .init(rateLimit: .init(messagesPerSecond: 1e6, burst: 1e6)),
                                               maxQueuedBytes: Self.bound, logger: logger)
        let loop = EmbeddedEventLoop()
        let a = try Member(connections, loop: loop)
        let b = try Member(connections, loop: loop)
        try a.send(#"{"type":"join","peer_id":"a","room_id":"r"}"#)
        try b.send(#"{"type":"join","peer_id":"b","room_id":"r"}"#)
        _ = try a.sent()
        _ = try b.sent()
        b.channel.isWritable = false
        for n in 0..<3 { try a.send(Self.candidate(n, to: "b")) }
        #expect(try b.sent().isEmpty)
        b.channel.isWritable = true
        b.channel.pipeline.fireChannelWritabilityChanged()
        let received = try b.sent().map { try SignalingMessage.decode(String(buffer: $0.data)) }
        let numbers = received.compactMap { message -> String? in
            guard case .iceCandidate(let candidate, _, "a") = message else { return nil }
            return String(candidate.candidate.split(separator: " ")[0])
        }
        #expect(numbers == ["candidate:0", "candidate:1", "candidate:2"])
        #expect(connections.queueStats.overflowDisconnects == 0)
        _ = try? a.channel.finish()
        _ = try? b.channel.finish()
    }
}
