import NIOCore
import RTCRTP

/// One encoded frame (video) or packet (audio) read from a file, ready to be packetized.
public struct MediaSample: Hashable, Sendable {
    /// Audio or video.
    public var kind: RTPCodec.Kind
    /// The codec of ``data``.
    public var codec: RTPCodec
    /// The encoded bytes (a video frame, an Annex B access unit, or one Opus packet).
    public var data: ByteBuffer
    /// Presentation time from the start of the file (plus the loop offset when looping).
    public var timestamp: TimeAmount
    /// How long the sample lasts, when the file says so (Opus packets always know it).
    public var duration: TimeAmount?
    /// Whether a decoder can start here (always true for audio).
    public var isKeyFrame: Bool

    /// Creates a sample.
    public init(kind: RTPCodec.Kind, codec: RTPCodec, data: ByteBuffer, timestamp: TimeAmount,
                duration: TimeAmount? = nil, isKeyFrame: Bool) {
        self.kind = kind
        self.codec = codec
        self.data = data
        self.timestamp = timestamp
        self.duration = duration
        self.isKeyFrame = isKeyFrame
    }
}
