import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import RTCRTP
import Testing

@Suite struct AnnexBReaderTests {
    /// NAL units by type with a body; slices get `first_mb_in_slice` as their first ue(v).
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
    static let aud: [UInt8] = [0x09, 0xF0]
    static let sei: [UInt8] = [0x06, 0x05, 0x01, 0x80]
    /// first_mb_in_slice 0 is the single bit 1; 5 is 00110.
    static func idr(firstMB0: Bool) -> [UInt8] { [0x65, firstMB0 ? 0x88 : 0x30, 0x84] }
    static func slice(firstMB0: Bool) -> [UInt8] { [0x41, firstMB0 ? 0x9A : 0x30, 0x21] }

    static func stream(_ units: [[UInt8]]) -> ByteBuffer {
        ByteBuffer(bytes: units.enumerated().flatMap { index, unit in (index % 2 == 0 ? [0, 0, 0, 1] : [0, 0, 1]) + unit })
    }

    static func readAll(_ stream: ByteBuffer, framesPerSecond: Double = 25) throws -> [AnnexBReader.AccessUnit] {
        var reader = try AnnexBReader(stream, framesPerSecond: framesPerSecond)
        var units: [AnnexBReader.AccessUnit] = []
        while let unit = reader.nextAccessUnit() { units.append(unit) }
        return units
    }

    @Test func accessUnitsSplitAtNewPicturesAndParameterSets() throws {
        let units = try Self.readAll(Self.stream([
            Self.sps, Self.pps, Self.idr(firstMB0: true), Self.idr(firstMB0: false),  // one IDR picture in two slices
            Self.slice(firstMB0: true), Self.slice(firstMB0: false),
            Self.slice(firstMB0: true),
            Self.sei, Self.slice(firstMB0: true),
            Self.aud, Self.slice(firstMB0: true),
            Self.sps,  // parameter sets at the end lead to no picture: dropped
        ]))
        #expect(units.map(\.nalUnitTypes) == [[7, 8, 5, 5], [1, 1], [1], [6, 1], [9, 1]])
        #expect(units.map(\.isKeyFrame) == [true, false, false, false, false])
        #expect(units.map(\.timestamp) == [0, 40, 80, 120, 160].map { TimeAmount.milliseconds($0) })
        #expect(units.map(\.index) == [0, 1, 2, 3, 4])
        #expect(units[0].data == ByteBuffer(bytes: [0, 0, 0, 1] + Self.sps + [0, 0, 0, 1] + Self.pps + [0, 0, 0, 1]
                + Self.idr(firstMB0: true) + [0, 0, 0, 1] + Self.idr(firstMB0: false)), "4-byte start codes")
        #expect(try Self.readAll(Self.stream([Self.sps, Self.pps])).isEmpty)
        // NTSC's 29.97 frames per second: frame 30 000 starts at exactly 1001 s, without drift.
        #expect(AnnexBReader.time(ofFrame: 30_000, framesPerSecond: 30_000.0 / 1_001) == .seconds(1_001))
        #expect(AnnexBReader.time(ofFrame: 1, framesPerSecond: 30_000.0 / 1_001) == .nanoseconds(33_366_667))
    }

    @Test func firstMacroblockIsReadPastEmulationPrevention() {
        // RBSP 00 00 01 C0 …: 23 zero bits, the marker, then 23 bits 1100…0 → 2^23 − 1 + 2^22 + 2^21.
        // On the wire 00 00 03 01 C0: the 03 is an emulation prevention byte.
        let slice = ByteBuffer(bytes: [0x01, 0x00, 0x00, 0x03, 0x01, 0xC0, 0x00, 0x00, 0x01])
        let expected: UInt32 = (1 << 23) - 1 + (1 << 22) + (1 << 21)
        #expect(AnnexBReader.firstMacroblock(ofSlice: slice) == expected)
        #expect(AnnexBReader.firstMacroblock(ofSlice: ByteBuffer(bytes: Self.idr(firstMB0: false))) == 5)
        #expect(AnnexBReader.firstMacroblock(ofSlice: ByteBuffer(bytes: [0x41, 0x00])) == nil, "runs out")
    }

    @Test func refusals() {
        #expect(throws: MediaReaderError.malformed("NAL unit with forbidden_zero_bit set")) {
            _ = try AnnexBReader(ByteBuffer(bytes: [0, 0, 1, 0xE5, 0x88]), framesPerSecond: 30)
        }
        #expect(throws: MediaReaderError.malformed("frame rate 0.0")) { _ = try AnnexBReader(ByteBuffer(), framesPerSecond: 0) }
        #expect(throws: MediaReaderError.malformed("frame rate nan")) { _ = try AnnexBReader(ByteBuffer(), framesPerSecond: .nan) }
    }

    /// What AnnexBWriter made of Chromium's H.264 (OpenH264) reads back as the same access units.
    @Test func chromiumAccessUnitsWrittenByAnnexBWriterReadBack() throws {
        let frames = try FixtureFrames.timed("H264")
        var writer = AnnexBWriter()
        var file = ByteBuffer()
        for frame in frames { try writer.write(accessUnit: frame.frame.data, into: &file) }
        let units = try Self.readAll(file, framesPerSecond: 30)
        #expect(units.count == frames.count)
        #expect(units.map(\.isKeyFrame) == frames.map(\.frame.isKeyFrame))
        for (unit, frame) in zip(units, frames) {
            #expect(H264PayloadFormat.nalUnits(inAnnexB: unit.data).count >= H264PayloadFormat.nalUnits(inAnnexB: frame.frame.data).count)
        }
    }

    /// libx264 streams (`-f h264`, Annex B) — with B-frames, and with four slices per picture —
    /// split into the access units ffprobe counts, key frames where it sees them.
    @Test(arguments: [[], ["-x264-params", "slices=4"]])
    func x264StreamsSplitIntoTheFramesFFprobeCounts(extra: [String]) async throws {
        let (directory, cleanUp) = try ChromiumPayloadsDecodeWithFFmpegTests.temporaryDirectory()
        defer { cleanUp() }
        let path = try await MediaTestFiles.make("x264.h264", in: directory, MediaTestFiles.testPattern
            + ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-sc_threshold", "0", "-bf", "2"] + extra + ["-bsf:v", "h264_mp4toannexb", "-f", "h264"])
        let units = try Self.readAll(try MediaTestFiles.contents(path))
        let probe = try await FFmpegTool.probe(path, stream: "v:0")
        #expect(units.count == probe.frames && units.count == 50)
        #expect(units.count { $0.isKeyFrame } == 2)
        let first = try #require(units.first)
        #expect(first.isKeyFrame && first.nalUnitTypes.contains(7) && first.nalUnitTypes.contains(8), "parameter sets travel with the first IDR")
        if !extra.isEmpty { #expect(units.allSatisfy { $0.nalUnitTypes.count { $0 == 1 || $0 == 5 } == 4 }, "four slices each") }
    }
}
