import NIOCore
import RTCCore
import RTCDataChannel
import RTCSCTP
import RTCTestSupport

/// A raw `SCTPAssociation` playing a (possibly hostile) peer (side `a`) and the
/// `DataChannelManager` under test (side `b`), on RTCTestSupport's virtual-time harness over a
/// perfect link.
typealias FuzzPair = VirtualTimePair<SCTPAssociation, DataChannelManager>

/// An established pair with one channel open on stream 1. Built once and copied per input
/// (everything in it is a value type).
nonisolated(unsafe) let template: FuzzPair = {
    var pair = FuzzPair(SCTPAssociation(configuration: SCTPConfiguration(), rng: SeededRandom(seed: 1)),
                        DataChannelManager(configuration: DataChannelConfiguration(), rng: SeededRandom(seed: 2)),
                        start: .uptimeNanoseconds(0), aToB: { $0 }, bToA: { $0 },
                        sizeOfA: \.readableBytes, sizeOfB: \.readableBytes)
    pair.withA { peer, now in peer.connect(now: now) }
    pair.withB { manager, now in
        manager.start(role: .dtlsServer, now: now)
        _ = try? manager.createChannel(label: "fuzz", options: DataChannelOptions(negotiatedID: 1), now: now)
    }
    exchange(&pair)
    guard pair.a.state == .established, pair.b.isEstablished else { fatalError("fuzz template did not establish") }
    _ = pair.takeEventsA()
    _ = pair.takeEventsB()
    return pair
}()

/// Moves packets both ways and runs timers (delayed SACKs) for at most 5 s of virtual time.
func exchange(_ pair: inout FuzzPair) {
    pair.run(for: .seconds(5))
}

/// libFuzzer entry: DCEP messages must round-trip exactly (labels are validated UTF-8, never
/// repaired), and a manager fed arbitrary user messages (input = records of stream, PPID
/// selector, length, bytes) must never crash, must deliver exactly the valid text/binary
/// messages on its open channel, and must report everything malformed as a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let buffer = ByteBuffer(bytes: bytes)
    if let message = try? DCEPMessage.parse(buffer) {
        guard let reparsed = try? DCEPMessage.parse(message.serialized()) else { fatalError("DCEP re-parse failed") }
        guard reparsed == message else { fatalError("DCEP round trip changed the value") }
        if case .open(_, _, _, let label, let proto) = message {
            // The label bytes on the wire are exactly the label's UTF-8.
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            guard Array(label.utf8) == Array(bytes[12..<12 + labelLength]) else { fatalError("label bytes changed") }
            guard proto.utf8.count == Int(bytes[10]) << 8 | Int(bytes[11]) else { fatalError("protocol length changed") }
        }
    }

    var pair = template
    let ppids: [UInt32] = [DataChannelPPID.dcep, DataChannelPPID.string, DataChannelPPID.binary,
                           DataChannelPPID.stringEmpty, DataChannelPPID.binaryEmpty, 52]
    var expected: [DataChannelMessage] = []
    var i = 0
    while i + 3 <= size {
        let stream = UInt16(bytes[i] & 0x07)
        let ppid = ppids[Int(bytes[i + 1]) % ppids.count]
        let length = min(Int(bytes[i + 2]), size - i - 3)
        let payload = Array(bytes[(i + 3)..<(i + 3 + length)])
        i += 3 + length
        guard !payload.isEmpty else { continue }
        let sent = pair.withA { peer, now in
            (try? peer.send(stream: stream, ppid: ppid, payload: ByteBuffer(bytes: payload), now: now)) != nil
        }
        guard sent else { continue }
        if stream == 1 {
            switch ppid {
            case DataChannelPPID.string:
                if let text = String(validating: payload, as: UTF8.self) { expected.append(.text(text)) }
            case DataChannelPPID.stringEmpty: expected.append(.text(""))
            case DataChannelPPID.binary: expected.append(.binary(payload))
            case DataChannelPPID.binaryEmpty: expected.append(.binary([]))
            default: break
            }
        }
    }
    exchange(&pair)
    let manager = pair.b
    var delivered: [DataChannelMessage] = []
    for event in pair.takeEventsB() {
        switch event {
        case .message(let handle, let message) where manager.streamID(of: handle) == 1:
            delivered.append(message)
        case .protocolError(_, .invalidUTF8(let stream, _)) where stream != 1 && manager.handle(forStream: stream) == nil:
            fatalError("a UTF-8 error reported for a stream without a channel")
        default:
            break
        }
    }
    // Stream 1 is the negotiated channel: nothing on it may be lost, invented or repaired
    // (a duplicate OPEN on stream 1 is refused, so the channel stays the same).
    guard delivered == expected else { fatalError("stream 1 delivered \(delivered.count) messages, expected \(expected.count)") }
    return 0
}
