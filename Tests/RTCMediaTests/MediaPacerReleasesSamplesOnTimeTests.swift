import NIOCore
import RTCMedia
import RTCRTP
import RTCTestSupport
import Testing

/// MediaPacer on virtual time: a sample is released at start + its timestamp, never before;
/// nextDeadline says when to come back; a late caller gets a burst, or with maximumLateness
/// a shifted start; a looping source keeps the pacer going.
@Suite struct MediaPacerReleasesSamplesOnTimeTests {
    /// A source of `count` samples `interval` apart, alternating audio and video.
    struct Ticks: MediaSampleSource, Sendable {
        var count: Int
        var interval: TimeAmount
        var index = 0

        mutating func nextSample() -> MediaSample? {
            guard index < count else { return nil }
            defer { index += 1 }
            return MediaSample(kind: index % 2 == 0 ? .audio : .video, codec: index % 2 == 0 ? .opus : .vp8,
                               data: ByteBuffer(bytes: [UInt8(index)]), timestamp: interval * Int64(index),
                               duration: interval, isKeyFrame: true)
        }
    }

    @Test func releasesEachSampleAtItsTimeAndNoEarlier() {
        let start = NIODeadline.virtualStart
        var pacer = MediaPacer(source: Ticks(count: 5, interval: .milliseconds(20)), start: start)
        var released: [(at: NIODeadline, sample: MediaSample)] = []
        var now = start
        while let deadline = pacer.nextDeadline {
            #expect(pacer.pollSample(now: deadline - .nanoseconds(1)) == nil, "not before its time")
            now = deadline
            for sample in pacer.dueSamples(now: now) { released.append((now, sample)) }
        }
        #expect(released.map(\.sample.data) == (0..<5).map { ByteBuffer(bytes: [UInt8($0)]) })
        #expect(released.map(\.at) == (0..<5).map { start + .milliseconds(20 * Int64($0)) })
        #expect(pacer.isFinished && pacer.releasedCount == 5 && pacer.pollSample(now: now + .seconds(60)) == nil)
    }

    @Test func aLateCallerGetsABurstOrAShiftedStart() {
        let start = NIODeadline.virtualStart
        var burst = MediaPacer(source: Ticks(count: 10, interval: .milliseconds(20)), start: start)
        #expect(burst.dueSamples(now: start + .milliseconds(100)).count == 6, "0, 20 … 100 ms are due")
        #expect(burst.nextDeadline == start + .milliseconds(120))

        var shifting = MediaPacer(source: Ticks(count: 10, interval: .milliseconds(20)), start: start, maximumLateness: .milliseconds(50))
        #expect(shifting.dueSamples(now: start + .milliseconds(100)).count == 1, "the first sample was 100 ms late: the start moves")
        #expect(shifting.start == start + .milliseconds(100))
        #expect(shifting.nextDeadline == start + .milliseconds(120))
        #expect(shifting.dueSamples(now: start + .milliseconds(140)).count == 2, "then normal speed again")
    }

    @Test func aLoopingFileSourceKeepsGoing() throws {
        var file = try MediaFileSource(contents: Self.oggWithPackets(3), name: "three.ogg", loops: true)
        #expect(file.duration == .milliseconds(60))
        file.rewind()
        let start = NIODeadline.virtualStart
        var pacer = MediaPacer(source: file, start: start)
        let released = pacer.dueSamples(now: start + .milliseconds(200))
        #expect(released.map(\.timestamp) == stride(from: 0, through: 200, by: 20).map { TimeAmount.milliseconds(Int64($0)) })
        #expect(pacer.nextDeadline == start + .milliseconds(220))
        #expect(pacer.source.loopCount == 3)
    }

    /// An Ogg Opus file of `count` 20 ms packets, written by OggOpusWriter.
    static func oggWithPackets(_ count: Int) throws -> ByteBuffer {
        var writer = try OggOpusWriter(serialNumber: 7, channelCount: 1)
        var out = ByteBuffer()
        for index in 0..<count { try writer.write(packet: ByteBuffer(bytes: [0xF8, UInt8(index)]), into: &out) }
        _ = try writer.finish(into: &out)
        return out
    }
}
