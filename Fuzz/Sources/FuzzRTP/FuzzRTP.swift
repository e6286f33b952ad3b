import NIOCore
import RTCRTP

/// libFuzzer entry: parses arbitrary bytes as RTP (RFC 3550 §5.1, RFC 8285). Whatever parses
/// must serialize to its declared size and parse back to an equal packet whose bytes are stable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    guard let packet = try? RTPPacket(parsing: buffer) else { return 0 }
    if let ext = packet.header.headerExtension {
        for element in ext.elements {
            precondition(ext.value(forID: element.id) != nil, "element \(element.id) not found by value(forID:)")
        }
        if case .oneByte = ext.form, !ext.elements.isEmpty {
            // Re-encoding the decoded elements gives a block with the same elements.
            if let rebuilt = try? RTPHeaderExtension(oneByte: ext.elements) {
                precondition(rebuilt.elements == ext.elements, "one-byte re-encoding changed the elements")
            }
        }
    }
    var out = ByteBuffer()
    packet.serialize(into: &out)
    precondition(out.readableBytes == packet.serializedSize, "serializedSize disagrees with serialize")
    precondition(out.readableBytes == size, "serialized length \(out.readableBytes) differs from input \(size)")
    guard let again = try? RTPPacket(parsing: out) else { preconditionFailure("serialized packet does not parse") }
    precondition(again == packet, "parse → serialize → parse changed the packet")
    precondition(again.serialized() == out, "serialization is not stable")
    return 0
}
