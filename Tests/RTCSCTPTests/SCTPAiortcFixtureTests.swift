import NIOCore
import RTCCore
import Testing
@testable import RTCSCTP

/// Packets captured from aiortc 1.16's SCTP codec (`rtcsctptransport.serialize_packet`):
/// our parser reads them (CRC32c included) and our serializer reproduces them byte for byte.
@Suite struct SCTPAiortcFixtureTests {
    static let initHex = "13881388000000003d695a970100001e1122334400020000ffffffff01020304c00000048008000682c00000"
    static let dataHex = "13881388cafebabe8e3f44480003001c00000007000100000000003368656c6c6f2061696f727463"
    static let sackHex = "13881388cafebabe6e6946410300001800000005000003e8000100010002000300000004"
    static let forwardHex = "13881388cafebabe650bd48cc000000c0000006400010005"

    static func buffer(_ hex: String) -> ByteBuffer { ByteBuffer(bytes: Hex.decode(hex)!) }

    @Test func initFromAiortcParsesAndReserializesIdentically() throws {
        let packet = try SCTPPacket.parse(Self.buffer(Self.initHex))
        guard case .initiate(let c) = packet.chunks.first else { Issue.record("not INIT"); return }
        #expect(packet.verificationTag == 0)
        #expect(c.initiateTag == 0x1122_3344 && c.initialTSN == 0x0102_0304 && c.advertisedReceiverWindowCredit == 131_072)
        #expect(c.supportsForwardTSN && c.supportsReconfig)
        #expect(packet.serialized() == Self.buffer(Self.initHex))
    }

    @Test func dataSackAndForwardTSNFromAiortcRoundTrip() throws {
        let data = try SCTPPacket.parse(Self.buffer(Self.dataHex))
        guard case .data(let d) = data.chunks.first else { Issue.record("not DATA"); return }
        #expect(d.tsn == 7 && d.streamIdentifier == 1 && d.payloadProtocolIdentifier == 51 && d.isBeginning && d.isEnding)
        #expect(String(buffer: d.userData) == "hello aiortc")
        let sack = try SCTPPacket.parse(Self.buffer(Self.sackHex))
        #expect(sack.chunks == [.sack(SelectiveAckChunk(cumulativeTSNAck: 5, advertisedReceiverWindowCredit: 1000,
                                                        gapAckBlocks: [.init(start: 2, end: 3)], duplicateTSNs: [4]))])
        let fwd = try SCTPPacket.parse(Self.buffer(Self.forwardHex))
        #expect(fwd.chunks == [.forwardTSN(ForwardTSNChunk(newCumulativeTSN: 100, streams: [.init(stream: 1, sequenceNumber: 5)]))])
        for hex in [Self.dataHex, Self.sackHex, Self.forwardHex] {
            #expect(try SCTPPacket.parse(Self.buffer(hex)).serialized() == Self.buffer(hex))
        }
    }
}
