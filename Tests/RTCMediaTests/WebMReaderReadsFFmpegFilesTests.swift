import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import Testing

/// WebM files ffmpeg makes (libvpx VP8 or VP9 with libopus; Matroska with BlockGroups) read
/// by WebMReader: the frame counts ffprobe reports, key frames where ffprobe sees them, and
/// timestamps that grow per track and end near the file's duration.
@Suite struct WebMReaderReadsFFmpegFilesTests {
    @Test(arguments: [("vp8", MediaTestFiles.vp8, "webm"), ("vp9", MediaTestFiles.vp9, "webm"), ("vp8", MediaTestFiles.vp8, "mkv")])
    func framesAndTimestampsMatchFFprobe(codec: String, encoder: [String], container: String) async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = try await MediaTestFiles.make("\(codec).\(container)", in: directory,
                                           MediaTestFiles.testPattern + MediaTestFiles.tone + encoder + MediaTestFiles.opus)
        var reader = try WebMReader(try MediaTestFiles.contents(path))
        #expect(reader.docType == (container == "mkv" ? "matroska" : "webm"))
        #expect(reader.tracks.map(\.codec) == [codec == "vp8" ? .vp8 : .vp9, .opus])
        #expect(reader.tracks[0].width == 160 && reader.tracks[0].height == 120)
        #expect(reader.tracks[1].codecPrivate?.getString(at: reader.tracks[1].codecPrivate!.readerIndex, length: 8) == "OpusHead")
        let duration = try #require(reader.duration)
        #expect(abs(Double(duration.nanoseconds) / 1e9 - (try await FFmpegTool.formatDuration(path))) < 0.001)

        var frames: [UInt64: [WebMReader.Frame]] = [:]
        while let frame = try reader.nextFrame() { frames[frame.trackNumber, default: []].append(frame) }
        let video = frames[reader.tracks[0].number] ?? []
        let audio = frames[reader.tracks[1].number] ?? []
        let videoProbe = try await FFmpegTool.probe(path, stream: "v:0")
        let audioProbe = try await FFmpegTool.probe(path, stream: "a:0")
        #expect(video.count == videoProbe.packets && video.count == 50)
        #expect(audio.count == audioProbe.packets && audio.count >= 100)
        #expect(video.count { $0.isKeyFrame } == videoProbe.keyPackets && videoProbe.keyPackets == 2)
        #expect(video.first?.isKeyFrame == true)
        for track in [video, audio] {
            #expect(zip(track, track.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp }, "timestamps grow")
            #expect(track.first.map { $0.timestamp.nanoseconds <= 10_000_000 } == true, "start near 0 (ffmpeg shifts by Opus's 6.5 ms delay)")
            #expect(track.last.map { abs($0.timestamp.nanoseconds - duration.nanoseconds) <= 100_000_000 } == true, "end near the duration")
        }
        #expect(video[49].timestamp - video[0].timestamp == .milliseconds(1_960), "frame 49 at 25 frames per second")
    }

    /// A laced block (ffmpeg does not lace, mkvmerge does): Xiph, EBML and fixed-size lacing
    /// each give their frames, and a lace that claims more bytes than the block is refused.
    @Test func lacedBlocksGiveOneFramePerLace() throws {
        let frames: [[UInt8]] = [[0xFC, 1], [0xFC] + Array(repeating: 2, count: 300), [0xFC, 3, 3]]
        let xiph: [UInt8] = [0x02, 2, 255, 46] + frames.flatMap { $0 }
        // EBML lacing: first size 2 as a 1-byte vint (0x82); the difference 301 − 2 = +299 as a
        // 2-byte signed vint: 299 + 8191 = 8490 = 0x212A → 0x40 | 0x21, 0x2A.
        let ebmlLaced: [UInt8] = [0x02, 0x82, 0x61, 0x2A] + frames.flatMap { $0 }
        let fixed: [UInt8] = [0x02] + [[0xFC, 7, 7], [0xFC, 8, 8], [0xFC, 9, 9]].flatMap { $0 }
        for (lacing, body, expected) in [(UInt8(1), xiph, frames), (3, ebmlLaced, frames),
                                        (2, fixed, [[0xFC, 7, 7], [0xFC, 8, 8], [0xFC, 9, 9]])] {
            var reader = try WebMReader(Self.file(blockFlags: 0x80 | lacing << 1, lacedData: body))
            var read: [[UInt8]] = []
            var times: [TimeAmount] = []
            while let frame = try reader.nextFrame() {
                read.append(Array(frame.data.readableBytesView))
                times.append(frame.timestamp)
            }
            #expect(read == expected, "lacing \(lacing)")
            #expect(times == [.milliseconds(100), .milliseconds(120), .milliseconds(140)], "each Opus packet lasts 20 ms")
        }
        var bad = try WebMReader(Self.file(blockFlags: 0x82, lacedData: [0x01, 200, 1, 2, 3]))
        #expect(throws: MediaReaderError.malformed("laced frames larger than their block")) { _ = try bad.nextFrame() }
    }

    /// A minimal WebM file: one Opus track (number 1) and one cluster at 100 ms holding one
    /// SimpleBlock with `blockFlags` and `lacedData` after its 4-byte header.
    static func file(blockFlags: UInt8, lacedData: [UInt8]) -> ByteBuffer {
        var out = ByteBuffer()
        EBMLWriter.writeMaster(MatroskaElementID.ebml, into: &out) { EBMLWriter.writeString(MatroskaElementID.docType, "webm", into: &$0) }
        EBMLWriter.writeMaster(MatroskaElementID.segment, into: &out) { segment in
            EBMLWriter.writeMaster(MatroskaElementID.tracks, into: &segment) { tracks in
                EBMLWriter.writeMaster(MatroskaElementID.trackEntry, into: &tracks) { entry in
                    EBMLWriter.writeUnsigned(MatroskaElementID.trackNumber, 1, into: &entry)
                    EBMLWriter.writeUnsigned(MatroskaElementID.trackType, 2, into: &entry)
                    EBMLWriter.writeString(MatroskaElementID.codecID, "A_OPUS", into: &entry)
                }
            }
            EBMLWriter.writeMaster(MatroskaElementID.cluster, into: &segment) { cluster in
                EBMLWriter.writeUnsigned(MatroskaElementID.clusterTimestamp, 100, into: &cluster)
                EBMLWriter.writeBinary(MatroskaElementID.simpleBlock, ByteBuffer(bytes: [0x81, 0, 0, blockFlags] + lacedData), into: &cluster)
            }
        }
        return out
    }

    @Test func unsupportedCodecsAndBrokenFilesAreTypedErrors() async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let vorbis = try await MediaTestFiles.make("vorbis.webm", in: directory, MediaTestFiles.tone + ["-c:a", "libvorbis"])
        #expect(throws: MediaReaderError.unsupportedCodec("A_VORBIS")) { _ = try WebMReader(try MediaTestFiles.contents(vorbis)) }

        let good = try await MediaTestFiles.make("good.webm", in: directory, MediaTestFiles.testPattern + MediaTestFiles.vp8)
        let file = try MediaTestFiles.contents(good)
        #expect(throws: MediaReaderError.badSignature(expected: "1A45DFA3 (EBML)")) { _ = try WebMReader(file.getSlice(at: 1, length: 100)!) }
        var cut = try WebMReader(file.getSlice(at: 0, length: file.readableBytes / 2)!)
        var caught: MediaReaderError?
        do {
            while try cut.nextFrame() != nil {}
        } catch {
            caught = error
        }
        guard case .truncated = caught else { Issue.record("a file cut in half is truncated, not \(String(describing: caught))"); return }
    }
}
