import NIOCore
import RTCSFU
import RTCTestSupport
import Testing

/// The active speaker from audio levels on virtual time: a member speaking alone becomes the
/// speaker after two windows; a louder challenger takes over after two windows, a one-window
/// cough does not; a silent room has no speaker; a leaving speaker is reported gone.
@Suite struct SFUActiveSpeakerDetectorTests {
    /// Feeds both members' packets every 20 ms for `duration` ms at these levels (−dBov) and
    /// returns the changes with their times (ms).
    static func run(_ detector: inout SFUActiveSpeakerDetector<String>, from start: Int, for duration: Int,
                    levels: [String: UInt8]) -> [(Int, String?)] {
        var changes: [(Int, String?)] = []
        var ms = start
        while ms < start + duration {
            for (member, level) in levels.sorted(by: { $0.key < $1.key }) {
                if let change = detector.observe(member, level: level, now: .virtualStart + .milliseconds(Int64(ms))) {
                    changes.append((ms, change))
                }
            }
            ms += 20
        }
        return changes
    }

    @Test func theDominantSpeakerFollowsTheLoudestWithHysteresis() {
        var detector = SFUActiveSpeakerDetector<String>()
        // a speaks (−30 dBov), b is silent: a after two 300 ms windows.
        var changes = Self.run(&detector, from: 0, for: 1000, levels: ["a": 30, "b": 127])
        #expect(changes.map(\.1) == ["a"])
        #expect(changes.first.map { $0.0 >= 600 && $0.0 < 700 } == true, "\(changes)")
        // b coughs louder for one window: no switch.
        changes = Self.run(&detector, from: 1000, for: 300, levels: ["a": 30, "b": 10])
        changes += Self.run(&detector, from: 1300, for: 600, levels: ["a": 30, "b": 127])
        #expect(changes.isEmpty, "\(changes)")
        // b slightly louder (less than the margin): no switch either.
        changes = Self.run(&detector, from: 1900, for: 1200, levels: ["a": 30, "b": 27])
        #expect(changes.isEmpty, "\(changes)")
        // b clearly louder for long: b.
        changes = Self.run(&detector, from: 3100, for: 1200, levels: ["a": 40, "b": 20])
        #expect(changes.map(\.1) == ["b"])
        #expect(detector.speaker == "b")
        // Everyone silent: nobody.
        changes = Self.run(&detector, from: 4300, for: 1200, levels: ["a": 127, "b": 127])
        #expect(changes.map(\.1) == [nil])
        #expect(detector.speaker == nil)
    }

    @Test func aSilentSpeakerGivesWayAtOnceAndALeaverIsGone() {
        var detector = SFUActiveSpeakerDetector<String>()
        _ = Self.run(&detector, from: 0, for: 1000, levels: ["a": 30, "b": 127])
        #expect(detector.speaker == "a")
        // a falls silent and b speaks: b after the first whole window of it (at 1500 ms; two
        // windows would take until 1800 ms).
        let changes = Self.run(&detector, from: 1000, for: 900, levels: ["a": 127, "b": 35])
        #expect(changes.map(\.1) == ["b"])
        #expect(changes.first.map { $0.0 < 1600 } == true, "\(changes)")
        #expect(detector.remove("a") == nil, "a was not the speaker")
        let gone = detector.remove("b")
        #expect(gone == .some(nil))
        #expect(detector.speaker == nil)
    }
}
