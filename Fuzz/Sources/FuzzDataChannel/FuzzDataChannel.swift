import NIOCore
import RTCCore
import RTCDataChannel
import RTCSCTP

/// An established association pair: a raw `SCTPAssociation` playing a (possibly hostile) peer,
/// and a `DataChannelManager` under test with one channel open on stream 1. Built once and
/// copied per input (both are value types).
nonisolated(unsafe) let template: (peer: SCTPAssociation, manager: DataChannelManager) = {
    var peer = SCTPAssociation(configuration: SCTPConfiguration(), rng: SeededRandom(seed: 1))
    var manager = DataChannelManager(configuration: DataChannelConfiguration(), rng: SeededRandom(seed: 2))
    let now = NIODeadline.uptimeNanoseconds(0)
    peer.connect(now: now)
    manager.start(role: .dtlsServer, now: now)
    _ = try? manager.createChannel(label: "fuzz", options: DataChannelOptions(negotiatedID: 1), now: now)
    exchange(&peer, &manager, now: now)
    guard peer.state == .established, manager.isEstablished else { fatalError("fuzz template did not establish") }
    while manager.pollEvent() != nil {}
    return (peer, manager)
}()

/// Moves packets both ways, advancing virtual time to the next timer (delayed SACKs) when
/// nothing is in flight, for at most 5 s of virtual time.
func exchange(_ peer: inout SCTPAssociation, _ manager: inout DataChannelManager, now start: NIODeadline) {
    var now = start
    let end = start + .seconds(5)
    while now < end {
        var moved = false
        while let p = peer.pollTransmit() { manager.handle(p, now: now); moved = true }
        while let p = manager.pollTransmit() { peer.handle(p, now: now); moved = true }
        while peer.pollEvent() != nil {}
        if moved { continue }
        guard let next = [peer.nextDeadline, manager.nextDeadline].compactMap({ $0 }).min(), next < end else { return }
        now = max(now, next)
        if let d = peer.nextDeadline, d <= now { peer.handleTimeout(now: now) }
        if let d = manager.nextDeadline, d <= now { manager.handleTimeout(now: now) }
    }
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

    var (peer, manager) = template
    let now = NIODeadline.uptimeNanoseconds(0)
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
        guard (try? peer.send(stream: stream, ppid: ppid, payload: ByteBuffer(bytes: payload), now: now)) != nil else { continue }
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
    exchange(&peer, &manager, now: now)
    var delivered: [DataChannelMessage] = []
    while let event = manager.pollEvent() {
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
