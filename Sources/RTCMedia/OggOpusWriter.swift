import NIOCore
import RTCRTP

/// Writes an Ogg Opus file (RFC 7845): a first page holding only the identification header
/// (`OpusHead`), the comment header (`OpusTags`) on its own page, then the Opus packets.
///
/// Granule positions count 48 kHz samples from the start of the stream, pre-skip included
/// (RFC 7845 §4): each packet adds ``OpusPayloadFormat/sampleCount(of:)``, and each page
/// carries the position after the last packet that ends on it. A page is closed once it holds
/// ``maximumPageDuration`` samples; ``finish(into:)`` writes the last page with the
/// end-of-stream flag.
///
/// Sans-IO: bytes are appended to the buffer you pass; nothing needs patching afterwards.
public struct OggOpusWriter: Sendable {
    /// The number of channels in `OpusHead` (1 or 2, channel mapping family 0).
    public let channelCount: UInt8
    /// Samples at 48 kHz a player drops from the start (the encoder's delay).
    public let preSkip: UInt16
    /// The sample rate of the original input, informational only (RFC 7845 §5.1).
    public let inputSampleRate: UInt32
    /// The vendor string in `OpusTags`.
    public let vendor: String
    /// User comments (`NAME=value`) in `OpusTags`.
    public let comments: [String]
    /// Samples (48 kHz) after which a page is closed; a page may also close earlier when its
    /// 255 segments are used up.
    public let maximumPageDuration: Int
    /// Granule position after the last packet written: 48 kHz samples so far.
    public private(set) var granulePosition: Int64 = 0
    /// Opus packets written.
    public private(set) var packetCount = 0
    /// Whether ``finish(into:)`` was called.
    public private(set) var isFinished = false
    private var pages: OggPageWriter
    private var headersWritten = false
    private var pendingSamples = 0

    /// Creates a writer. Throws ``MediaWriterError/invalidParameter(_:)`` when `channelCount`
    /// is not 1 or 2 or `maximumPageDuration` is not positive.
    public init(serialNumber: UInt32, channelCount: UInt8 = 2, preSkip: UInt16 = 312, inputSampleRate: UInt32 = 48_000,
                vendor: String = "SwiftRTC", comments: [String] = [], maximumPageDuration: Int = 48_000) throws(MediaWriterError) {
        guard channelCount == 1 || channelCount == 2 else { throw .invalidParameter("channelCount \(channelCount): family 0 has 1 or 2") }
        guard maximumPageDuration > 0 else { throw .invalidParameter("maximumPageDuration \(maximumPageDuration)") }
        pages = OggPageWriter(serialNumber: serialNumber)
        self.channelCount = channelCount
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.vendor = vendor
        self.comments = comments
        self.maximumPageDuration = maximumPageDuration
    }

    /// The 19-byte identification header (RFC 7845 §5.1): magic, version 1, channel count,
    /// pre-skip, input sample rate, output gain 0, channel mapping family 0.
    public var identificationHeader: ByteBuffer {
        var head = ByteBuffer()
        head.writeBytes(Array("OpusHead".utf8))
        head.writeInteger(UInt8(1))
        head.writeInteger(channelCount)
        head.writeInteger(preSkip, endianness: .little)
        head.writeInteger(inputSampleRate, endianness: .little)
        head.writeInteger(Int16(0), endianness: .little)
        head.writeInteger(UInt8(0))
        return head
    }

    /// The comment header (RFC 7845 §5.2): magic, vendor string, user comments.
    public var commentHeader: ByteBuffer {
        var tags = ByteBuffer()
        tags.writeBytes(Array("OpusTags".utf8))
        tags.writeInteger(UInt32(vendor.utf8.count), endianness: .little)
        tags.writeString(vendor)
        tags.writeInteger(UInt32(comments.count), endianness: .little)
        for comment in comments {
            tags.writeInteger(UInt32(comment.utf8.count), endianness: .little)
            tags.writeString(comment)
        }
        return tags
    }

    /// Appends one Opus packet (one RTP payload); the header pages come first, the first time.
    ///
    /// Throws ``MediaWriterError/emptyFrame``, ``MediaWriterError/invalidOpusPacket(_:)`` when
    /// its table of contents is malformed, or ``MediaWriterError/finished``.
    public mutating func write(packet: ByteBuffer, into buffer: inout ByteBuffer) throws(MediaWriterError) {
        guard !isFinished else { throw .finished }
        guard packet.readableBytes > 0 else { throw .emptyFrame }
        let samples: Int
        do { samples = try OpusPayloadFormat.sampleCount(of: packet) } catch { throw .invalidOpusPacket(error) }
        writeHeadersIfNeeded(into: &buffer)
        if pendingSamples >= maximumPageDuration {
            pages.flush(into: &buffer)
            pendingSamples = 0
        }
        granulePosition += Int64(samples)
        pendingSamples += samples
        packetCount += 1
        pages.append(packet: packet, granulePosition: granulePosition, into: &buffer)
    }

    /// Ends the stream: writes the headers if nothing was written, then the last page with the
    /// end-of-stream flag. Returns no patches (an Ogg file needs none); throws
    /// ``MediaWriterError/finished`` when called twice.
    public mutating func finish(into buffer: inout ByteBuffer) throws(MediaWriterError) -> [MediaFilePatch] {
        guard !isFinished else { throw .finished }
        writeHeadersIfNeeded(into: &buffer)
        pages.flush(endOfStream: true, into: &buffer)
        isFinished = true
        return []
    }

    private mutating func writeHeadersIfNeeded(into buffer: inout ByteBuffer) {
        guard !headersWritten else { return }
        headersWritten = true
        pages.append(packet: identificationHeader, granulePosition: 0, into: &buffer)
        pages.flush(into: &buffer)
        pages.append(packet: commentHeader, granulePosition: 0, into: &buffer)
        pages.flush(into: &buffer)
    }
}
