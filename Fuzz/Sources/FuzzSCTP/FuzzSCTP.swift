import NIOCore
import RTCDataChannel
import RTCSCTP

/// libFuzzer entry: SCTP packets (checksum not required), their chunks, and DCEP messages.
/// Checks that whatever parses re-serializes to bytes that parse to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    if let packet = try? SCTPPacket.parse(buffer, verifyChecksum: false) {
        let again = packet.serialized()
        guard let reparsed = try? SCTPPacket.parse(again) else { fatalError("serialized packet does not parse") }
        guard reparsed == packet else { fatalError("packet round trip changed the value") }
    }
    if let message = try? DCEPMessage.parse(buffer) {
        // Labels and protocols are validated UTF-8 (never repaired), so one round trip is exact.
        guard let reparsed = try? DCEPMessage.parse(message.serialized()) else { fatalError("DCEP re-parse failed") }
        guard reparsed == message else { fatalError("DCEP round trip changed the value") }
    }
    return 0
}
