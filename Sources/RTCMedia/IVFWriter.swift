import NIOCore

/// Writes an IVF file (the libvpx container for VP8, VP9 and AV1): a 32-byte file header,
/// then each frame as a 12-byte frame header (size, presentation timestamp) and its bytes.
///
/// The writer is sans-IO: it appends bytes to the buffer you give it, and ``finish(into:)``
/// returns the patch that puts the final frame count into the header, which a
/// ``MediaFileSink`` (or your own output) applies at offset 24.
///
/// ```swift
/// var writer = IVFWriter(codec: .vp8, width: 640, height: 480)
/// var out = ByteBuffer()
/// try writer.write(frame: frame.data, timestamp: rtpTimestamp - firstTimestamp, into: &out)
/// let patches = try writer.finish(into: &out)
/// ```
public struct IVFWriter: Sendable {
    /// The codecs an IVF file can hold, by their FourCC.
    public enum Codec: Hashable, Sendable {
        /// VP8, FourCC `VP80`.
        case vp8
        /// VP9, FourCC `VP90`.
        case vp9
        /// AV1, FourCC `AV01`; frames are temporal units of OBUs with size fields (AV1 §5.2).
        /// The writer starts each with a temporal delimiter OBU when it lacks one, as AV1 §7.5
        /// requires and RTP senders strip.
        case av1

        /// The four characters of the FourCC.
        public var fourCC: [UInt8] {
            switch self {
            case .vp8: Array("VP80".utf8)
            case .vp9: Array("VP90".utf8)
            case .av1: Array("AV01".utf8)
            }
        }
    }

    /// Size of the file header in bytes.
    public static let fileHeaderSize = 32
    /// Size of the header before each frame in bytes.
    public static let frameHeaderSize = 12
    /// Offset of the frame count in the file header.
    public static let frameCountOffset = 24
    /// An AV1 temporal delimiter OBU with an empty size field (type 2, `obu_has_size_field` = 1).
    static let av1TemporalDelimiter: [UInt8] = [0x12, 0x00]

    /// The codec named in the header.
    public let codec: Codec
    /// The frame width in pixels named in the header.
    public let width: UInt16
    /// The frame height in pixels named in the header.
    public let height: UInt16
    /// Numerator of the time base: a timestamp of 1 lasts `timebaseNumerator / timebaseDenominator` s.
    public let timebaseNumerator: UInt32
    /// Denominator of the time base (90 000 for RTP video timestamps).
    public let timebaseDenominator: UInt32
    /// Frames written so far.
    public private(set) var frameCount: UInt32 = 0
    /// Whether ``finish(into:)`` was called.
    public private(set) var isFinished = false
    private var headerWritten = false

    /// Creates a writer. The time base defaults to 1/90 000 s, the RTP clock of video, so RTP
    /// timestamps (minus the first one) can be written as they are.
    public init(codec: Codec, width: UInt16, height: UInt16, timebaseNumerator: UInt32 = 1, timebaseDenominator: UInt32 = 90_000) {
        self.codec = codec
        self.width = width
        self.height = height
        self.timebaseNumerator = timebaseNumerator
        self.timebaseDenominator = timebaseDenominator
    }

    /// The 32-byte file header with `frameCount` frames (IVF: "DKIF", version 0, header size,
    /// FourCC, width, height, time base denominator and numerator, frame count, unused).
    public func fileHeader(frameCount: UInt32) -> ByteBuffer {
        var header = ByteBuffer()
        header.reserveCapacity(Self.fileHeaderSize)
        header.writeBytes(Array("DKIF".utf8))
        header.writeInteger(UInt16(0), endianness: .little)
        header.writeInteger(UInt16(Self.fileHeaderSize), endianness: .little)
        header.writeBytes(codec.fourCC)
        header.writeInteger(width, endianness: .little)
        header.writeInteger(height, endianness: .little)
        header.writeInteger(timebaseDenominator, endianness: .little)
        header.writeInteger(timebaseNumerator, endianness: .little)
        header.writeInteger(frameCount, endianness: .little)
        header.writeInteger(UInt32(0), endianness: .little)
        return header
    }

    /// Appends one frame (with the file header first, the first time) to `buffer`.
    /// `timestamp` is the presentation time in time-base units.
    ///
    /// Throws ``MediaWriterError/emptyFrame``, ``MediaWriterError/frameTooLarge(size:limit:)``
    /// (more than 2³² − 1 bytes), ``MediaWriterError/invalidParameter(_:)`` after 2³² − 1
    /// frames, or ``MediaWriterError/finished``.
    public mutating func write(frame: ByteBuffer, timestamp: UInt64, into buffer: inout ByteBuffer) throws(MediaWriterError) {
        guard !isFinished else { throw .finished }
        guard frame.readableBytes > 0 else { throw .emptyFrame }
        let first = frame.getInteger(at: frame.readerIndex, as: UInt8.self) ?? 0
        let delimiter = codec == .av1 && (first >> 3) & 0x0F != 2 ? Self.av1TemporalDelimiter : []
        let size = frame.readableBytes + delimiter.count
        guard size <= Int(UInt32.max) else { throw .frameTooLarge(size: size, limit: Int(UInt32.max)) }
        guard frameCount < UInt32.max else { throw .invalidParameter("more than 2^32 - 1 frames") }
        writeHeaderIfNeeded(into: &buffer)
        buffer.writeInteger(UInt32(size), endianness: .little)
        buffer.writeInteger(timestamp, endianness: .little)
        buffer.writeBytes(delimiter)
        buffer.writeImmutableBuffer(frame)
        frameCount += 1
    }

    /// Ends the file: appends the header if no frame was written, and returns the patch that
    /// puts the frame count into the header. Throws ``MediaWriterError/finished`` when called twice.
    public mutating func finish(into buffer: inout ByteBuffer) throws(MediaWriterError) -> [MediaFilePatch] {
        guard !isFinished else { throw .finished }
        writeHeaderIfNeeded(into: &buffer)
        isFinished = true
        let count = frameCount
        return [MediaFilePatch(offset: Self.frameCountOffset,
                               bytes: [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)])]
    }

    private mutating func writeHeaderIfNeeded(into buffer: inout ByteBuffer) {
        guard !headerWritten else { return }
        headerWritten = true
        buffer.writeImmutableBuffer(fileHeader(frameCount: 0))
    }
}
