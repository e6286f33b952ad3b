import RTCRTP
/// The containers a ``MediaFileSource`` reads, told apart by their first bytes.
public enum MediaContainerFormat: String, Hashable, Sendable, CaseIterable {
    /// IVF (`DKIF`): VP8, VP9 or AV1.
    case ivf
    /// Ogg (`OggS`) holding Opus.
    case ogg
    /// WebM or Matroska (EBML magic `1A 45 DF A3`): VP8, VP9, AV1 and Opus.
    case webm
    /// An H.264 Annex B byte stream (starts with `00 00 01` or `00 00 00 01`).
    case annexB

    /// A name for messages.
    public var displayName: String {
        switch self {
        case .ivf: "IVF"
        case .ogg: "Ogg"
        case .webm: "WebM"
        case .annexB: "H.264 Annex B"
        }
    }

    /// The format whose magic bytes `prefix` starts with, or nil.
    public static func detect<Bytes: Collection>(_ prefix: Bytes) -> MediaContainerFormat? where Bytes.Element == UInt8 {
        let head = Array(prefix.prefix(4))
        if head == Array("DKIF".utf8) { return .ivf }
        if head == Array("OggS".utf8) { return .ogg }
        if head == [0x1A, 0x45, 0xDF, 0xA3] { return .webm }
        if head.starts(with: [0, 0, 1]) || head == [0, 0, 0, 1] { return .annexB }
        return nil
    }
}

/// A media file could not be used as a source: the path and what is wrong with it.
public struct MediaSourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Hashable, Sendable {
        /// The file could not be opened or read (the system's reason).
        case unreadable(String)
        /// The file holds no bytes.
        case empty
        /// The file is none of the containers in ``MediaContainerFormat``.
        case unrecognizedFormat
        /// The file holds a codec SwiftRTC cannot send (the container's name for it).
        case unsupportedCodec(String)
        /// The file has no track of this kind (e.g. a video track asked of an Ogg file).
        case missingTrack(RTPCodec.Kind)
        /// The file's tracks hold no frame.
        case noFrames
        /// The container's reader refused the file.
        case malformed(MediaContainerFormat, MediaReaderError)
        /// A parameter is out of range (named in the text).
        case invalidParameter(String)
    }

    /// The file's path (or the name given with in-memory contents).
    public var path: String
    /// What is wrong with it.
    public var problem: Problem

    /// Creates the error.
    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// "PATH: PROBLEM", e.g. `clip.txt: not a media file (IVF, Ogg/Opus, WebM or H.264 Annex B)`.
    public var description: String {
        let text = switch problem {
        case .unreadable(let reason): "cannot be read: \(reason)"
        case .empty: "the file is empty"
        case .unrecognizedFormat: "not a media file (IVF, Ogg/Opus, WebM or H.264 Annex B expected)"
        case .unsupportedCodec(let codec): "unsupported codec \(codec) (VP8, VP9, AV1, H.264 and Opus are supported)"
        case .missingTrack(let kind): "the file has no \(kind.rawValue) track"
        case .noFrames: "the file holds no frames"
        case .malformed(let format, let error): "\(format.displayName) file is damaged: \(Self.describe(error))"
        case .invalidParameter(let text): text
        }
        return "\(path): \(text)"
    }

    static func describe(_ error: MediaReaderError) -> String {
        switch error {
        case .truncated(let needed, let available): "truncated (\(needed) bytes needed, \(available) left)"
        case .badSignature(let expected): "bad signature (expected \(expected))"
        case .unsupportedVersion(let version): "unsupported version \(version)"
        case .checksumMismatch(let stored, let computed): "checksum mismatch (stored \(stored), computed \(computed))"
        case .unsupportedCodec(let codec): "unsupported codec \(codec)"
        case .malformed(let text): text
        }
    }
}
