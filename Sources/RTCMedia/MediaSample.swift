import NIOCore

/// Whether a track carries audio or video.
public enum MediaKind: String, Hashable, Sendable, CaseIterable {
    /// Audio (Opus).
    case audio
    /// Video (VP8, VP9, AV1, H.264).
    case video
}

/// The codecs a media file can hold for SwiftRTC: the ones WebRTC sends.
public enum MediaCodec: String, Hashable, Sendable, CaseIterable {
    /// Opus (RFC 6716), 48 kHz.
    case opus
    /// VP8 (RFC 6386).
    case vp8
    /// VP9.
    case vp9
    /// AV1; a sample is a temporal unit of OBUs.
    case av1
    /// H.264; a sample is an access unit in Annex B form.
    case h264

    /// Audio for Opus, video for the others.
    public var kind: MediaKind { self == .opus ? .audio : .video }
}

/// One encoded frame (video) or packet (audio) read from a file, ready to be packetized.
public struct MediaSample: Hashable, Sendable {
    /// Audio or video.
    public var kind: MediaKind
    /// The codec of ``data``.
    public var codec: MediaCodec
    /// The encoded bytes (a video frame, an Annex B access unit, or one Opus packet).
    public var data: ByteBuffer
    /// Presentation time from the start of the file (plus the loop offset when looping).
    public var timestamp: TimeAmount
    /// How long the sample lasts, when the file says so (Opus packets always know it).
    public var duration: TimeAmount?
    /// Whether a decoder can start here (always true for audio).
    public var isKeyFrame: Bool

    /// Creates a sample.
    public init(kind: MediaKind, codec: MediaCodec, data: ByteBuffer, timestamp: TimeAmount,
                duration: TimeAmount? = nil, isKeyFrame: Bool) {
        self.kind = kind
        self.codec = codec
        self.data = data
        self.timestamp = timestamp
        self.duration = duration
        self.isKeyFrame = isKeyFrame
    }
}
