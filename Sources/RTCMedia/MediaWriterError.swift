import NIOCore
import RTCRTP

/// Why a container writer refused a frame or packet. Every case is a refusal of input or of a
/// call order; the writer's state is unchanged when it throws.
public enum MediaWriterError: Error, Hashable, Sendable {
    /// The frame or packet holds no bytes.
    case emptyFrame
    /// The frame is larger than the container can describe (`limit` bytes).
    case frameTooLarge(size: Int, limit: Int)
    /// An Opus packet's table of contents is malformed, so its duration is unknown.
    case invalidOpusPacket(RTPPayloadError)
    /// The writer was already finished; it accepts nothing more.
    case finished
    /// A parameter given to the writer is out of range (named in the text).
    case invalidParameter(String)
    /// A frame's timestamp is earlier than the previous frame's on the same track.
    case timestampOutOfOrder(timestamp: TimeAmount, previous: TimeAmount)
}
