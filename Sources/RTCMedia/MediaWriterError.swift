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
}

/// Bytes a writer needs written at an absolute offset of its file after the fact, such as a
/// header field that is only known when the file is finished (the IVF frame count).
public struct MediaFilePatch: Hashable, Sendable {
    /// Offset from the start of the file, in bytes.
    public var offset: Int
    /// The bytes to write there, replacing what the writer wrote before.
    public var bytes: [UInt8]

    /// Creates a patch.
    public init(offset: Int, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }
}
