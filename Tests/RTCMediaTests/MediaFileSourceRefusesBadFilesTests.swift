import Foundation
import NIOCore
import RTCCore
import RTCMedia
import RTCRTP
import RTCTestSupport
import Testing

/// Issue 13 item 7: a file that is not IVF/Ogg/WebM/Annex B, is empty, cut short, damaged,
/// unreadable, holds an unsupported codec or lacks the track asked for fails with a typed
/// MediaSourceError whose description names the path and the problem.
@Suite struct MediaFileSourceRefusesBadFilesTests {
    /// Creates the source and returns the problem it threw, after checking the description
    /// names the path.
    static func problem(_ path: String, kinds: Set<RTPCodec.Kind>? = nil) -> MediaSourceError.Problem? {
        do {
            _ = try MediaFileSource(path: path, kinds: kinds)
            Issue.record("\(path) was accepted")
            return nil
        } catch {
            #expect(error.path == path)
            #expect(error.description.hasPrefix("\(path): "), "\(error)")
            return error.problem
        }
    }

    static func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func notMediaEmptyMissingAndDirectories() throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        var rng = SeededRandom(seed: 13)
        let random = [0xFF] + (0..<4_096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(Self.problem(try Self.write(random, "random.bin", in: directory)) == .unrecognizedFormat)
        let text = try Self.write(Array("WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n".utf8), "subtitles.webm", in: directory)
        #expect(Self.problem(text) == .unrecognizedFormat)
        #expect(Self.error(text)?.description == "\(text): not a media file (IVF, Ogg/Opus, WebM or H.264 Annex B expected)")
        #expect(Self.problem(try Self.write([], "empty.ivf", in: directory)) == .empty)
        #expect(Self.problem(directory.appendingPathComponent("missing.ivf").path) == .unreadable("No such file or directory"))
        #expect(Self.problem(directory.path) == .unreadable("not a regular file"))
        // Annex B start code, then no slice: not a picture.
        let noSlice = try Self.write([0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xCE], "params.h264", in: directory)
        #expect(Self.problem(noSlice) == .malformed(.annexB, .malformed("no H.264 access unit (no coded slice)")))
    }

    @Test func truncatedFilesOfEachContainer() async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let files = [
            try await MediaTestFiles.make("cut.webm", in: directory, MediaTestFiles.testPattern + MediaTestFiles.tone + MediaTestFiles.vp8 + MediaTestFiles.opus),
            try await MediaTestFiles.make("cut.ivf", in: directory, MediaTestFiles.testPattern + MediaTestFiles.vp8),
            try await MediaTestFiles.make("cut.ogg", in: directory, MediaTestFiles.tone + MediaTestFiles.opus),
        ]
        for (path, format) in zip(files, [MediaContainerFormat.webm, .ivf, .ogg]) {
            let whole = try Data(contentsOf: URL(fileURLWithPath: path))
            try whole.prefix(whole.count / 2 + 7).write(to: URL(fileURLWithPath: path))
            guard case .malformed(let reported, .truncated) = Self.problem(path) else {
                Issue.record("\(path): not reported as truncated")
                continue
            }
            #expect(reported == format)
            let error = try #require(Self.error(path))
            #expect(error.description.contains("\(format.displayName) file is damaged: truncated"), "\(error)")
        }
        // A damaged Ogg page: the checksum catches it.
        let ogg = try await MediaTestFiles.make("damaged.ogg", in: directory, MediaTestFiles.tone + MediaTestFiles.opus)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: ogg)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: ogg))
        guard case .malformed(.ogg, .checksumMismatch) = Self.problem(ogg) else { Issue.record("damaged Ogg page accepted"); return }
    }

    static func error(_ path: String) -> MediaSourceError? {
        do { _ = try MediaFileSource(path: path) } catch { return error }
        return nil
    }

    @Test func unsupportedCodecsAndMissingTracks() async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let vorbisOgg = try await MediaTestFiles.make("vorbis.ogg", in: directory, MediaTestFiles.tone + ["-c:a", "libvorbis"])
        #expect(Self.problem(vorbisOgg) == .unsupportedCodec("Vorbis"))
        let vorbisWebM = try await MediaTestFiles.make("vorbis.webm", in: directory, MediaTestFiles.tone + ["-c:a", "libvorbis"])
        #expect(Self.problem(vorbisWebM) == .unsupportedCodec("A_VORBIS"))
        #expect(Self.error(vorbisWebM)?.description == "\(vorbisWebM): unsupported codec A_VORBIS (VP8, VP9, AV1, H.264 and Opus are supported)")

        var ivf = Array(try Data(contentsOf: URL(fileURLWithPath: try await MediaTestFiles.make("h263.ivf", in: directory,
                                                                                          MediaTestFiles.testPattern + MediaTestFiles.vp8))))
        ivf.replaceSubrange(8..<12, with: Array("H263".utf8))
        #expect(Self.problem(try Self.write(ivf, "h263.ivf", in: directory)) == .unsupportedCodec("H263"))

        let ogg = try await MediaTestFiles.make("audio.ogg", in: directory, MediaTestFiles.tone + MediaTestFiles.opus)
        #expect(Self.problem(ogg, kinds: [.video]) == .missingTrack(.video))
        #expect(Self.error(ogg) == nil, "without kinds, the tracks the file has")
        #expect(Self.problem(ogg, kinds: [.audio, .video]) == .missingTrack(.video))
        let videoOnly = try await MediaTestFiles.make("video.webm", in: directory, MediaTestFiles.testPattern + MediaTestFiles.vp8)
        #expect(Self.problem(videoOnly, kinds: [.audio]) == .missingTrack(.audio))
        #expect(try MediaFileSource(path: videoOnly, kinds: [.video]).tracks.map(\.codec) == [.vp8])
    }
}
