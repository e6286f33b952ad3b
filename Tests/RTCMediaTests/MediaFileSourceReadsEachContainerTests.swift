import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import RTCRTP
import Testing

/// Issue 13 item 2: a MediaFileSource on each kind of file ffmpeg makes (IVF VP8/VP9, Ogg
/// Opus, WebM VP8/VP9 + Opus, H.264 Annex B) yields every frame ffprobe counts, in timestamp
/// order across tracks, timed from 0, with durations and key frames; and it loops.
@Suite struct MediaFileSourceReadsEachContainerTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var arguments: [String]
        var format: MediaContainerFormat
        var codecs: [RTPCodec]
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "vp8.ivf", arguments: MediaTestFiles.testPattern + MediaTestFiles.vp8, format: .ivf, codecs: [.vp8]),
        Case(file: "vp9.ivf", arguments: MediaTestFiles.testPattern + MediaTestFiles.vp9, format: .ivf, codecs: [.vp9]),
        Case(file: "opus.ogg", arguments: MediaTestFiles.tone + MediaTestFiles.opus, format: .ogg, codecs: [.opus]),
        Case(file: "vp8.webm", arguments: MediaTestFiles.testPattern + MediaTestFiles.tone + MediaTestFiles.vp8 + MediaTestFiles.opus,
             format: .webm, codecs: [.opus, .vp8]),
        Case(file: "vp9.webm", arguments: MediaTestFiles.testPattern + MediaTestFiles.tone + MediaTestFiles.vp9 + MediaTestFiles.opus,
             format: .webm, codecs: [.opus, .vp9]),
        Case(file: "x264.h264", arguments: MediaTestFiles.testPattern + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                                                                          "-sc_threshold", "0", "-bsf:v", "h264_mp4toannexb", "-f", "h264"],
             format: .annexB, codecs: [.h264]),
    ]

    @Test(arguments: cases)
    func yieldsEveryFrameInOrder(_ file: Case) async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = try await MediaTestFiles.make(file.file, in: directory, file.arguments)
        var source = try MediaFileSource(path: path, kinds: Set(file.codecs.map(\.kind)), h264FramesPerSecond: 25)
        #expect(source.format == file.format)
        #expect(Set(source.tracks.map(\.codec)) == Set(file.codecs))
        var samples: [MediaSample] = []
        while let sample = source.nextSample() { samples.append(sample) }
        #expect(samples == source.samples)
        #expect(samples.first?.timestamp == .zero)
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp }, "timestamp order across tracks")
        #expect(samples.allSatisfy { $0.duration != nil && $0.duration! > .zero && $0.data.readableBytes > 0 })
        for codec in file.codecs {
            let track = samples.filter { $0.codec == codec }
            let probe = try await FFmpegTool.probe(path, stream: codec == .opus ? "a:0" : "v:0")
            #expect(track.count == probe.packets, "\(codec): ffprobe's packet count")
            if codec == .opus {
                #expect(track.allSatisfy { $0.kind == .audio && $0.isKeyFrame && $0.duration == .milliseconds(20) })
                #expect(track.count >= 100)
            } else {
                #expect(track.count == 50 && track.allSatisfy { $0.kind == .video })
                #expect(track.count { $0.isKeyFrame } == 2 && track[0].isKeyFrame && track[25].isKeyFrame)
                #expect(track[49].timestamp - track[0].timestamp == .milliseconds(1_960), "25 frames per second")
            }
        }
        #expect(abs(Double(source.duration.nanoseconds) / 1e9 - 2) < 0.05, "one pass lasts the 2 s ffmpeg made")
    }

    @Test func loopingKeepsTimeGrowing() async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = try await MediaTestFiles.make("loop.webm", in: directory, Self.cases[3].arguments)
        var source = try MediaFileSource(path: path, loops: true)
        let count = source.samples.count
        var samples: [MediaSample] = []
        for _ in 0..<(2 * count + 1) {
            let sample = source.nextSample()
            samples.append(try #require(sample))
        }
        #expect(source.loopCount == 2)
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp }, "time keeps growing")
        for index in 0..<count {
            #expect(samples[count + index].timestamp == samples[index].timestamp + source.duration)
            #expect(samples[count + index].data == samples[index].data)
        }
        #expect(samples[2 * count].timestamp == source.duration + source.duration)
        source.rewind()
        #expect(source.nextSample() == samples[0] && source.loopCount == 0)

        var once = try MediaFileSource(path: path, kinds: [.audio])
        #expect(once.tracks.map(\.kind) == [.audio] && once.samples.allSatisfy { $0.kind == .audio })
        while once.nextSample() != nil {}
        #expect(once.nextSample() == nil, "without looping the source ends")
    }

    /// A damaged file whose timestamps go backwards (found by FuzzMediaFileSource): samples
    /// stay in file order and a timestamp never goes below the one before it.
    @Test func timestampsThatGoBackwardsAreRaised() throws {
        var writer = IVFWriter(codec: .vp8, width: 2, height: 2)
        var file = ByteBuffer()
        for (index, timestamp) in [9_000, 12_000, 10_500, 15_000].enumerated() {
            try writer.write(frame: ByteBuffer(bytes: [index == 0 ? 0x00 : 0x01, UInt8(index)]), timestamp: UInt64(timestamp), into: &file)
        }
        let source = try MediaFileSource(contents: file, name: "backwards.ivf")
        #expect(source.samples.map { $0.data.getInteger(at: 1, as: UInt8.self) } == [0, 1, 2, 3])
        #expect(source.samples.map(\.timestamp) == [0, 33_333_333, 33_333_333, 66_666_666].map { TimeAmount.nanoseconds($0) })
        #expect(source.samples.map(\.duration) == [33_333_333, 0, 33_333_333, 33_333_333].map { TimeAmount.nanoseconds($0) })
        #expect(source.samples.map(\.isKeyFrame) == [true, false, false, false])
    }

    /// AV1 in IVF: Chromium's AV1 frames written by IVFWriter; key frames are the temporal
    /// units with a sequence header.
    @Test func av1InIVFFromChromiumFrames() throws {
        let stream = try RTPFixtureStream(codec: "AV1")
        let frames = try ChromiumPayloadsDecodeWithFFmpegTests.encodedFrames(stream)
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("av1.ivf").path
        try ChromiumPayloadsDecodeWithFFmpegTests.writeIVF(frames, codec: .av1, width: 320, height: 240, path: path)
        let source = try MediaFileSource(path: path, kinds: [.video])
        #expect(source.tracks == [MediaTrackDescription(kind: .video, codec: .av1, width: 320, height: 240)])
        #expect(source.samples.count == frames.count)
        #expect(source.samples.map(\.isKeyFrame) == frames.map(\.frame.isKeyFrame))
        #expect(source.samples.last?.timestamp == .nanoseconds(Int64(frames.last!.timestamp &- frames[0].timestamp) * 1_000_000 / 90))
    }
}
