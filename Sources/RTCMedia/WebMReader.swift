import NIOCore
import RTCRTP

/// Reads a WebM (or Matroska) file held in memory: the EBML header, Info and Tracks on
/// creation, then the frames of every SimpleBlock and BlockGroup in file order with
/// ``nextFrame()``.
///
/// Video tracks must be VP8, VP9 or AV1 and audio tracks Opus (others throw
/// ``MediaReaderError/unsupportedCodec(_:)`` naming the CodecID); tracks of other types
/// (subtitles…) are skipped. Segments and Clusters of unknown size (live recordings) are read
/// up to the next top-level element; laced blocks (Xiph, fixed-size or EBML lacing) give one
/// frame per lace. Every size is checked against the bytes there are.
public struct WebMReader: Sendable {
    /// The CodecIDs this reader accepts, and their codecs.
    public static let supportedCodecs: [String: RTPCodec] = ["V_VP8": .vp8, "V_VP9": .vp9, "V_AV1": .av1, "A_OPUS": .opus]

    /// One track of the file.
    public struct Track: Hashable, Sendable {
        /// The TrackNumber blocks refer to.
        public var number: UInt64
        /// Audio or video.
        public var kind: RTPCodec.Kind
        /// The codec.
        public var codec: RTPCodec
        /// The CodecID as written, e.g. `V_VP8`.
        public var codecID: String
        /// CodecPrivate (OpusHead for Opus), if present.
        public var codecPrivate: ByteBuffer?
        /// CodecDelay in nanoseconds (0 when absent).
        public var codecDelay: UInt64
        /// DefaultDuration in nanoseconds, if present.
        public var defaultDuration: UInt64?
        /// PixelWidth of a video track.
        public var width: Int?
        /// PixelHeight of a video track.
        public var height: Int?
        /// Channels of an audio track.
        public var channels: Int?
    }

    /// One frame read from a block.
    public struct Frame: Hashable, Sendable {
        /// The TrackNumber of its track.
        public var trackNumber: UInt64
        /// Presentation time (cluster timestamp plus the block's, times TimestampScale).
        public var timestamp: TimeAmount
        /// BlockDuration of a BlockGroup, if given.
        public var duration: TimeAmount?
        /// The SimpleBlock key-frame flag, or a BlockGroup without ReferenceBlock.
        public var isKeyFrame: Bool
        /// The frame's bytes.
        public var data: ByteBuffer

        /// Creates a frame.
        public init(trackNumber: UInt64, timestamp: TimeAmount, duration: TimeAmount? = nil, isKeyFrame: Bool, data: ByteBuffer) {
            self.trackNumber = trackNumber
            self.timestamp = timestamp
            self.duration = duration
            self.isKeyFrame = isKeyFrame
            self.data = data
        }
    }

    /// DocType from the EBML header: "webm" or "matroska".
    public let docType: String
    /// Nanoseconds per timestamp tick (Info's TimestampScale; 1 000 000 by default).
    public let timestampScale: UInt64
    /// Info's Duration, if present.
    public let duration: TimeAmount?
    /// The audio and video tracks, in file order.
    public let tracks: [Track]

    let file: ByteBuffer
    let fileEnd: Int
    let segmentEnd: Int
    let segmentSizeIsKnown: Bool
    var position: Int
    var clusterTimestamp: Int64?
    var clusterEnd: Int?
    var pending: [Frame] = []
    var pendingIndex = 0

    /// Parses the EBML header, Info and Tracks of `file`, stopping at the first Cluster.
    /// Throws ``MediaReaderError/badSignature(expected:)`` when it does not start with an EBML
    /// header, ``MediaReaderError/unsupportedCodec(_:)``, ``MediaReaderError/truncated(needed:available:)``
    /// or ``MediaReaderError/malformed(_:)``.
    public init(_ file: ByteBuffer) throws(MediaReaderError) {
        self.file = file
        fileEnd = file.writerIndex
        let start = file.readerIndex
        guard file.readableBytes >= 4 else { throw .truncated(needed: 4, available: file.readableBytes) }
        guard file.getInteger(at: start, as: UInt32.self) == MatroskaElementID.ebml else {
            throw .badSignature(expected: "1A45DFA3 (EBML)")
        }
        let ebml = try EBMLReader.readHeader(file, at: start, end: fileEnd)
        guard let ebmlSize = ebml.size else { throw .malformed("EBML header of unknown size") }
        var docType = "matroska"
        try Self.forEachChild(file, from: start + ebml.headerLength, to: start + ebml.headerLength + Int(ebmlSize)) { id, at, size throws(MediaReaderError) in
            switch id {
            case MatroskaElementID.docType: docType = try EBMLReader.readString(file, at: at, size: size)
            case MatroskaElementID.ebmlMaxIDLength:
                let length = try EBMLReader.readUnsigned(file, at: at, size: size)
                guard length <= 4 else { throw .unsupportedVersion(Int(clamping: length)) }
            case MatroskaElementID.ebmlMaxSizeLength:
                let length = try EBMLReader.readUnsigned(file, at: at, size: size)
                guard length <= 8 else { throw .unsupportedVersion(Int(clamping: length)) }
            default: break
            }
        }
        guard docType == "webm" || docType == "matroska" else { throw .malformed("DocType \(docType)") }
        self.docType = docType

        var index = start + ebml.headerLength + Int(ebmlSize)
        // The Segment may be cut short (a recording that did not finish): read what is there.
        var segment = try EBMLReader.readHeader(file, at: index, end: fileEnd, checkingSize: false)
        while segment.id == MatroskaElementID.void || segment.id == MatroskaElementID.crc32, let size = segment.size {
            index += segment.headerLength + Int(size)
            segment = try EBMLReader.readHeader(file, at: index, end: fileEnd, checkingSize: false)
        }
        guard segment.id == MatroskaElementID.segment else { throw .malformed("no Segment after the EBML header") }
        let segmentData = index + segment.headerLength
        segmentSizeIsKnown = segment.size != nil
        segmentEnd = segment.size.map { segmentData + Int($0) } ?? fileEnd

        // Top-level elements up to the first Cluster: Info and Tracks matter, others are skipped.
        var scale: UInt64 = 1_000_000
        var durationTicks: Double?
        var tracks: [Track]?
        index = segmentData
        while index < segmentEnd {
            guard try EBMLReader.readID(file, at: index, end: fileEnd).id != MatroskaElementID.cluster else { break }
            let element = try EBMLReader.readHeader(file, at: index, end: fileEnd)
            guard let size = element.size else { throw .malformed("element \(Self.hex(element.id)) of unknown size") }
            let data = index + element.headerLength
            switch element.id {
            case MatroskaElementID.info:
                try Self.forEachChild(file, from: data, to: data + Int(size)) { id, at, size throws(MediaReaderError) in
                    if id == MatroskaElementID.timestampScale { scale = try EBMLReader.readUnsigned(file, at: at, size: size) }
                    if id == MatroskaElementID.duration { durationTicks = try EBMLReader.readFloat(file, at: at, size: size) }
                }
            case MatroskaElementID.tracks:
                tracks = try Self.parseTracks(file, from: data, to: data + Int(size))
            default:
                break
            }
            index = data + Int(size)
        }
        guard scale > 0, scale <= 1_000_000_000 else { throw .malformed("TimestampScale \(scale)") }
        guard let tracks else { throw .malformed("no Tracks before the first Cluster") }
        timestampScale = scale
        self.tracks = tracks
        if let ticks = durationTicks, ticks.isFinite, ticks >= 0, ticks * Double(scale) < 9e18 {
            duration = .nanoseconds(Int64(ticks * Double(scale)))
        } else {
            duration = nil
        }
        position = index
    }

    /// The track with TrackNumber `number`, if it is one of ``tracks``.
    public func track(number: UInt64) -> Track? {
        tracks.first { $0.number == number }
    }

    /// Calls `body` with the ID, data index and data size of each child between `from` and
    /// `to`; children of unknown size are refused.
    static func forEachChild(_ file: ByteBuffer, from: Int, to: Int,
                             _ body: (UInt32, Int, Int) throws(MediaReaderError) -> Void) throws(MediaReaderError) {
        var index = from
        while index < to {
            let child = try EBMLReader.readHeader(file, at: index, end: to)
            guard let size = child.size else { throw .malformed("element \(hex(child.id)) of unknown size") }
            try body(child.id, index + child.headerLength, Int(size))
            index += child.headerLength + Int(size)
        }
    }

    static func parseTracks(_ file: ByteBuffer, from: Int, to: Int) throws(MediaReaderError) -> [Track] {
        var tracks: [Track] = []
        try forEachChild(file, from: from, to: to) { id, at, size throws(MediaReaderError) in
            guard id == MatroskaElementID.trackEntry else { return }
            var number: UInt64?
            var type: UInt64 = 0
            var codecID = ""
            var track = Track(number: 0, kind: .video, codec: .vp8, codecID: "", codecDelay: 0)
            try forEachChild(file, from: at, to: at + size) { id, at, size throws(MediaReaderError) in
                switch id {
                case MatroskaElementID.trackNumber: number = try EBMLReader.readUnsigned(file, at: at, size: size)
                case MatroskaElementID.trackType: type = try EBMLReader.readUnsigned(file, at: at, size: size)
                case MatroskaElementID.codecID: codecID = try EBMLReader.readString(file, at: at, size: size)
                case MatroskaElementID.codecPrivate: track.codecPrivate = file.getSlice(at: at, length: size)
                case MatroskaElementID.codecDelay: track.codecDelay = try EBMLReader.readUnsigned(file, at: at, size: size)
                case MatroskaElementID.defaultDuration: track.defaultDuration = try EBMLReader.readUnsigned(file, at: at, size: size)
                case MatroskaElementID.video:
                    try forEachChild(file, from: at, to: at + size) { id, at, size throws(MediaReaderError) in
                        if id == MatroskaElementID.pixelWidth { track.width = Int(clamping: try EBMLReader.readUnsigned(file, at: at, size: size)) }
                        if id == MatroskaElementID.pixelHeight { track.height = Int(clamping: try EBMLReader.readUnsigned(file, at: at, size: size)) }
                    }
                case MatroskaElementID.audio:
                    try forEachChild(file, from: at, to: at + size) { id, at, size throws(MediaReaderError) in
                        if id == MatroskaElementID.channels { track.channels = Int(clamping: try EBMLReader.readUnsigned(file, at: at, size: size)) }
                    }
                default: break
                }
            }
            guard type == 1 || type == 2 else { return }  // not audio or video: skipped
            guard let number, number > 0 else { throw .malformed("TrackEntry without TrackNumber") }
            guard let codec = supportedCodecs[codecID] else { throw .unsupportedCodec(codecID.isEmpty ? "(no CodecID)" : codecID) }
            guard codec.kind == (type == 1 ? .video : .audio) else { throw .malformed("CodecID \(codecID) on a track of type \(type)") }
            guard !tracks.contains(where: { $0.number == number }) else { throw .malformed("two tracks numbered \(number)") }
            track.number = number
            track.kind = codec.kind
            track.codec = codec
            track.codecID = codecID
            tracks.append(track)
        }
        return tracks
    }

    static func hex(_ id: UInt32) -> String {
        let digits = String(id, radix: 16, uppercase: true)
        return String(repeating: "0", count: digits.count % 2) + digits
    }
}
