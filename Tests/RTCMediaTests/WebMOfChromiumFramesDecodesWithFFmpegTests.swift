import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import Testing

/// Issue 13 item 3: the VP8, VP9 and Opus frames Chromium sent (Fixtures/) written by our
/// WebMWriter decode with `ffmpeg -v error` printing nothing; ffprobe counts every frame and
/// reports the duration written; the file seeks (SeekHead → Cues → key-frame clusters).
@Suite struct WebMOfChromiumFramesDecodesWithFFmpegTests {
    @Test(arguments: [("VP8", WebMWriter.VideoCodec.vp8, "vp8"), ("VP9", .vp9, "vp9")])
    func videoAndOpusInOneFileDecode(codec: String, webmCodec: WebMWriter.VideoCodec, ffmpegName: String) async throws {
        let video = try FixtureFrames.timed(codec)
        let audio = try FixtureFrames.timed("opus")
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("\(codec)-opus.webm").path
        let writer = try FixtureFrames.writeWebM(video: video, codec: webmCodec, audio: audio, path: path)
        #expect(writer.videoFrameCount == video.count && writer.audioPacketCount == audio.count)
        #expect(writer.width == 320 && writer.height == 240, "read from the first key frame")

        let decoded = try await FFmpegTool.decode(path)
        #expect(decoded.status == 0)
        #expect(decoded.standardError.isEmpty, "ffmpeg -v error printed: \(decoded.standardError)")
        let videoStream = try await FFmpegTool.probe(path, stream: "v:0")
        #expect(videoStream.codecName == ffmpegName)
        #expect(videoStream.packets == video.count && videoStream.frames == video.count)
        #expect(videoStream.width == 320 && videoStream.height == 240)
        #expect(videoStream.keyPackets == video.count { $0.frame.isKeyFrame })
        let audioStream = try await FFmpegTool.probe(path, stream: "a:0")
        #expect(audioStream.codecName == "opus")
        #expect(audioStream.packets == audio.count && audioStream.frames == audio.count)

        let written = writer.durationMilliseconds / 1_000
        let lastAudio = Double(audio.last!.time.nanoseconds) / 1e9 + 0.02
        #expect(abs(written - max(lastAudio, Double(video.last!.time.nanoseconds) / 1e9)) < 0.05, "duration is the end of the last frame")
        #expect(abs(try await FFmpegTool.formatDuration(path) - written) < 0.002, "ffprobe reports Info's Duration")

        // Played back: the file our recorder would write is a source for a track.
        let source = try MediaFileSource(path: path)
        #expect(source.tracks.map(\.codec) == [.opus, webmCodec == .vp8 ? .vp8 : .vp9])
        #expect(source.samples.count { $0.kind == .video } == video.count && source.samples.count { $0.kind == .audio } == audio.count)
        #expect(source.samples.filter { $0.kind == .video }.map(\.isKeyFrame) == video.map(\.frame.isKeyFrame))
        #expect(source.samples.filter { $0.kind == .video }.map(\.data) == video.map(\.frame.data))

        try Self.expectSeekable(path, videoTrack: 1)
        let seek = try await FFmpegTool.run("ffmpeg", ["-nostdin", "-v", "error", "-ss", "2", "-i", path, "-f", "null", "-"])
        #expect(seek.status == 0 && seek.standardError.isEmpty, "seeking: \(seek.standardError)")
    }

    @Test func audioOnlyAndVideoOnlyFilesDecode() async throws {
        let video = try FixtureFrames.timed("VP8")
        let audio = try FixtureFrames.timed("opus")
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let audioPath = directory.appendingPathComponent("audio.webm").path
        let audioWriter = try FixtureFrames.writeWebM(video: [], codec: nil, audio: audio, path: audioPath)
        #expect(audioWriter.audioTrackNumber == 1 && audioWriter.videoTrackNumber == nil)
        let videoPath = directory.appendingPathComponent("video.webm").path
        try FixtureFrames.writeWebM(video: video, codec: .vp8, audio: [], path: videoPath)
        for (path, selector, count) in [(audioPath, "a:0", audio.count), (videoPath, "v:0", video.count)] {
            let decoded = try await FFmpegTool.decode(path)
            #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(path): \(decoded.standardError)")
            let stream = try await FFmpegTool.probe(path, stream: selector)
            #expect(stream.packets == count && stream.frames == count)
            try Self.expectSeekable(path, videoTrack: selector == "v:0" ? 1 : nil)
        }
        #expect(abs(try await FFmpegTool.formatDuration(audioPath) - audioWriter.durationMilliseconds / 1_000) < 0.002)
    }

    /// A recording that never finished (the process died before `finish`): no patches, so
    /// unknown Segment and Cluster sizes, no Duration, no SeekHead, no Cues. ffmpeg still
    /// decodes every frame that was written.
    @Test func anUnfinishedRecordingStillDecodes() async throws {
        let video = try FixtureFrames.timed("VP8")
        let audio = try FixtureFrames.timed("opus")
        var writer = try WebMWriter(video: .init(codec: .vp8), audio: .init())
        var file = ByteBuffer()
        var a = 0
        for frame in video {
            while a < audio.count, audio[a].time <= frame.time {
                try writer.write(audioPacket: audio[a].frame.data, timestamp: audio[a].time, into: &file)
                a += 1
            }
            try writer.write(videoFrame: frame.frame.data, isKeyFrame: frame.frame.isKeyFrame, timestamp: frame.time, into: &file)
        }
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("unfinished.webm").path
        try Data(file.readableBytesView).write(to: URL(fileURLWithPath: path))
        let decoded = try await FFmpegTool.decode(path)
        #expect(decoded.status == 0 && decoded.standardError.isEmpty, "ffmpeg: \(decoded.standardError)")
        #expect(try await FFmpegTool.probe(path, stream: "v:0").frames == video.count)
        #expect(try await FFmpegTool.probe(path, stream: "a:0").frames == a)
    }

    /// Checks the structure a player seeks with: the SeekHead points at Info, Tracks and Cues;
    /// every CuePoint points at a Cluster whose block at the relative position is a key frame
    /// of the cued track at the cued time; sizes of Segment and Clusters are known.
    static func expectSeekable(_ path: String, videoTrack: UInt64?) throws {
        let file = try MediaTestFiles.contents(path)
        let ebml = try EBMLReader.readHeader(file, at: 0, end: file.writerIndex)
        let segmentAt = ebml.headerLength + Int(ebml.size!)
        let segment = try EBMLReader.readHeader(file, at: segmentAt, end: file.writerIndex)
        #expect(segment.id == MatroskaElementID.segment)
        let segmentSize = try #require(segment.size, "the Segment's size was back-filled")
        let data = segmentAt + segment.headerLength
        #expect(data + Int(segmentSize) == file.writerIndex)
        let seekHead = try EBMLReader.readHeader(file, at: data, end: file.writerIndex)
        #expect(seekHead.id == MatroskaElementID.seekHead)
        var targets: [UInt32: Int] = [:]
        try children(file, of: data, seekHead) { id, at, size in
            var target: UInt32 = 0
            var position = 0
            try children(file, from: at, to: at + size) { id, at, size in
                if id == MatroskaElementID.seekID { target = UInt32(try EBMLReader.readUnsigned(file, at: at, size: size)) }
                if id == MatroskaElementID.seekPosition { position = Int(try EBMLReader.readUnsigned(file, at: at, size: size)) }
            }
            #expect(id == MatroskaElementID.seek)
            targets[target] = position
        }
        #expect(Set(targets.keys) == [MatroskaElementID.info, MatroskaElementID.tracks, MatroskaElementID.cues])
        for (id, position) in targets {
            #expect(try EBMLReader.readHeader(file, at: data + position, end: file.writerIndex).id == id, "SeekHead entry \(id)")
        }
        let cuesAt = data + targets[MatroskaElementID.cues, default: 0]
        var cueCount = 0
        try children(file, of: cuesAt, try EBMLReader.readHeader(file, at: cuesAt, end: file.writerIndex)) { _, at, size in
            var time: UInt64 = 0, track: UInt64 = 0, cluster = 0, relative = 0
            try children(file, from: at, to: at + size) { id, at, size in
                if id == MatroskaElementID.cueTime { time = try EBMLReader.readUnsigned(file, at: at, size: size) }
                guard id == MatroskaElementID.cueTrackPositions else { return }
                try children(file, from: at, to: at + size) { id, at, size in
                    let number = Int(try EBMLReader.readUnsigned(file, at: at, size: size))
                    if id == MatroskaElementID.cueTrack { track = UInt64(number) }
                    if id == MatroskaElementID.cueClusterPosition { cluster = number }
                    if id == MatroskaElementID.cueRelativePosition { relative = number }
                }
            }
            let clusterHeader = try EBMLReader.readHeader(file, at: data + cluster, end: file.writerIndex)
            #expect(clusterHeader.id == MatroskaElementID.cluster && clusterHeader.size != nil)
            let clusterData = data + cluster + clusterHeader.headerLength
            let timestampElement = try EBMLReader.readHeader(file, at: clusterData, end: file.writerIndex)
            let clusterTime = try EBMLReader.readUnsigned(file, at: clusterData + timestampElement.headerLength, size: Int(timestampElement.size!))
            let block = try EBMLReader.readHeader(file, at: clusterData + relative, end: file.writerIndex)
            let blockData = clusterData + relative + block.headerLength
            #expect(block.id == MatroskaElementID.simpleBlock)
            #expect(UInt64(file.getInteger(at: blockData, as: UInt8.self)! & 0x7F) == track)
            #expect(Int64(clusterTime) + Int64(file.getInteger(at: blockData + 1, as: Int16.self)!) == Int64(time))
            #expect(file.getInteger(at: blockData + 3, as: UInt8.self)! & 0x80 != 0, "cued block is a key frame")
            if let videoTrack { #expect(track == videoTrack) }
            cueCount += 1
        }
        #expect(cueCount > 0)
    }

    /// Calls `body` with each child (ID, data index, size) of the master whose header is at `index`.
    static func children(_ file: ByteBuffer, of index: Int, _ header: EBMLElementHeader,
                         _ body: (UInt32, Int, Int) throws -> Void) throws {
        let start = index + header.headerLength
        try children(file, from: start, to: start + Int(header.size!), body)
    }

    /// Calls `body` with each element (ID, data index, size) between `from` and `to`.
    static func children(_ file: ByteBuffer, from: Int, to end: Int, _ body: (UInt32, Int, Int) throws -> Void) throws {
        var child = from
        while child < end {
            let element = try EBMLReader.readHeader(file, at: child, end: end)
            try body(element.id, child + element.headerLength, Int(element.size!))
            child += element.headerLength + Int(element.size!)
        }
    }
}
