import NIOCore
import RTCCore
import RTCMedia
import Testing

/// Applies a writer's patches to the bytes it wrote (what MediaFileSink does on disk).
func applying(_ patches: [MediaFilePatch], to file: ByteBuffer) -> ByteBuffer {
    var file = file
    for patch in patches { file.setBytes(patch.bytes, at: file.readerIndex + patch.offset) }
    return file
}

@Suite struct WebMWriterTests {
    /// A 20 ms CELT fullband stereo Opus packet (TOC config 31, s = 1, code 0).
    static let opus20ms = ByteBuffer(bytes: [0xFC, 1, 2, 3])
    /// A 2×2 VP8 key frame header (frame tag, start code, sizes) and some bytes.
    static let vp8KeyFrame = ByteBuffer(bytes: [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x02, 0x00, 0x02, 0x00, 7, 7, 7])
    static let vp8InterFrame = ByteBuffer(bytes: [0x11, 0x02, 0x00, 9, 9])

    @Test func refusalsLeaveTheWriterUsable() throws {
        #expect(throws: MediaWriterError.invalidParameter("a WebM file needs a video or an audio track")) {
            _ = try WebMWriter(video: nil, audio: nil)
        }
        #expect(throws: MediaWriterError.self) { _ = try WebMWriter(video: nil, audio: .init(channelCount: 3)) }
        var writer = try WebMWriter(video: .init(codec: .vp8), audio: .init())
        var out = ByteBuffer()
        #expect(try writer.write(videoFrame: Self.vp8InterFrame, isKeyFrame: false, timestamp: .zero, into: &out) == false,
                "no key frame yet: skipped")
        #expect(writer.skippedVideoFrameCount == 1 && out.readableBytes == 0)
        #expect(throws: MediaWriterError.emptyFrame) { try writer.write(videoFrame: ByteBuffer(), isKeyFrame: true, timestamp: .zero, into: &out) }
        #expect(throws: MediaWriterError.invalidParameter("negative timestamp -1000000 ns")) {
            try writer.write(audioPacket: Self.opus20ms, timestamp: .milliseconds(-1), into: &out)
        }
        #expect(throws: MediaWriterError.invalidOpusPacket(.invalidField("Opus code 3 with zero frames"))) {
            try writer.write(audioPacket: ByteBuffer(bytes: [0xFF, 0x00]), timestamp: .zero, into: &out)
        }
        try writer.write(videoFrame: Self.vp8KeyFrame, isKeyFrame: true, timestamp: .milliseconds(40), into: &out)
        #expect(throws: MediaWriterError.timestampOutOfOrder(timestamp: .milliseconds(39), previous: .milliseconds(40))) {
            try writer.write(videoFrame: Self.vp8InterFrame, isKeyFrame: false, timestamp: .milliseconds(39), into: &out)
        }
        try writer.write(audioPacket: Self.opus20ms, timestamp: .milliseconds(20), into: &out)  // tracks interleave freely
        try writer.write(videoFrame: Self.vp8InterFrame, isKeyFrame: false, timestamp: .milliseconds(80), into: &out)
        #expect(writer.width == 2 && writer.height == 2)
        #expect(writer.videoFrameCount == 2 && writer.audioPacketCount == 1 && writer.clusterCount == 1)
        let patches = try writer.finish(into: &out)
        #expect(throws: MediaWriterError.finished) { _ = try writer.finish(into: &out) }
        #expect(throws: MediaWriterError.finished) { try writer.write(audioPacket: Self.opus20ms, timestamp: .seconds(1), into: &out) }
        #expect(writer.durationMilliseconds == 120, "the last video frame lasts as long as the one before it")

        var reader = try WebMReader(applying(patches, to: out))
        #expect(reader.duration == .milliseconds(120))
        #expect(reader.tracks.map(\.codecID) == ["V_VP8", "A_OPUS"])
        #expect(reader.tracks[0].width == 2 && reader.tracks[0].height == 2, "back-filled from the key frame")
        #expect(reader.tracks[1].codecPrivate == WebMWriter.AudioTrack().opusHead)
        #expect(reader.tracks[1].codecDelay == 6_500_000)
        var frames: [WebMReader.Frame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        #expect(frames.map(\.timestamp) == [.milliseconds(40), .milliseconds(20), .milliseconds(80)])
        #expect(frames.map(\.trackNumber) == [1, 2, 1])
        #expect(frames.map(\.isKeyFrame) == [true, true, false])
    }

    @Test func writingToAMissingTrackIsRefused() throws {
        var audioOnly = try WebMWriter(video: nil, audio: .init())
        var out = ByteBuffer()
        #expect(throws: MediaWriterError.invalidParameter("the writer has no video track")) {
            try audioOnly.write(videoFrame: Self.vp8KeyFrame, isKeyFrame: true, timestamp: .zero, into: &out)
        }
        var videoOnly = try WebMWriter(video: .init(codec: .vp9, width: 640, height: 360), audio: nil)
        #expect(throws: MediaWriterError.invalidParameter("the writer has no audio track")) {
            try videoOnly.write(audioPacket: Self.opus20ms, timestamp: .zero, into: &out)
        }
        _ = try videoOnly.finish(into: &out)
        let reader = try WebMReader(out)
        #expect(reader.tracks.first?.width == 640 && reader.tracks.first?.height == 360, "given sizes are written directly")
    }

    /// Block timestamps are 16 bits relative to their cluster: a track more than 32 s behind
    /// the open cluster cannot join it, and is refused rather than wrapped.
    @Test func aTrackFarBehindTheOpenClusterIsRefused() throws {
        var writer = try WebMWriter(video: .init(codec: .vp8, width: 2, height: 2), audio: .init())
        var out = ByteBuffer()
        try writer.write(videoFrame: Self.vp8KeyFrame, isKeyFrame: true, timestamp: .seconds(40), into: &out)
        #expect(throws: MediaWriterError.invalidParameter("timestamp 0 ms is more than 32 s before the open cluster's 40000 ms")) {
            try writer.write(audioPacket: Self.opus20ms, timestamp: .zero, into: &out)
        }
        try writer.write(audioPacket: Self.opus20ms, timestamp: .seconds(10), into: &out)
        var reader = try WebMReader(applying(try writer.finish(into: &out), to: out))
        #expect(try reader.nextFrame()?.timestamp == .seconds(40))
        #expect(try reader.nextFrame()?.timestamp == .seconds(10))
    }

    @Test func clustersStartAtKeyFramesAndEveryFiveSeconds() throws {
        var writer = try WebMWriter(video: nil, audio: .init())
        var out = ByteBuffer()
        // 12 s of audio: a cluster at 0, 5 s and 10 s (each a cue), plus one after a 40 s gap.
        for packet in 0..<600 { try writer.write(audioPacket: Self.opus20ms, timestamp: .milliseconds(Int64(packet) * 20), into: &out) }
        try writer.write(audioPacket: Self.opus20ms, timestamp: .seconds(52), into: &out)
        #expect(writer.clusterCount == 4)
        let patches = try writer.finish(into: &out)
        #expect(writer.durationMilliseconds == 52_020)
        var reader = try WebMReader(applying(patches, to: out))
        var count = 0
        var last = TimeAmount.nanoseconds(-1)
        while let frame = try reader.nextFrame() {
            #expect(frame.timestamp > last)
            last = frame.timestamp
            count += 1
        }
        #expect(count == 601 && last == .seconds(52))
    }
}

/// Seeded random frames (sizes, gaps up to 40 s, key frames, both tracks interleaved) written
/// by WebMWriter read back by WebMReader unchanged: data, track, millisecond timestamps, key flag.
@Suite struct WebMRoundTripPropertyTests {
    @Test(arguments: 1...20)
    func writerThenReaderGivesTheFramesBack(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let hasVideo = seed % 3 != 1
        let hasAudio = seed % 3 != 2
        var writer = try WebMWriter(video: hasVideo ? .init(codec: seed % 2 == 0 ? .vp8 : .vp9, width: 16, height: 16) : nil,
                                    audio: hasAudio ? .init(channelCount: 1) : nil)
        var out = ByteBuffer()
        var file = ByteBuffer()
        var expected: [WebMReader.Frame] = []
        var videoTime: Int64 = 0
        var audioTime: Int64 = 0
        for index in 0..<Int.random(in: 1...300, using: &rng) {
            let isVideo = hasVideo && (!hasAudio || Bool.random(using: &rng))
            let size = Int.random(in: 1...(index % 50 == 0 ? 70_000 : 300), using: &rng)
            var data = ByteBuffer(bytes: (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if isVideo {
                videoTime += Int64.random(in: 0...(index % 40 == 0 ? 40_000 : 100), using: &rng) * 1_000_000
                let key = expected.isEmpty || Int.random(in: 0..<10, using: &rng) == 0
                try writer.write(videoFrame: data, isKeyFrame: key, timestamp: .nanoseconds(videoTime), into: &out)
                if writer.videoFrameCount > expected.filter({ $0.trackNumber == 1 }).count {
                    expected.append(.init(trackNumber: 1, timestamp: .nanoseconds(videoTime), isKeyFrame: key, data: data))
                }
            } else {
                data.setInteger(UInt8(0xF8), at: 0)  // CELT 20 ms, mono, code 0
                audioTime = max(audioTime + 20_000_000, videoTime - 30_000_000_000 + 1_000_000)
                try writer.write(audioPacket: data, timestamp: .nanoseconds(audioTime), into: &out)
                expected.append(.init(trackNumber: writer.audioTrackNumber!, timestamp: .nanoseconds(audioTime), isKeyFrame: true, data: data))
            }
            // The bytes go to the file in pieces, as a sink takes them (sometimes clearing the buffer).
            if Bool.random(using: &rng) {
                file.writeBuffer(&out)
                if Bool.random(using: &rng) { out.clear() }
            }
        }
        let patches = try writer.finish(into: &out)
        file.writeBuffer(&out)
        var reader = try WebMReader(applying(patches, to: file))
        var frames: [WebMReader.Frame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        #expect(frames == expected)
        #expect(reader.duration == .nanoseconds(Int64(writer.durationMilliseconds * 1_000_000)))
        #expect(file.readableBytes == writer.bytesWritten)

        // Before the patches the Segment and every Cluster have unknown sizes (a recording
        // that never finished, or a live stream): the frames read the same.
        var live = try WebMReader(file)
        var liveFrames: [WebMReader.Frame] = []
        while let frame = try live.nextFrame() { liveFrames.append(frame) }
        #expect(liveFrames == expected)
    }
}
