import NIOCore

extension VP8PayloadFormat {
    /// A VP8 payload starts a frame when its descriptor has S = 1 and PID = 0 (RFC 7741 §4.2).
    public static func isFrameStart(_ payload: ByteBuffer) -> Bool {
        (try? VP8PayloadDescriptor.parse(payload))?.descriptor.isStartOfFrame ?? false
    }
}

extension VP9PayloadFormat {
    /// A VP9 payload starts a frame when its descriptor has B = 1 (RFC 9628 §4.2).
    public static func isFrameStart(_ payload: ByteBuffer) -> Bool {
        (try? VP9PayloadDescriptor.parse(payload))?.descriptor.isStartOfFrame ?? false
    }
}

extension H264PayloadFormat {
    /// An H.264 payload may start an access unit unless it is an FU-A continuation (S = 0) or
    /// has a type packetization mode 1 does not allow (RFC 6184 §5.8, §6.3).
    public static func isFrameStart(_ payload: ByteBuffer) -> Bool {
        guard let header = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { return false }
        switch header & 0x1F {
        case 1...23, NALUnitType.stapA: return true
        case NALUnitType.fuA:
            guard let fu = payload.getInteger(at: payload.readerIndex + 1, as: UInt8.self) else { return false }
            return fu & 0x80 != 0
        default: return false
        }
    }
}

extension AV1PayloadFormat {
    /// An AV1 payload starts a temporal unit when its aggregation header does not continue an
    /// OBU fragment (Z = 0) (AV1 RTP payload specification §4.4).
    public static func isFrameStart(_ payload: ByteBuffer) -> Bool {
        guard let header = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { return false }
        return header & 0x80 == 0
    }
}
