import Foundation
import NIOCore
import RTCMedia
import RTCRTP
import RTCTestSupport
import Testing

/// Issue 12 item 7: RTP that headless Chromium really sent (Fixtures/, see FIXTURES.md) is
/// ordered, grouped into frames, depacketized by RTCRTP's payload formats, written as IVF,
/// Annex B or Ogg by RTCMedia, and Debian's ffmpeg decodes every frame without one error.
@Suite struct ChromiumPayloadsDecodeWithFFmpegTests {
    /// Depacketizes every frame of a captured stream.
    static func encodedFrames(_ stream: RTPFixtureStream) throws -> [(timestamp: UInt32, frame: RTPEncodedFrame)] {
        let frames = try RTPFixtureStream.frames(stream.packets, clockRate: stream.entry.clockRate)
        #expect(frames.count == stream.entry.frames, "the manifest's frame count")
        return try frames.map { frame in
            let encoded: RTPEncodedFrame = switch stream.entry.codec.uppercased() {
            case "VP8": try VP8PayloadFormat.depacketize(frame.payloads)
            case "VP9": try VP9PayloadFormat.depacketize(frame.payloads)
            case "AV1": try AV1PayloadFormat.depacketize(frame.payloads)
            case "H264": try H264PayloadFormat.depacketize(frame.payloads)
            case "OPUS": try OpusPayloadFormat.depacketize(frame.payloads)
            default: throw FixtureError("no payload format for \(stream.entry.codec)")
            }
            return (frame.timestamp, encoded)
        }
    }

    /// A fresh directory under the system's temporary folder, removed by `cleanUp` unless
    /// SWIFTRTC_KEEP_MEDIA is set (then its path is printed, to look at the files).
    static func temporaryDirectory() throws -> (url: URL, cleanUp: () -> Void) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtcmedia-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["SWIFTRTC_KEEP_MEDIA"] != nil {
            print("RTCMediaTests: files kept in \(url.path)")
            return (url, {})
        }
        return (url, { try? FileManager.default.removeItem(at: url) })
    }

    /// Writes `frames` as an IVF file at `path`.
    static func writeIVF(_ frames: [(timestamp: UInt32, frame: RTPEncodedFrame)], codec: IVFWriter.Codec,
                         width: Int, height: Int, path: String) throws {
        var writer = IVFWriter(codec: codec, width: UInt16(width), height: UInt16(height))
        let sink = try MediaFileSink(path: path)
        var out = ByteBuffer()
        for (timestamp, frame) in frames {
            try writer.write(frame: frame.data, timestamp: UInt64(timestamp &- frames[0].timestamp), into: &out)
            try sink.write(&out)
        }
        try sink.finish(&writer)
    }

    /// Asserts ffmpeg decodes `path` silently and ffprobe counts `frames` packets and decoded frames.
    static func expectDecodes(_ path: String, codecName: String, frames: Int,
                              width: Int? = nil, height: Int? = nil) async throws {
        let decoded = try await FFmpegTool.decode(path)
        #expect(decoded.status == 0, "ffmpeg exit status")
        #expect(decoded.standardError.isEmpty, "ffmpeg -v error printed: \(decoded.standardError)")
        let counts = try await FFmpegTool.probe(path)
        #expect(counts.codecName == codecName)
        #expect(counts.packets == frames, "ffprobe packets")
        #expect(counts.frames == frames, "ffprobe decoded frames")
        if let width { #expect(counts.width == width) }
        if let height { #expect(counts.height == height) }
    }

    @Test(arguments: [("VP8", IVFWriter.Codec.vp8, "vp8"), ("VP9", .vp9, "vp9"), ("AV1", .av1, "av1")])
    func videoInIVFDecodes(codec: String, container: IVFWriter.Codec, ffmpegName: String) async throws {
        let stream = try RTPFixtureStream(codec: codec)
        let frames = try Self.encodedFrames(stream)
        let first = try #require(frames.first)
        #expect(first.frame.isKeyFrame, "the capture starts with a key frame")
        #expect(frames.count { $0.frame.isKeyFrame } < frames.count / 2, "most frames are inter frames")
        let width = try #require(stream.entry.width)
        let height = try #require(stream.entry.height)
        switch container {
        case .vp8:
            let size = try #require(VP8PayloadFormat.keyFrameDimensions(of: first.frame.data))
            #expect(size.width == width && size.height == height)
        case .vp9:
            let header = try #require(VP9PayloadFormat.frameHeader(of: first.frame.data))
            #expect(header.isKeyFrame && header.width == width && header.height == height)
        case .av1:
            break
        }

        let (directory, cleanUp) = try Self.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("\(codec).ivf").path
        try Self.writeIVF(frames, codec: container, width: width, height: height, path: path)

        var reader = try IVFReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(reader.header.frameCount == UInt32(frames.count))
        var read = 0
        while let frame = try reader.nextFrame() {
            #expect(frame.timestamp == UInt64(frames[read].timestamp &- first.timestamp))
            read += 1
        }
        #expect(read == frames.count)
        try await Self.expectDecodes(path, codecName: ffmpegName, frames: frames.count, width: width, height: height)
    }

    @Test func h264InAnnexBDecodes() async throws {
        let stream = try RTPFixtureStream(codec: "H264")
        let types = Set(stream.packets.compactMap { H264PayloadFormat.type(of: $0.payload) })
        #expect(types.isSuperset(of: [1, H264PayloadFormat.NALUnitType.stapA, H264PayloadFormat.NALUnitType.fuA]),
                "Chromium sent single NAL unit packets, STAP-A and FU-A")
        let frames = try Self.encodedFrames(stream)
        #expect(frames.first?.frame.isKeyFrame == true, "the capture starts with an IDR access unit")
        let (directory, cleanUp) = try Self.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("chromium.h264").path
        var writer = AnnexBWriter()
        let sink = try MediaFileSink(path: path)
        var out = ByteBuffer()
        for (_, frame) in frames {
            try writer.write(accessUnit: frame.data, into: &out)
            try sink.write(&out)
        }
        try sink.finish(&writer)
        #expect(writer.accessUnitCount == frames.count)
        #expect(writer.skippedAccessUnitCount == 0)
        #expect(writer.sequenceParameterSet != nil && writer.pictureParameterSet != nil)
        try await Self.expectDecodes(path, codecName: "h264", frames: frames.count, width: stream.entry.width, height: stream.entry.height)
    }

    @Test func opusInOggDecodes() async throws {
        let stream = try RTPFixtureStream(codec: "opus")
        let frames = try Self.encodedFrames(stream)
        let (directory, cleanUp) = try Self.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("chromium.opus").path
        let stereo = frames.contains { ($0.frame.data.getInteger(at: $0.frame.data.readerIndex, as: UInt8.self) ?? 0) & 0x04 != 0 }
        var writer = try OggOpusWriter(serialNumber: stream.entry.ssrc, channelCount: stereo ? 2 : 1)
        let sink = try MediaFileSink(path: path)
        var out = ByteBuffer()
        var samples = 0
        for (_, frame) in frames {
            samples += try OpusPayloadFormat.sampleCount(of: frame.data)
            try writer.write(packet: frame.data, into: &out)
            try sink.write(&out)
        }
        try sink.apply(try writer.finish(into: &out), after: &out)
        try sink.close()
        #expect(writer.granulePosition == Int64(samples))

        var reader = OggReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path))))
        var packets: [ByteBuffer] = []
        while let (packet, _) = try reader.nextPacket() { packets.append(packet) }
        #expect(packets.count == frames.count + 2, "OpusHead, OpusTags and every packet")
        #expect(Array(packets.dropFirst(2)) == frames.map(\.frame.data))
        try await Self.expectDecodes(path, codecName: "opus", frames: frames.count)
    }

    /// The check above can fail: with the key frame's start code damaged (RFC 6386 §9.1),
    /// ffmpeg reports errors. (Cutting a frame short is not enough: ffmpeg's VP8 decoder
    /// conceals that silently.)
    @Test func aDamagedKeyFrameMakesFFmpegComplain() async throws {
        let stream = try RTPFixtureStream(codec: "VP8")
        var frames = try Self.encodedFrames(stream)
        frames[0].frame.data.setBytes([0, 0, 0], at: frames[0].frame.data.readerIndex + 3)
        let (directory, cleanUp) = try Self.temporaryDirectory()
        defer { cleanUp() }
        let path = directory.appendingPathComponent("damaged.ivf").path
        try Self.writeIVF(frames, codec: .vp8, width: 320, height: 240, path: path)
        let decoded = try await FFmpegTool.decode(path)
        #expect(decoded.status != 0 || !decoded.standardError.isEmpty)
    }

    /// The ordering the tests rely on: sequence numbers that wrap past 65535 mid-stream and
    /// packets that arrive out of order still give the frames of the capture, in order.
    @Test func orderingSurvivesSequenceWrapAndReordering() throws {
        let stream = try RTPFixtureStream(codec: "VP8")
        let expected = try RTPFixtureStream.frames(stream.packets, clockRate: 90_000)
        let offset = UInt16(truncatingIfNeeded: 65_536 - stream.packets.count / 2 - Int(stream.packets[0].header.sequenceNumber))
        var shuffled = stream.packets.map { packet in
            var packet = packet
            packet.header.sequenceNumber &+= offset
            return packet
        }
        #expect(shuffled.contains { $0.header.sequenceNumber == 0 }, "the rewritten numbers wrap")
        for i in stride(from: 1, to: shuffled.count - 1, by: 3) { shuffled.swapAt(i, i + 1) }
        let frames = try RTPFixtureStream.frames(shuffled, clockRate: 90_000)
        #expect(frames.map(\.timestamp) == expected.map(\.timestamp))
        #expect(frames.map(\.payloads) == expected.map(\.payloads))
        #expect(throws: FixtureError.self) {
            try RTPFixtureStream.frames(shuffled.filter { $0.header.sequenceNumber != 0 }, clockRate: 90_000)
        }
    }
}
