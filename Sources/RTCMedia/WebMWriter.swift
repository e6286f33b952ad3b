import NIOCore
import RTCRTP

/// Writes a WebM file (Matroska with the WebM subset): a VP8 or VP9 video track and/or an Opus
/// audio track, frames as SimpleBlocks in Clusters, Cues for the key frames, and on
/// ``finish(into:)`` the patches that back-fill what is only known at the end: the Segment and
/// Cluster sizes, Info's Duration, the SeekHead and (when not given) the picture size.
///
/// Timestamps are given per frame as the time since the start of the recording and stored in
/// milliseconds (TimestampScale 1 ms). A new Cluster starts at every video key frame, and
/// otherwise after ``maximumClusterDuration`` (which also keeps block timestamps within their
/// 16 bits). Video frames before the first key frame are skipped (a decoder could not use
/// them). Each track's timestamps must not go backwards; the two tracks may interleave freely.
///
/// ```swift
/// var writer = try WebMWriter(video: .init(codec: .vp8), audio: .init())
/// var out = ByteBuffer()
/// try writer.write(videoFrame: frame, isKeyFrame: true, timestamp: .milliseconds(0), into: &out)
/// try writer.write(audioPacket: opus, timestamp: .milliseconds(0), into: &out)
/// try sink.write(&out)
/// try sink.finish(&writer)   // applies the patches
/// ```
///
/// Sans-IO: bytes are appended to the buffer you pass, in file order, with nothing left out.
public struct WebMWriter: Sendable {
    /// The video codecs WebM carries that this writer supports.
    public enum VideoCodec: String, Hashable, Sendable {
        /// VP8, CodecID `V_VP8`.
        case vp8
        /// VP9, CodecID `V_VP9`.
        case vp9

        /// The Matroska CodecID.
        public var codecID: String { self == .vp8 ? "V_VP8" : "V_VP9" }
    }

    /// The video track's settings.
    public struct VideoTrack: Hashable, Sendable {
        /// The codec.
        public var codec: VideoCodec
        /// Picture width in pixels; nil to read it from the first key frame's header.
        public var width: Int?
        /// Picture height in pixels; nil to read it from the first key frame's header.
        public var height: Int?

        /// Creates video settings.
        public init(codec: VideoCodec, width: Int? = nil, height: Int? = nil) {
            self.codec = codec
            self.width = width
            self.height = height
        }
    }

    /// The Opus audio track's settings (CodecPrivate is the `OpusHead` they describe).
    public struct AudioTrack: Hashable, Sendable {
        /// Channels in `OpusHead` (1 or 2).
        public var channelCount: UInt8
        /// Samples at 48 kHz the decoder drops at the start (stored as CodecDelay too).
        public var preSkip: UInt16

        /// Creates audio settings; the pre-skip defaults to libopus's 312 samples (6.5 ms).
        public init(channelCount: UInt8 = 2, preSkip: UInt16 = 312) {
            self.channelCount = channelCount
            self.preSkip = preSkip
        }

        /// The 19-byte `OpusHead` (RFC 7845 §5.1), WebM's CodecPrivate for Opus.
        public var opusHead: ByteBuffer {
            var head = ByteBuffer()
            head.writeBytes(Array("OpusHead".utf8))
            head.writeInteger(UInt8(1))
            head.writeInteger(channelCount)
            head.writeInteger(preSkip, endianness: .little)
            head.writeInteger(UInt32(48_000), endianness: .little)
            head.writeInteger(Int16(0), endianness: .little)
            head.writeInteger(UInt8(0))
            return head
        }
    }

    /// Nanoseconds per timestamp tick (TimestampScale): 1 ms.
    public static let timestampScale: UInt64 = 1_000_000
    /// A cluster that has lasted this long (ticks, i.e. ms) is closed before the next block.
    public static let maximumClusterDuration: Int64 = 5_000
    /// SeekPreRoll of the Opus track, in nanoseconds (80 ms, as WebM asks for Opus).
    public static let opusSeekPreRoll: UInt64 = 80_000_000
    /// Bytes reserved at the start of the Segment for the SeekHead written on finish.
    static let seekHeadReservation = 80

    /// The video track, if any.
    public let video: VideoTrack?
    /// The audio track, if any.
    public let audio: AudioTrack?
    /// MuxingApp and WritingApp in Info.
    public let application: String
    /// The video track's TrackNumber (1), if there is a video track.
    public let videoTrackNumber: UInt64?
    /// The audio track's TrackNumber (2 beside video, else 1), if there is an audio track.
    public let audioTrackNumber: UInt64?
    /// Picture width: given, or read from the first key frame.
    public private(set) var width: Int?
    /// Picture height: given, or read from the first key frame.
    public private(set) var height: Int?
    /// Video frames written.
    public private(set) var videoFrameCount = 0
    /// Video frames skipped because no key frame had come yet.
    public private(set) var skippedVideoFrameCount = 0
    /// Opus packets written.
    public private(set) var audioPacketCount = 0
    /// Clusters started.
    public private(set) var clusterCount = 0
    /// Bytes appended so far: the offset in the file of the next byte.
    public internal(set) var bytesWritten = 0
    /// Whether ``finish(into:)`` was called.
    public private(set) var isFinished = false

    var layout = Layout()
    var cluster: OpenCluster?
    var cues: [CuePoint] = []
    var patches: [MediaFilePatch] = []
    var lastVideoTimestamp: Int64?
    var previousVideoTimestamp: Int64?
    var lastAudioTimestamp: Int64?
    var lastAudioDuration: Int64 = 0

    /// File offsets recorded while writing the header, for the patches.
    struct Layout {
        var headerWritten = false
        var segmentSizeOffset = 0
        var segmentDataOffset = 0
        var seekHeadOffset = 0
        var infoOffset = 0
        var durationOffset = 0
        var tracksOffset = 0
        var widthOffset: Int?
    }

    /// The cluster blocks go into.
    struct OpenCluster {
        var offset: Int
        var dataOffset: Int
        var timestamp: Int64
    }

    /// One entry of Cues.
    struct CuePoint {
        var time: Int64
        var track: UInt64
        var clusterPosition: Int
        var relativePosition: Int
    }

    /// Creates a writer with a video track, an audio track, or both. Throws
    /// ``MediaWriterError/invalidParameter(_:)`` for neither, a channel count other than 1 or
    /// 2, or a picture size outside 1…65535.
    public init(video: VideoTrack?, audio: AudioTrack?, application: String = "SwiftRTC") throws(MediaWriterError) {
        guard video != nil || audio != nil else { throw .invalidParameter("a WebM file needs a video or an audio track") }
        if let audio, audio.channelCount != 1 && audio.channelCount != 2 {
            throw .invalidParameter("channelCount \(audio.channelCount): Opus family 0 has 1 or 2")
        }
        for size in [video?.width, video?.height].compactMap({ $0 }) where !(1...65_535).contains(size) {
            throw .invalidParameter("picture size \(size)")
        }
        self.video = video
        self.audio = audio
        self.application = application
        videoTrackNumber = video == nil ? nil : 1
        audioTrackNumber = audio == nil ? nil : (video == nil ? 1 : 2)
        width = video?.width
        height = video?.height
    }

    /// Appends one video frame at `timestamp` (time since the start). Returns false when the
    /// frame was skipped because no key frame has come yet.
    ///
    /// Throws ``MediaWriterError/emptyFrame``, ``MediaWriterError/timestampOutOfOrder(timestamp:previous:)``,
    /// ``MediaWriterError/invalidParameter(_:)`` (no video track, a negative timestamp, or one
    /// more than 32 s before the open cluster), or ``MediaWriterError/finished``.
    @discardableResult
    public mutating func write(videoFrame frame: ByteBuffer, isKeyFrame: Bool, timestamp: TimeAmount,
                               into buffer: inout ByteBuffer) throws(MediaWriterError) -> Bool {
        guard !isFinished else { throw .finished }
        guard let video, let track = videoTrackNumber else { throw .invalidParameter("the writer has no video track") }
        guard frame.readableBytes > 0 else { throw .emptyFrame }
        let nanoseconds = try checkedTimestamp(timestamp, after: lastVideoTimestamp)
        guard isKeyFrame || lastVideoTimestamp != nil else {
            skippedVideoFrameCount += 1
            return false
        }
        try writeBlock(track: track, frame: frame, milliseconds: nanoseconds / 1_000_000, isKeyFrame: isKeyFrame,
                       startsCluster: isKeyFrame, isCue: isKeyFrame, into: &buffer)
        if isKeyFrame, width == nil || height == nil, let size = Self.pictureSize(of: frame, codec: video.codec) {
            width = width ?? size.width
            height = height ?? size.height
        }
        previousVideoTimestamp = lastVideoTimestamp
        lastVideoTimestamp = nanoseconds
        videoFrameCount += 1
        return true
    }

    /// Appends one Opus packet at `timestamp` (time since the start).
    ///
    /// Throws ``MediaWriterError/emptyFrame``, ``MediaWriterError/invalidOpusPacket(_:)``,
    /// ``MediaWriterError/timestampOutOfOrder(timestamp:previous:)``,
    /// ``MediaWriterError/invalidParameter(_:)`` (no audio track, a negative timestamp, or one
    /// more than 32 s before the open cluster), or ``MediaWriterError/finished``.
    public mutating func write(audioPacket packet: ByteBuffer, timestamp: TimeAmount, into buffer: inout ByteBuffer) throws(MediaWriterError) {
        guard !isFinished else { throw .finished }
        guard let track = audioTrackNumber else { throw .invalidParameter("the writer has no audio track") }
        guard packet.readableBytes > 0 else { throw .emptyFrame }
        let samples: Int
        do { samples = try OpusPayloadFormat.sampleCount(of: packet) } catch { throw .invalidOpusPacket(error) }
        let nanoseconds = try checkedTimestamp(timestamp, after: lastAudioTimestamp)
        let milliseconds = nanoseconds / 1_000_000
        // Without video, clusters start on their own schedule and each start is a cue.
        let cueAtClusterStart = video == nil
        try writeBlock(track: track, frame: packet, milliseconds: milliseconds, isKeyFrame: true,
                       startsCluster: false, isCue: false, cueAtClusterStart: cueAtClusterStart, into: &buffer)
        lastAudioTimestamp = nanoseconds
        lastAudioDuration = Int64(samples) * 1_000_000_000 / 48_000
        audioPacketCount += 1
    }

    /// Ends the file: closes the open cluster, appends Cues, and returns the patches for the
    /// Segment and Cluster sizes, Duration, SeekHead and picture size. Throws
    /// ``MediaWriterError/finished`` when called twice.
    public mutating func finish(into buffer: inout ByteBuffer) throws(MediaWriterError) -> [MediaFilePatch] {
        guard !isFinished else { throw .finished }
        let base = bytesWritten - buffer.writerIndex
        writeHeaderIfNeeded(base: base, into: &buffer)
        closeCluster(at: base + buffer.writerIndex)
        var cuesPosition: Int?
        if !cues.isEmpty {
            cuesPosition = base + buffer.writerIndex - layout.segmentDataOffset
            writeCues(into: &buffer)
        }
        bytesWritten = base + buffer.writerIndex
        isFinished = true
        patches.append(MediaFilePatch(offset: layout.segmentSizeOffset,
                                      bytes: EBMLWriter.sizeBytes(UInt64(bytesWritten - layout.segmentDataOffset), length: 8)))
        patches.append(MediaFilePatch(offset: layout.durationOffset, bytes: Self.bigEndian(durationMilliseconds.bitPattern, count: 8)))
        patches.append(MediaFilePatch(offset: layout.seekHeadOffset, bytes: seekHead(cuesPosition: cuesPosition)))
        if let offset = layout.widthOffset, let width, let height {
            patches.append(MediaFilePatch(offset: offset, bytes: Self.bigEndian(UInt64(width), count: 4)))
            patches.append(MediaFilePatch(offset: offset + 6, bytes: Self.bigEndian(UInt64(height), count: 4)))
        }
        return patches
    }

    /// The file's duration in milliseconds: the end of the last frame of either track (a
    /// video frame lasts as long as the one before it; an Opus packet as its TOC says).
    public var durationMilliseconds: Double {
        var end: Int64 = 0
        if let last = lastVideoTimestamp { end = max(end, last + (previousVideoTimestamp.map { last - $0 } ?? 0)) }
        if let last = lastAudioTimestamp { end = max(end, last + lastAudioDuration) }
        return Double(end) / 1_000_000
    }

    /// The nanoseconds of `timestamp`, checked to be non-negative and not before `previous`.
    private func checkedTimestamp(_ timestamp: TimeAmount, after previous: Int64?) throws(MediaWriterError) -> Int64 {
        let nanoseconds = timestamp.nanoseconds
        guard nanoseconds >= 0 else { throw .invalidParameter("negative timestamp \(nanoseconds) ns") }
        if let previous, nanoseconds < previous {
            throw .timestampOutOfOrder(timestamp: timestamp, previous: .nanoseconds(previous))
        }
        return nanoseconds
    }

    /// Appends a SimpleBlock, starting a cluster first when one is due.
    private mutating func writeBlock(track: UInt64, frame: ByteBuffer, milliseconds: Int64, isKeyFrame: Bool,
                                     startsCluster: Bool, isCue: Bool, cueAtClusterStart: Bool = false,
                                     into buffer: inout ByteBuffer) throws(MediaWriterError) {
        let size = 4 + frame.readableBytes
        guard UInt64(size) <= EBMLWriter.maximumSize else { throw .frameTooLarge(size: frame.readableBytes, limit: Int(EBMLWriter.maximumSize) - 4) }
        let startedCluster = startsCluster || cluster.map { milliseconds - $0.timestamp >= Self.maximumClusterDuration } ?? true
        if !startedCluster, let open = cluster, milliseconds - open.timestamp < Int64(Int16.min) {
            throw .invalidParameter("timestamp \(milliseconds) ms is more than 32 s before the open cluster's \(open.timestamp) ms")
        }
        let base = bytesWritten - buffer.writerIndex
        writeHeaderIfNeeded(base: base, into: &buffer)
        if startedCluster {
            closeCluster(at: base + buffer.writerIndex)
            openCluster(timestamp: milliseconds, base: base, into: &buffer)
        }
        guard let open = cluster else { return }
        let blockOffset = base + buffer.writerIndex
        if isCue || (cueAtClusterStart && startedCluster) {
            cues.append(CuePoint(time: milliseconds, track: track, clusterPosition: open.offset - layout.segmentDataOffset,
                                 relativePosition: blockOffset - open.dataOffset))
        }
        buffer.reserveCapacity(minimumWritableBytes: size + 9)
        EBMLWriter.writeHeader(MatroskaElementID.simpleBlock, size: size, into: &buffer)
        buffer.writeInteger(UInt8(0x80 | track))
        buffer.writeInteger(Int16(milliseconds - open.timestamp))
        buffer.writeInteger(UInt8(isKeyFrame ? 0x80 : 0x00))
        buffer.writeImmutableBuffer(frame)
        bytesWritten = base + buffer.writerIndex
    }

    private mutating func openCluster(timestamp: Int64, base: Int, into buffer: inout ByteBuffer) {
        let offset = base + buffer.writerIndex
        EBMLWriter.writeID(MatroskaElementID.cluster, into: &buffer)
        buffer.writeBytes(EBMLWriter.unknownSize)  // back-filled when the cluster closes
        let dataOffset = base + buffer.writerIndex
        EBMLWriter.writeUnsigned(MatroskaElementID.clusterTimestamp, UInt64(timestamp), into: &buffer)
        cluster = OpenCluster(offset: offset, dataOffset: dataOffset, timestamp: timestamp)
        clusterCount += 1
    }

    /// Records the patch that gives the open cluster (ending at `end`) its size.
    private mutating func closeCluster(at end: Int) {
        guard let open = cluster else { return }
        patches.append(MediaFilePatch(offset: open.offset + 4, bytes: EBMLWriter.sizeBytes(UInt64(end - open.dataOffset), length: 8)))
        cluster = nil
    }

    private func writeCues(into buffer: inout ByteBuffer) {
        EBMLWriter.writeMaster(MatroskaElementID.cues, into: &buffer) { cuesBody in
            for cue in cues {
                EBMLWriter.writeMaster(MatroskaElementID.cuePoint, into: &cuesBody) { point in
                    EBMLWriter.writeUnsigned(MatroskaElementID.cueTime, UInt64(cue.time), into: &point)
                    EBMLWriter.writeMaster(MatroskaElementID.cueTrackPositions, into: &point) { positions in
                        EBMLWriter.writeUnsigned(MatroskaElementID.cueTrack, cue.track, into: &positions)
                        EBMLWriter.writeUnsigned(MatroskaElementID.cueClusterPosition, UInt64(cue.clusterPosition), into: &positions)
                        EBMLWriter.writeUnsigned(MatroskaElementID.cueRelativePosition, UInt64(cue.relativePosition), into: &positions)
                    }
                }
            }
        }
    }

    /// The picture size a VP8 or VP9 key frame's header declares.
    static func pictureSize(of frame: ByteBuffer, codec: VideoCodec) -> (width: Int, height: Int)? {
        switch codec {
        case .vp8:
            return VP8PayloadFormat.keyFrameDimensions(of: frame).flatMap { $0.width > 0 && $0.height > 0 ? $0 : nil }
        case .vp9:
            guard let header = VP9PayloadFormat.frameHeader(of: frame), let width = header.width, let height = header.height else { return nil }
            return (width, height)
        }
    }

    static func bigEndian(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }
}
