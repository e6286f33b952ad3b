import NIOCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport

/// Helpers for the receive-side tests.
enum Recv {
    static let t0 = NIODeadline.virtualStart

    static func ms(_ value: Int64) -> NIODeadline { t0 + .milliseconds(value) }

    static func packet(seq: UInt16, ts: UInt32, ssrc: UInt32 = 0x1111, pt: UInt8 = 96, marker: Bool = false,
                       payload: [UInt8] = [0x90, 0x80, 0x00, 0x00, 0x01]) -> RTPPacket {
        RTPPacket(header: RTPHeader(marker: marker, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: ssrc),
                  payload: ByteBuffer(bytes: payload))
    }

    /// A VP8-shaped frame: a 3-byte frame tag (key frame when `key`), the frame index, filler.
    static func vp8Frame(index: Int, key: Bool, size: Int) -> ByteBuffer {
        var bytes = [UInt8](repeating: 0, count: max(size, 10))
        bytes[0] = key ? 0x10 : 0x11
        bytes[1] = 0x02
        bytes[2] = 0x00
        if key { bytes[3] = 0x9D; bytes[4] = 0x01; bytes[5] = 0x2A }
        withUnsafeBytes(of: UInt32(index).bigEndian) { for (i, b) in $0.enumerated() { bytes[6 + i] = b } }
        for i in 10..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: index &* 31 &+ i) }
        return ByteBuffer(bytes: bytes)
    }

    /// The frame index written by `vp8Frame`.
    static func vp8Index(_ data: ByteBuffer) -> Int? {
        data.getInteger(at: data.readerIndex + 6, as: UInt32.self).map(Int.init)
    }

    /// VP8 packets of one frame: consecutive sequence numbers from `firstSeq`, marker on the last.
    static func vp8Packets(index: Int, key: Bool, size: Int, firstSeq: UInt16, ts: UInt32, ssrc: UInt32 = 0x1111,
                           maxPayload: Int = 500) -> [RTPPacket] {
        var format = VP8PayloadFormat(firstPictureID: UInt16(index & 0x7FFF))
        let payloads = (try? format.packetize(vp8Frame(index: index, key: key, size: size), maxPayloadSize: maxPayload)) ?? []
        return payloads.enumerated().map { i, payload in
            RTPPacket(header: RTPHeader(marker: i == payloads.count - 1, payloadType: 96, sequenceNumber: firstSeq &+ UInt16(i),
                                        timestamp: ts, ssrc: ssrc), payload: payload)
        }
    }

    static func frames(_ assembler: inout FrameAssembler) -> [FrameAssembler.Output] {
        var out: [FrameAssembler.Output] = []
        while let o = assembler.poll() { out.append(o) }
        return out
    }

    static func events(_ stream: inout RTPReceiveStream) -> [RTPReceiveStream.Event] {
        stream.drainEvents()
    }

    static func transmits(_ stream: inout RTPReceiveStream) -> [RTCPPacket] {
        stream.drainTransmits()
    }
}

extension FrameAssembler.Output {
    var frame: ReceivedFrame? { if case .frame(let f) = self { f } else { nil } }
    var drop: FrameDrop? { if case .dropped(let d) = self { d } else { nil } }
}

extension RTPReceiveStream.Event {
    var frame: ReceivedFrame? { if case .frame(let f) = self { f } else { nil } }
}
