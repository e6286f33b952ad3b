import NIOCore

/// What every container writer (``IVFWriter``, ``OggOpusWriter``, ``AnnexBWriter``, ``WebMWriter``) has in
/// common: it appends bytes to a buffer you give it, and ends with ``finish(into:)``, which
/// appends the last bytes and returns the patches the file still needs. A recorder can close
/// any of them the same way, e.g. with ``MediaFileSink/finish(_:)``.
public protocol MediaContainerWriter: Sendable {
    /// Whether ``finish(into:)`` was called.
    var isFinished: Bool { get }

    /// Ends the file: appends what is still due to `buffer` and returns the patches to apply
    /// at absolute offsets. Throws ``MediaWriterError/finished`` when called twice.
    mutating func finish(into buffer: inout ByteBuffer) throws(MediaWriterError) -> [MediaFilePatch]
}

extension IVFWriter: MediaContainerWriter {}
extension OggOpusWriter: MediaContainerWriter {}
extension AnnexBWriter: MediaContainerWriter {}
extension WebMWriter: MediaContainerWriter {}

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
