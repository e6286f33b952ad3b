import NIOCore

/// Packs the packets of one Ogg logical bitstream into pages (RFC 3533): each packet is laced
/// into 255-byte segments (a final segment shorter than 255, possibly empty, ends it), a page
/// holds at most 255 segments, and a packet that does not fit continues on the next page,
/// which then has the "continued" flag. The first page has the "beginning of stream" flag, the
/// page written by `flush(endOfStream: true)` the "end of stream" flag.
///
/// Sans-IO: full pages are appended to the buffer you pass; a page that is not full stays
/// pending until ``flush(endOfStream:into:)``. Each page carries the granule position of the
/// last packet that ends on it, or −1 when none does, and its CRC (``OggCRC32``).
public struct OggPageWriter: Sendable {
    /// Most segments (lacing values) one page may hold.
    public static let maximumSegmentsPerPage = 255
    /// Size of a page header without its lacing values.
    public static let headerSize = 27
    /// Header-type flag: the page's first packet continues one from the previous page.
    public static let continuedFlag: UInt8 = 0x01
    /// Header-type flag: the first page of the logical bitstream.
    public static let beginningOfStreamFlag: UInt8 = 0x02
    /// Header-type flag: the last page of the logical bitstream.
    public static let endOfStreamFlag: UInt8 = 0x04

    /// The logical bitstream's serial number, on every page.
    public let serialNumber: UInt32
    /// The sequence number the next page gets.
    public private(set) var pageSequenceNumber: UInt32 = 0
    /// Granule position of the last packet that ended on a page (pending or written), or −1.
    public private(set) var lastGranulePosition: Int64 = -1
    private var lacing: [UInt8] = []
    private var body = ByteBuffer()
    private var pendingGranule: Int64 = -1
    private var pendingContinues = false

    /// Creates a writer for the logical bitstream `serialNumber`.
    public init(serialNumber: UInt32) {
        self.serialNumber = serialNumber
        lacing.reserveCapacity(Self.maximumSegmentsPerPage)
    }

    /// Segments on the pending page.
    public var pendingSegmentCount: Int { lacing.count }

    /// Adds one packet that ends at `granulePosition`; appends each page it fills to `buffer`.
    public mutating func append(packet: ByteBuffer, granulePosition: Int64, into buffer: inout ByteBuffer) {
        var rest = packet
        var finalSegmentWritten = false
        while !finalSegmentWritten {
            if lacing.count == Self.maximumSegmentsPerPage {
                writePage(flags: 0, into: &buffer)
                pendingContinues = true
            }
            let length = min(255, rest.readableBytes)
            lacing.append(UInt8(length))
            if let slice = rest.readSlice(length: length) { body.writeImmutableBuffer(slice) }
            if length < 255 { finalSegmentWritten = true }
        }
        pendingGranule = granulePosition
        lastGranulePosition = granulePosition
    }

    /// Appends the pending page to `buffer`, if it holds any segment or `endOfStream` is set
    /// (an end-of-stream page may be empty; it then carries ``lastGranulePosition``).
    public mutating func flush(endOfStream: Bool = false, into buffer: inout ByteBuffer) {
        guard !lacing.isEmpty || endOfStream else { return }
        if lacing.isEmpty { pendingGranule = max(lastGranulePosition, 0) }
        writePage(flags: endOfStream ? Self.endOfStreamFlag : 0, into: &buffer)
    }

    private mutating func writePage(flags: UInt8, into buffer: inout ByteBuffer) {
        var headerType = flags
        if pendingContinues { headerType |= Self.continuedFlag }
        if pageSequenceNumber == 0 { headerType |= Self.beginningOfStreamFlag }
        let start = buffer.writerIndex
        buffer.reserveCapacity(minimumWritableBytes: Self.headerSize + lacing.count + body.readableBytes)
        buffer.writeBytes(Array("OggS".utf8))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(headerType)
        buffer.writeInteger(UInt64(bitPattern: pendingGranule), endianness: .little)
        buffer.writeInteger(serialNumber, endianness: .little)
        buffer.writeInteger(pageSequenceNumber, endianness: .little)
        buffer.writeInteger(UInt32(0), endianness: .little)
        buffer.writeInteger(UInt8(lacing.count))
        buffer.writeBytes(lacing)
        buffer.writeImmutableBuffer(body)
        let pageOffset = start - buffer.readerIndex
        let crc = buffer.withUnsafeReadableBytes { OggCRC32.update(0, with: UnsafeRawBufferPointer(rebasing: $0[pageOffset...])) }
        buffer.setInteger(crc, at: start + 22, endianness: .little)
        pageSequenceNumber &+= 1
        lacing.removeAll(keepingCapacity: true)
        body.clear()
        pendingGranule = -1
        pendingContinues = false
    }
}
