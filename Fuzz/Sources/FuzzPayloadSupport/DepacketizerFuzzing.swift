import NIOCore
import RTCRTP

/// The RTP payload formats with a depacketizer, one fuzz target each.
public enum FuzzedPayloadFormat: CaseIterable, Sendable {
    case opus, vp8, vp9, h264, av1
}

/// Feeds arbitrary payloads to one depacketizer. The input is a list of payloads, each a length
/// octet and that many bytes; its first byte also picks the payload size for the re-packetizing
/// check. A depacketizer must throw a typed error or return a frame no more than 6× the input;
/// a VP8 or VP9 frame it returns must survive packetize → depacketize unchanged, and an H.264
/// access unit or AV1 temporal unit must packetize again without an error.
public func fuzzDepacketizer(_ format: FuzzedPayloadFormat, _ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
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
        switch format {
        case .opus: frame = try OpusPayloadFormat.depacketize(payloads)
        case .vp8: frame = try VP8PayloadFormat.depacketize(payloads)
        case .vp9: frame = try VP9PayloadFormat.depacketize(payloads)
        case .h264: frame = try H264PayloadFormat.depacketize(payloads)
        case .av1: frame = try AV1PayloadFormat.depacketize(payloads)
        }
    } catch {
        return 0
    }
    precondition(frame.data.readableBytes <= 6 * input, "output \(frame.data.readableBytes) for \(input) input bytes")
    let maxPayloadSize = 8 + Int(selector)
    do {
        switch format {
        case .vp8:
            var packetizer = VP8PayloadFormat()
            let again = try VP8PayloadFormat.depacketize(try packetizer.packetize(frame.data, maxPayloadSize: maxPayloadSize))
            precondition(again == frame, "VP8 packetize → depacketize changed the frame")
        case .vp9:
            var packetizer = VP9PayloadFormat()
            let again = try VP9PayloadFormat.depacketize(try packetizer.packetize(frame.data, maxPayloadSize: 64 + maxPayloadSize))
            precondition(again.data == frame.data, "VP9 packetize → depacketize changed the frame")
        case .opus, .h264, .av1:
            break
        }
    } catch {
        preconditionFailure("a depacketized frame does not packetize and depacketize again: \(error)")
    }
    return 0
}
