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
                let ours = SignalingFrames.payload(of: frame, allocator: ByteBufferAllocator())
                #expect(ours == frame.unmaskedData, "length \(length), offset \(offset)")
                #expect(storage.readableBytes == length)  // the frame's bytes are left as they were
            }
        }
        let unmasked = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "plain"))
        #expect(SignalingFrames.payload(of: unmasked, allocator: ByteBufferAllocator()) == ByteBuffer(string: "plain"))
    }
}
