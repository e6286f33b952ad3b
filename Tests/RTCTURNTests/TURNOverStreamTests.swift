import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// TURN over a TCP/TLS stream (RFC 8656 §3.1, §12.5): `TURNStreamFramer` splits the stream into
/// STUN messages and padded ChannelData; the client sends each request once and waits Ti
/// (RFC 8489 §6.2.2), and pads its ChannelData.
@Suite struct TURNOverStreamTests {
    static let peer = TransportAddress(ip: .v4(0xC633_6407), port: 7000)

    static func stunMessage(_ n: UInt32, dataBytes: Int) -> ByteBuffer {
        let tid = STUNTransactionID(high: n, low: UInt64(n) &* 977)
        return STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: tid,
                           attributes: [.xorAddress(.xorPeerAddress, peer, transactionID: tid),
                                        STUNAttribute(type: .data, value: [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: dataBytes))]).encoded()
    }

    static func channelData(_ n: Int, length: Int) -> TURNChannelData {
        TURNChannelData(channel: 0x4000 + UInt16(n % 16), data: ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ n) }))
    }

    /// Whole messages out of `framer`, until it needs more bytes.
    static func drain(_ framer: inout TURNStreamFramer) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while let m = try framer.next() { out.append(m) }
        return out
    }

    @Test func messagesFedOneByteAtATimeComeOutWholeWithoutPadding() throws {
        let cd5 = Self.channelData(1, length: 5), cd8 = Self.channelData(2, length: 8), cd0 = Self.channelData(3, length: 0)
        let messages = [Self.stunMessage(1, dataBytes: 3), cd5.encoded(pad: true), cd8.encoded(pad: true), cd0.encoded(pad: true),
                        Self.stunMessage(2, dataBytes: 0)]
        var stream = ByteBuffer()
        for var m in messages { stream.writeBuffer(&m) }
        #expect(stream.readableBytes % 4 == 0)
        var framer = TURNStreamFramer()
        var out: [ByteBuffer] = []
        for byte in stream.readableBytesView {
            framer.append(ByteBuffer(bytes: [byte]))
            out += try Self.drain(&framer)
        }
        #expect(framer.bufferedBytes == 0)
        #expect(out.count == 5)
        #expect(out[0] == messages[0] && out[4] == messages[4])
        #expect(try TURNChannelData(parsing: out[1]) == cd5 && out[1].readableBytes == 9, "padding stripped")
        #expect(try TURNChannelData(parsing: out[2]) == cd8)
        #expect(try TURNChannelData(parsing: out[3]) == cd0)
    }

    @Test func randomMessagesSplitAtRandomPointsRoundTrip() throws {
        var rng = SeededRandom(seed: 2026)
        for _ in 0..<200 {
            var expected: [ByteBuffer] = []
            var stream = ByteBuffer()
            for n in 0..<Int(rng.next() % 8 + 1) {
                var message: ByteBuffer
                if rng.next() % 2 == 0 {
                    message = Self.stunMessage(UInt32(n), dataBytes: Int(rng.next() % 200))
                    expected.append(message)
                } else {
                    let cd = Self.channelData(n, length: Int(rng.next() % 1500))
                    message = cd.encoded(pad: true)
                    expected.append(cd.encoded(pad: false))
                }
                stream.writeBuffer(&message)
            }
            var framer = TURNStreamFramer()
            var out: [ByteBuffer] = []
            while stream.readableBytes > 0 {
                let n = min(stream.readableBytes, Int(rng.next() % 700) + 1)
                framer.append(stream.readSlice(length: n)!)
                out += try Self.drain(&framer)
            }
            #expect(out == expected)
            #expect(framer.bufferedBytes == 0)
        }
    }

    @Test func aStreamOutOfStepIsAnError() throws {
        var framer = TURNStreamFramer()
        var good = Self.channelData(1, length: 2).encoded(pad: true)
        good.writeBytes([0x80, 0, 0, 0])
        framer.append(good)
        #expect(try framer.next() != nil)
        #expect(throws: TURNStreamFramingError.unexpectedLeadingByte(0x80)) { try framer.next() }

        var small = TURNStreamFramer(maximumBuffered: 100)
        small.append(ByteBuffer(bytes: [0x40, 0x00, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 200)))
        #expect(throws: TURNStreamFramingError.bufferLimitExceeded(204)) { try small.next() }
    }

    static func streamHarness() -> TURNHarness {
        var h = TURNHarness()
        h.client = TURNClient(configuration: TURNClientConfiguration(server: FakeTURNServer.address, username: "alice", password: "wonderland",
                                                                     transport: .stream),
                              rng: SeededRandom(seed: 42))
        return h
    }

    @Test func overAStreamRequestsAreSentOnceAndTimeOutAfterTi() {
        var h = Self.streamHarness()
        h.server.dropNext = 1000
        h.client.allocate(now: h.now)
        h.pump()
        h.advance(by: .milliseconds(39_499))
        #expect(h.client.state == .allocating)
        #expect(h.server.requests(.allocate).count == 1, "no retransmission over a reliable transport")
        h.advance(by: .milliseconds(1))
        #expect(h.client.state == .failed(.timedOut(method: .allocate)))
        #expect(h.client.statistics.retransmissions == 0)
    }

    @Test func overAStreamChannelDataIsPaddedAndAllocationWorks() throws {
        var h = Self.streamHarness()
        try h.mustAllocate()
        let number = try h.client.bindChannel(to: Self.peer, now: h.now)
        h.pump()
        #expect(h.client.boundChannel(for: Self.peer) == number)
        for length in [1, 2, 3, 4, 5, 1199] {
            let t = try h.client.send(ByteBuffer(bytes: [UInt8](repeating: 7, count: length)), to: Self.peer, now: h.now)
            #expect(t.payload.readableBytes == 4 + (length + 3) / 4 * 4)
            var framer = TURNStreamFramer()
            framer.append(t.payload)
            let message = try #require(try framer.next())
            #expect(try TURNChannelData(parsing: message).data.readableBytes == length)
        }
    }
}
