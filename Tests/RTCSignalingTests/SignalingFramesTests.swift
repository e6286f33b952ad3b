import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import RTCSignalingServer
import Testing

/// The server frames what it sends itself and unmasks what it reads eight bytes at a time;
/// both are checked against NIO's WebSocket code.
@Suite("Signaling WebSocket framing") struct SignalingFramesTests {
    /// One complete, unmasked, final frame: its opcode and payload; `nil` if `bytes` is not exactly that.
    static func decodeServerFrame(_ bytes: ByteBuffer) -> WebSocketFrame? {
        var bytes = bytes
        guard let first = bytes.readInteger(as: UInt8.self), let second = bytes.readInteger(as: UInt8.self),
              first & 0xF0 == 0x80, second & 0x80 == 0,
              let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) else { return nil }
        var length = Int(second)
        if length == 126 {
            guard let long = bytes.readInteger(as: UInt16.self), long > 125 else { return nil }
            length = Int(long)
        } else if length == 127 {
            guard let long = bytes.readInteger(as: UInt64.self), long > 0xFFFF, long < 1 << 40 else { return nil }
            length = Int(long)
        }
        guard bytes.readableBytes == length else { return nil }
        return WebSocketFrame(fin: true, opcode: opcode, data: bytes)
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
    func framesAreWhatNIOsDecoderReads(_ length: Int) throws {
        var payload = ByteBuffer()
        for index in 0..<length { payload.writeInteger(UInt8(truncatingIfNeeded: index &* 31 &+ 7)) }
        let frame = SignalingFrames.frame(.binary, payload: payload, allocator: ByteBufferAllocator())
        #expect(frame.readableBytes == SignalingFrames.headerSize(payloadLength: length) + length)

        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try channel.writeInbound(frame)
        let decoded = try #require(try channel.readInbound(as: WebSocketFrame.self))
        #expect(decoded.fin && decoded.opcode == .binary && decoded.maskKey == nil)
        #expect(decoded.data == payload)
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
        #expect(Self.decodeServerFrame(frame)?.data == payload)
        _ = try channel.finish()
    }

    @Test func textFramesCarryTheUTF8() throws {
        let text = #"{"type":"error","message":"caf\#u{e9} \#u{1F600}"}"#
        let frame = SignalingFrames.textFrame(text, allocator: ByteBufferAllocator())
        let decoded = try #require(Self.decodeServerFrame(frame))
        #expect(decoded.opcode == .text && String(buffer: decoded.data) == text)
    }

    @Test func unmaskingMatchesNIOForEveryLengthAndAlignment() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            for offset in 0..<3 {
                let key = WebSocketMaskingKey.random(using: &generator)
                var storage = ByteBuffer()
                storage.writeRepeatingByte(0xEE, count: offset)  // an unaligned start
                for _ in 0..<length { storage.writeInteger(UInt8.random(in: 0...255, using: &generator)) }
                storage.moveReaderIndex(forwardBy: offset)
                let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: storage)
                let ours = SignalingFrames.unmasked(storage, key: key, allocator: ByteBufferAllocator())
                #expect(ours == frame.unmaskedData, "length \(length), offset \(offset)")
                #expect(storage.readableBytes == length)  // the frame's bytes are left as they were
            }
        }
    }

    /// A client frame: masked with a random key, as RFC 6455 requires of clients.
    static func clientFrame(_ opcode: WebSocketOpcode, _ payload: ByteBuffer, fin: Bool = true,
                            key: WebSocketMaskingKey = .random()) -> ByteBuffer {
        let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
        try! channel.writeOutbound(WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: payload))
        var out = ByteBuffer()
        while var part = try! channel.readOutbound(as: ByteBuffer.self) { out.writeBuffer(&part) }
        _ = try! channel.finish()
        return out
    }

    static func read(_ bytes: [ByteBuffer], maxMessageSize: Int = 1000) throws(SignalingFrameReader.ReadError) -> [SignalingFrameReader.Event] {
        var reader = SignalingFrameReader(maxMessageSize: maxMessageSize, maxFragments: 8)
        var events: [SignalingFrameReader.Event] = []
        for chunk in bytes {
            reader.feed(chunk)
            while let event = try reader.next(allocator: ByteBufferAllocator()) { events.append(event) }
        }
        return events
    }

    @Test func theReaderJoinsFragmentsAroundControlFramesFromBytesInAnySplit() throws {
        var stream = ByteBuffer()
        var parts = [Self.clientFrame(.text, ByteBuffer(string: "hel"), fin: false),
                     Self.clientFrame(.ping, ByteBuffer(string: "p")),
                     Self.clientFrame(.continuation, ByteBuffer(string: "lo "), fin: false),
                     Self.clientFrame(.continuation, ByteBuffer(string: String(repeating: "w", count: 300))),
                     Self.clientFrame(.binary, ByteBuffer(bytes: [0, 1, 2])),
                     Self.clientFrame(.pong, ByteBuffer()),
                     Self.clientFrame(.connectionClose, ByteBuffer(bytes: [0x03, 0xE8]))]
        for index in parts.indices { stream.writeBuffer(&parts[index]) }
        let expected: [SignalingFrameReader.Event] = [.ping(ByteBuffer(string: "p")),
                                                      .message(ByteBuffer(string: "hello " + String(repeating: "w", count: 300))),
                                                      .message(ByteBuffer(bytes: [0, 1, 2])), .pong, .close(ByteBuffer(bytes: [0x03, 0xE8]))]
        #expect(try Self.read([stream]) == expected)
        // Every split point, and one byte at a time.
        for split in 1..<stream.readableBytes {
            let chunks = [stream.getSlice(at: 0, length: split)!, stream.getSlice(at: split, length: stream.readableBytes - split)!]
            #expect(try Self.read(chunks) == expected, "split at \(split)")
        }
        #expect(try Self.read((0..<stream.readableBytes).map { stream.getSlice(at: $0, length: 1)! }) == expected)
    }

    @Test(arguments: [
        ("unmasked", [ByteBuffer(bytes: [0x81, 0x01, 0x61])], WebSocketErrorCode.protocolError),
        ("reserved bit", [ByteBuffer(bytes: [0xC1, 0x81, 0, 0, 0, 0, 0x61])], .protocolError),
        ("unknown opcode", [ByteBuffer(bytes: [0x83, 0x80, 0, 0, 0, 0])], .protocolError),
        ("fragmented ping", [clientFrame(.ping, ByteBuffer(), fin: false)], .protocolError),
        ("long ping", [clientFrame(.ping, ByteBuffer(repeating: 1, count: 126))], .protocolError),
        ("continuation first", [clientFrame(.continuation, ByteBuffer(string: "x"))], .protocolError),
        ("message inside a message", [clientFrame(.text, ByteBuffer(string: "a"), fin: false), clientFrame(.text, ByteBuffer(string: "b"))], .protocolError),
        ("frame too large", [clientFrame(.text, ByteBuffer(repeating: 0x61, count: 1001))], .messageTooLarge),
        ("64-bit length", [ByteBuffer(bytes: [0x81, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0])], .messageTooLarge),
        ("joined too large", [clientFrame(.text, ByteBuffer(repeating: 0x61, count: 600), fin: false),
                              clientFrame(.continuation, ByteBuffer(repeating: 0x61, count: 600))], .messageTooLarge),
        ("too many fragments", [clientFrame(.text, ByteBuffer(string: "a"), fin: false)]
            + (0..<8).map { _ in clientFrame(.continuation, ByteBuffer(string: "a"), fin: false) }, .messageTooLarge),
    ])
    func protocolViolationsAreErrorsWithTheirCloseCode(_ name: String, _ frames: [ByteBuffer], _ code: WebSocketErrorCode) {
        #expect(throws: SignalingFrameReader.ReadError.self, "\(name)") { try Self.read(frames) }
        do {
            _ = try Self.read(frames)
        } catch {
            #expect(error.code == code, "\(name)")
        }
    }

    /// A frame whose header promises more than the limit is refused before its bytes arrive.
    @Test func anOversizedHeaderIsRefusedAtOnce() {
        #expect(throws: SignalingFrameReader.ReadError.self) { try Self.read([ByteBuffer(bytes: [0x81, 0xFE, 0xFF, 0xFF])]) }
    }
}
