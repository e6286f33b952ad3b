/// Why a container reader refused its input. Every case is a refusal of input, never a sign of
/// internal failure.
public enum MediaReaderError: Error, Hashable, Sendable {
    /// A structure needs `needed` bytes but only `available` remain.
    case truncated(needed: Int, available: Int)
    /// The bytes do not start with the container's signature (`expected`).
    case badSignature(expected: String)
    /// A version or header size field has a value this reader does not know.
    case unsupportedVersion(Int)
    /// An Ogg page's stored checksum differs from the one computed over it.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The file holds a track whose codec this reader does not support (the container's name
    /// for it, e.g. `A_VORBIS` or the IVF FourCC).
    case unsupportedCodec(String)
    /// The structure is inconsistent (described in the text).
    case malformed(String)
}
