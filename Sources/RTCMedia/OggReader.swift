import NIOCore

/// One Ogg page (RFC 3533 §6).
public struct OggPage: Hashable, Sendable {
    /// The header-type flags (``OggPageWriter/continuedFlag`` and the others).
    public var headerType: UInt8
    /// The granule position; −1 when no packet ends on this page.
    public var granulePosition: Int64
    /// The logical bitstream's serial number.
    public var serialNumber: UInt32
    /// The page sequence number.
    public var sequenceNumber: UInt32
    /// The lacing values.
    public var segmentTable: [UInt8]
    /// The page's body: the segments one after the other.
    public var body: ByteBuffer

    /// The first packet continues one from the previous page.
    public var isContinued: Bool { headerType & OggPageWriter.continuedFlag != 0 }
    /// The first page of the logical bitstream.
    public var isBeginningOfStream: Bool { headerType & OggPageWriter.beginningOfStreamFlag != 0 }
    /// The last page of the logical bitstream.
    public var isEndOfStream: Bool { headerType & OggPageWriter.endOfStreamFlag != 0 }
}

/// Reads the pages and packets of an Ogg stream held in memory, checking every page's CRC.
/// Multiplexed logical bitstreams are not separated: packets are reassembled in page order.
public struct OggReader: Sendable {
    private var rest: ByteBuffer
    private var partial: ByteBuffer?
    private var queued: [(packet: ByteBuffer, granulePosition: Int64)] = []
    private var queueIndex = 0

    /// Creates a reader over `file`.
    public init(_ file: ByteBuffer) {
        rest = file
    }

    /// The next page, or nil at the end. Throws ``MediaReaderError/badSignature(expected:)``,
    /// ``MediaReaderError/unsupportedVersion(_:)``, ``MediaReaderError/truncated(needed:available:)``
    /// or ``MediaReaderError/checksumMismatch(stored:computed:)``.
    public mutating func nextPage() throws(MediaReaderError) -> OggPage? {
        guard rest.readableBytes > 0 else { return nil }
        let base = rest.readerIndex
        guard rest.readableBytes >= OggPageWriter.headerSize else {
            throw .truncated(needed: OggPageWriter.headerSize, available: rest.readableBytes)
        }
        guard rest.getBytes(at: base, length: 4) == Array("OggS".utf8) else { throw .badSignature(expected: "OggS") }
        let version = rest.getInteger(at: base + 4, as: UInt8.self) ?? 0
        guard version == 0 else { throw .unsupportedVersion(Int(version)) }
        let segmentCount = Int(rest.getInteger(at: base + 26, as: UInt8.self) ?? 0)
        guard let table = rest.getBytes(at: base + OggPageWriter.headerSize, length: segmentCount) else {
            throw .truncated(needed: OggPageWriter.headerSize + segmentCount, available: rest.readableBytes)
        }
        let bodySize = table.reduce(0) { $0 + Int($1) }
        let pageSize = OggPageWriter.headerSize + segmentCount + bodySize
        guard var page = rest.readSlice(length: pageSize) else { throw .truncated(needed: pageSize, available: rest.readableBytes) }
        let stored = page.getInteger(at: page.readerIndex + 22, endianness: .little, as: UInt32.self) ?? 0
        page.setInteger(UInt32(0), at: page.readerIndex + 22)
        let computed = OggCRC32.checksum(page)
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let pageBase = page.readerIndex
        return OggPage(
            headerType: page.getInteger(at: pageBase + 5, as: UInt8.self) ?? 0,
            granulePosition: page.getInteger(at: pageBase + 6, endianness: .little, as: Int64.self) ?? -1,
            serialNumber: page.getInteger(at: pageBase + 14, endianness: .little, as: UInt32.self) ?? 0,
            sequenceNumber: page.getInteger(at: pageBase + 18, endianness: .little, as: UInt32.self) ?? 0,
            segmentTable: table,
            body: page.getSlice(at: pageBase + OggPageWriter.headerSize + segmentCount, length: bodySize) ?? ByteBuffer())
    }

    /// The next complete packet with the granule position of the page it ends on, or nil at
    /// the end. A packet cut off by the end of the stream is dropped; a continued page without
    /// a packet to continue throws ``MediaReaderError/malformed(_:)``.
    public mutating func nextPacket() throws(MediaReaderError) -> (packet: ByteBuffer, granulePosition: Int64)? {
        while queueIndex >= queued.count {
            queued.removeAll(keepingCapacity: true)
            queueIndex = 0
            guard var page = try nextPage() else { return nil }
            if page.isContinued != (partial != nil) {
                throw .malformed(page.isContinued ? "continued page without a packet to continue" : "packet not continued")
            }
            let continuing = partial != nil
            var current = partial ?? ByteBuffer()
            partial = nil
            for lacing in page.segmentTable {
                if var slice = page.body.readSlice(length: Int(lacing)) { current.writeBuffer(&slice) }
                if lacing < 255 {
                    queued.append((current, page.granulePosition))
                    current = ByteBuffer()
                }
            }
            if page.segmentTable.last == 255 || (page.segmentTable.isEmpty && continuing) { partial = current }
        }
        defer { queueIndex += 1 }
        return queued[queueIndex]
    }
}
