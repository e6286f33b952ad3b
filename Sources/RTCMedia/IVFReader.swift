import NIOCore

/// Reads an IVF file held in memory: the file header, then one frame after the other.
public struct IVFReader: Sendable {
    /// What the 32-byte IVF file header says.
    public struct Header: Hashable, Sendable {
        /// The FourCC, e.g. `VP80`, `VP90`, `AV01`.
        public var fourCC: String
        /// Frame width in pixels.
        public var width: UInt16
        /// Frame height in pixels.
        public var height: UInt16
        /// Time base numerator.
        public var timebaseNumerator: UInt32
        /// Time base denominator.
        public var timebaseDenominator: UInt32
        /// The frame count field.
        public var frameCount: UInt32

        /// Creates a header description.
        public init(fourCC: String, width: UInt16, height: UInt16, timebaseNumerator: UInt32, timebaseDenominator: UInt32, frameCount: UInt32) {
            self.fourCC = fourCC
            self.width = width
            self.height = height
            self.timebaseNumerator = timebaseNumerator
            self.timebaseDenominator = timebaseDenominator
            self.frameCount = frameCount
        }
    }

    /// One frame: its presentation timestamp (time-base units) and bytes.
    public struct Frame: Hashable, Sendable {
        /// Presentation timestamp in time-base units.
        public var timestamp: UInt64
        /// The frame's bytes.
        public var data: ByteBuffer

        /// Creates a frame.
        public init(timestamp: UInt64, data: ByteBuffer) {
            self.timestamp = timestamp
            self.data = data
        }
    }

    /// The file header.
    public let header: Header
    private var rest: ByteBuffer

    /// Parses the file header of `file`. Throws ``MediaReaderError/badSignature(expected:)``,
    /// ``MediaReaderError/unsupportedVersion(_:)`` or ``MediaReaderError/truncated(needed:available:)``.
    public init(_ file: ByteBuffer) throws(MediaReaderError) {
        var bytes = file
        guard bytes.readableBytes >= IVFWriter.fileHeaderSize else {
            throw .truncated(needed: IVFWriter.fileHeaderSize, available: bytes.readableBytes)
        }
        guard bytes.readBytes(length: 4) == Array("DKIF".utf8) else { throw .badSignature(expected: "DKIF") }
        let version = bytes.readInteger(endianness: .little, as: UInt16.self) ?? 0
        let headerSize = Int(bytes.readInteger(endianness: .little, as: UInt16.self) ?? 0)
        guard version == 0 else { throw .unsupportedVersion(Int(version)) }
        guard headerSize >= IVFWriter.fileHeaderSize else { throw .malformed("IVF header size \(headerSize)") }
        let fourCC = String(decoding: bytes.readBytes(length: 4) ?? [], as: UTF8.self)
        let width = bytes.readInteger(endianness: .little, as: UInt16.self) ?? 0
        let height = bytes.readInteger(endianness: .little, as: UInt16.self) ?? 0
        let denominator = bytes.readInteger(endianness: .little, as: UInt32.self) ?? 0
        let numerator = bytes.readInteger(endianness: .little, as: UInt32.self) ?? 0
        let count = bytes.readInteger(endianness: .little, as: UInt32.self) ?? 0
        guard bytes.readableBytes >= headerSize - 28 else { throw .truncated(needed: headerSize, available: file.readableBytes) }
        bytes.moveReaderIndex(forwardBy: headerSize - 28)
        header = Header(fourCC: fourCC, width: width, height: height, timebaseNumerator: numerator,
                        timebaseDenominator: denominator, frameCount: count)
        rest = bytes
    }

    /// The next frame, or nil at the end of the file. Throws
    /// ``MediaReaderError/truncated(needed:available:)`` for a cut frame.
    public mutating func nextFrame() throws(MediaReaderError) -> Frame? {
        guard rest.readableBytes > 0 else { return nil }
        guard rest.readableBytes >= IVFWriter.frameHeaderSize else {
            throw .truncated(needed: IVFWriter.frameHeaderSize, available: rest.readableBytes)
        }
        let size = Int(rest.getInteger(at: rest.readerIndex, endianness: .little, as: UInt32.self) ?? 0)
        let timestamp = rest.getInteger(at: rest.readerIndex + 4, endianness: .little, as: UInt64.self) ?? 0
        guard rest.readableBytes - IVFWriter.frameHeaderSize >= size else {
            throw .truncated(needed: IVFWriter.frameHeaderSize + size, available: rest.readableBytes)
        }
        rest.moveReaderIndex(forwardBy: IVFWriter.frameHeaderSize)
        let data = rest.readSlice(length: size) ?? ByteBuffer()
        return Frame(timestamp: timestamp, data: data)
    }
}
