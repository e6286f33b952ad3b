import NIOCore
import RTCRTP

/// libFuzzer entry: feeds arbitrary payloads to every RTP payload depacketizer (Opus, VP8,
/// VP9, H.264, AV1). The first byte picks the format; the rest is a list of payloads, each a
/// length octet and that many bytes. Depacketizers must throw a typed error or return a frame
/// no more than 6× the input; a VP8 or VP9 frame must survive packetize → depacketize.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    var payloads: [ByteBuffer] = []
    var offset = 1
    while offset < size {
        let length = min(Int(bytes[offset]), size - offset - 1)
        payloads.append(ByteBuffer(bytes: bytes[(offset + 1)..<(offset + 1 + length)]))
        offset += 1 + length
    }
    let input = payloads.reduce(0) { $0 + $1.readableBytes }
    let frame: RTPEncodedFrame
    do {
        switch selector % 5 {
        case 0: frame = try OpusPayloadFormat.depacketize(payloads)
        case 1: frame = try VP8PayloadFormat.depacketize(payloads)
        case 2: frame = try VP9PayloadFormat.depacketize(payloads)
        case 3: frame = try H264PayloadFormat.depacketize(payloads)
        default: frame = try AV1PayloadFormat.depacketize(payloads)
        }
    } catch {
        return 0
    }
    precondition(frame.data.readableBytes <= 6 * input, "output \(frame.data.readableBytes) for \(input) input bytes")
    let maxPayloadSize = 8 + Int(selector / 5)
    do {
        switch selector % 5 {
        case 1:
            var format = VP8PayloadFormat()
            let again = try VP8PayloadFormat.depacketize(try format.packetize(frame.data, maxPayloadSize: maxPayloadSize))
            precondition(again == frame, "VP8 packetize → depacketize changed the frame")
        case 2:
            var format = VP9PayloadFormat()
            let again = try VP9PayloadFormat.depacketize(try format.packetize(frame.data, maxPayloadSize: 64 + maxPayloadSize))
            precondition(again.data == frame.data, "VP9 packetize → depacketize changed the frame")
        default:
            break
        }
    } catch {
        preconditionFailure("a depacketized frame does not packetize and depacketize again: \(error)")
    }
    return 0
}
