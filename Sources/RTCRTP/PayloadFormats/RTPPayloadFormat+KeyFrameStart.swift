import NIOCore

extension VP8PayloadFormat {
    /// A VP8 payload starts a key frame when it starts a frame (S = 1, PID = 0) and the VP8
    /// payload header after the descriptor has P = 0 (RFC 7741 §4.2, §4.3).
    public static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool {
        guard let (descriptor, media) = try? VP8PayloadDescriptor.parse(payload), descriptor.isStartOfFrame,
              let first = media.getInteger(at: media.readerIndex, as: UInt8.self)
        else { return false }
        return first & 0x01 == 0
    }
}

extension VP9PayloadFormat {
    /// A VP9 payload starts a key frame when it starts a frame (B = 1) that is not
    /// inter-picture predicted (P = 0) in the lowest spatial layer (RFC 9628 §4.2).
    public static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool {
        guard let descriptor = (try? VP9PayloadDescriptor.parse(payload))?.descriptor else { return false }
        return descriptor.isStartOfFrame && !descriptor.isInterPicturePredicted
            && (descriptor.layerIndices?.spatialLayerIndex ?? 0) == 0
    }
}

extension H264PayloadFormat {
    /// An H.264 payload starts a key frame when a decoder can start there: it carries a sequence
    /// parameter set at its start (a single NAL unit, or one aggregated in a STAP-A, as encoders
    /// send SPS/PPS before an IDR picture), or a STAP-A aggregates an IDR slice (RFC 6184 §5.6,
    /// §5.7.1). An FU-A fragment of an IDR slice is not one: the parameter sets before it would
    /// be missing.
    public static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool {
        let base = payload.readerIndex
        guard let header = payload.getInteger(at: base, as: UInt8.self) else { return false }
        switch header & 0x1F {
        case NALUnitType.sequenceParameterSet:
            return true
        case NALUnitType.stapA:
            var offset = 1
            while let size = payload.getInteger(at: base + offset, as: UInt16.self), size > 0,
                  offset + 2 + Int(size) <= payload.readableBytes {
                if let nal = payload.getInteger(at: base + offset + 2, as: UInt8.self),
                   nal & 0x1F == NALUnitType.sequenceParameterSet || nal & 0x1F == NALUnitType.idrSlice {
                    return true
                }
                offset += 2 + Int(size)
            }
            return false
        default:
            return false
        }
    }
}

extension AV1PayloadFormat {
    /// An AV1 payload starts a key frame when its aggregation header starts a temporal unit
    /// (Z = 0) and begins a new coded video sequence (N = 1) (AV1 RTP payload specification §4.4).
    public static func isKeyFrameStart(_ payload: ByteBuffer) -> Bool {
        guard let header = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { return false }
        return header & 0x80 == 0 && header & 0x08 != 0
    }
}

extension VP8PayloadFormat {
    /// The picture size a VP8 key frame's first packet states (the frame header's start code
    /// and 14-bit width and height, RFC 6386 §9.1), nil for any other payload.
    public static func keyFrameSize(_ payload: ByteBuffer) -> (width: Int, height: Int)? {
        guard let (descriptor, media) = try? VP8PayloadDescriptor.parse(payload), descriptor.isStartOfFrame else { return nil }
        return keyFrameSize(ofFrame: media)
    }

    /// The picture size a VP8 key frame's header states (RFC 6386 §9.1), for a whole frame or
    /// the media part of its first packet; nil when it is not a key frame.
    public static func keyFrameSize(ofFrame frame: ByteBuffer) -> (width: Int, height: Int)? {
        guard let header = frame.getBytes(at: frame.readerIndex, length: 10),
              header[0] & 0x01 == 0, header[3] == 0x9D, header[4] == 0x01, header[5] == 0x2A else { return nil }
        let width = (Int(header[6]) | Int(header[7]) << 8) & 0x3FFF
        let height = (Int(header[8]) | Int(header[9]) << 8) & 0x3FFF
        return (width, height)
    }
}
