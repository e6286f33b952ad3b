import NIOCore
import RTCRTP

/// libFuzzer entry: parses arbitrary bytes as a compound RTCP datagram (RFC 3550 §6, RFC 4585,
/// RFC 5104, RFC 3611, transport-wide CC). Whatever parses must serialize to its declared size
/// and parse back to an equal value with stable bytes; decoded views must be consistent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    guard let compound = try? RTCPCompoundPacket(parsing: buffer) else { return 0 }
    for packet in compound.packets {
        switch packet {
        case .transportFeedback(.transportWideCC(let twcc)):
            let results = twcc.packets
            precondition(results.count == Int(twcc.packetStatusCount), "TWCC decoded \(results.count) statuses")
            precondition(results.filter { $0.delta != nil }.count == twcc.receiveDeltas.count, "TWCC delta count mismatch")
            _ = twcc.arrivalTimesMicroseconds
        case .transportFeedback(.genericNACK(let nack)):
            let rebuilt = RTCPGenericNACK.pairs(for: nack.lostSequenceNumbers)
            precondition(Set(rebuilt.flatMap(\.lostSequenceNumbers)) == Set(nack.lostSequenceNumbers), "NACK list helpers disagree")
        case .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(let remb)):
            _ = remb.bitrate
        default:
            break
        }
    }
    var out = ByteBuffer()
    compound.serialize(into: &out)
    precondition(out.readableBytes == compound.serializedSize, "serializedSize disagrees with serialize")
    precondition(out.readableBytes % 4 == 0, "serialized RTCP is not 32-bit aligned")
    guard let again = try? RTCPCompoundPacket(parsing: out) else { preconditionFailure("serialized RTCP does not parse") }
    precondition(again == compound, "parse → serialize → parse changed the packets")
    precondition(again.serialized() == out, "serialization is not stable")
    return 0
}
