import NIOCore
import RTCRTP
import RTCRTPStreams

/// libFuzzer entry: a hostile sender against one receive stream (jitter buffer, frame
/// assembler, NACK generator, RTX unwrapping, reports). The first byte picks the payload format;
/// then records follow, each `kind, argument, length, bytes…`: kind 0 raw RTP bytes, 1 an RTP
/// packet on the stream's SSRC (sequence number, timestamp and marker from the bytes, the rest
/// the payload), 2 the same on the RTX SSRC, 3 raw RTCP bytes, 4 time passes (argument × 7 ms).
/// The stream must never trap, never emit more frames than packets it got, and must drain:
/// after a long quiet time nothing is held and its deadline is bounded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let formats: [(any RTPPayloadFormat.Type, Bool)] = [
        (VP8PayloadFormat.self, false), (VP9PayloadFormat.self, false), (H264PayloadFormat.self, false),
        (AV1PayloadFormat.self, false), (OpusPayloadFormat.self, true),
    ]
    let (format, isAudio) = formats[Int(selector) % formats.count]
    let ssrc: UInt32 = 0x1234_5678, rtxSSRC: UInt32 = 0x9ABC_DEF0
    var stream = RTPReceiveStream(configuration: .init(localSSRC: 1, remoteSSRC: ssrc, payloadType: 96, format: format,
                                                       rtx: (rtxSSRC, 97), isAudio: isAudio))
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var packets = 0, frames = 0
    func drain() {
        while stream.pollTransmit() != nil {}
        while let event = stream.pollEvent() { if case .frame = event { frames += 1 } }
    }
    var offset = 1
    while offset + 3 <= size {
        let kind = bytes[offset] % 5, argument = bytes[offset + 1]
        let length = min(Int(bytes[offset + 2]), size - offset - 3)
        let body = bytes[(offset + 3)..<(offset + 3 + length)]
        offset += 3 + length
        switch kind {
        case 0:
            packets += 1
            stream.handle(.rtp(ByteBuffer(bytes: body)), now: now)
        case 1, 2:
            guard body.count >= 6 else { continue }
            let b = Array(body)
            let sequence = UInt16(b[0]) << 8 | UInt16(b[1])
            let timestamp = UInt32(b[2]) << 24 | UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5])
            let header = RTPHeader(marker: argument & 1 == 1, payloadType: kind == 1 ? 96 : 97, sequenceNumber: sequence,
                                   timestamp: timestamp, ssrc: kind == 1 ? ssrc : rtxSSRC)
            packets += 1
            stream.handle(.rtpPacket(RTPPacket(header: header, payload: ByteBuffer(bytes: b[6...]))), now: now)
        case 3:
            stream.handle(.rtcp(ByteBuffer(bytes: body)), now: now)
        default:
            now = now + .milliseconds(7 * Int64(argument))
            stream.handleTimeout(now: now)
        }
        drain()
        precondition(frames <= packets, "\(frames) frames from \(packets) packets")
    }
    // A long quiet time: the stream gives up on everything it holds and settles.
    for _ in 0..<3 {
        now = now + .seconds(5)
        stream.handleTimeout(now: now)
        drain()
    }
    precondition(frames <= packets, "\(frames) frames from \(packets) packets")
    if let deadline = stream.nextDeadline {
        precondition(deadline <= now + .seconds(5), "deadline \(deadline) far beyond \(now)")
    }
    return 0
}
