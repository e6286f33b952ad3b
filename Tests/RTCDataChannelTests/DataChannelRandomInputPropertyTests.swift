import NIOCore
import RTCCore
@testable import RTCDataChannel
import RTCSCTP
import Testing

/// The FuzzDataChannel invariant, run deterministically: seeded random user messages (random
/// PPIDs, random bytes — often invalid UTF-8 or malformed DCEP) on random streams never crash
/// the manager; on an open channel exactly the well-formed messages arrive, in order.
@Suite struct DataChannelRandomInputPropertyTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomInputDeliversExactlyTheValidMessages(seed: UInt64) throws {
        var pair = DataChannelPair(seed: seed)
        let connected = pair.connect()
        #expect(connected)
        let channel = try pair.b.createChannel(label: "target", options: DataChannelOptions(negotiatedID: 1), now: pair.now)
        var rng = SeededRandom(seed: seed &* 7919)
        let ppids: [UInt32] = [DataChannelPPID.dcep, DataChannelPPID.string, DataChannelPPID.binary,
                               DataChannelPPID.stringEmpty, DataChannelPPID.binaryEmpty, 52]
        var expected: [DataChannelMessage] = []
        for _ in 0..<300 {
            let stream = UInt16(rng.next() % 8)
            let ppid = ppids[Int(rng.next() % UInt64(ppids.count))]
            var bytes = (0..<Int(rng.next() % 24 + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 3 == 0 { bytes = Array("ok-\(rng.next() % 100)-é".utf8) }  // some valid text too
            try pair.a.association.send(stream: stream, ppid: ppid, payload: ByteBuffer(bytes: bytes), now: pair.now)
            guard stream == 1 else { continue }
            switch ppid {
            case DataChannelPPID.string:
                if let text = String(validating: bytes, as: UTF8.self) { expected.append(.text(text)) }
            case DataChannelPPID.stringEmpty: expected.append(.text(""))
            case DataChannelPPID.binary: expected.append(.binary(bytes))
            case DataChannelPPID.binaryEmpty: expected.append(.binary([]))
            default: break
            }
        }
        pair.run(for: .seconds(5))
        #expect(!expected.isEmpty)
        #expect(pair.eventsB.messages(on: channel) == expected)
        #expect(pair.b.association.state == .established)
        #expect(pair.b.state(of: channel) == .open)
    }
}
