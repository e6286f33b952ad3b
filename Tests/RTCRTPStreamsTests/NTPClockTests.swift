import NIOCore
import RTCRTPStreams
import Testing

@Suite struct NTPClockTests {
    @Test func advancesWithMonotonicTime() {
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        let clock = NTPClock(reference: start, unixSeconds: 1_000_000_000.5)
        let atStart = clock.ntp(at: start)
        #expect(atStart >> 32 == 1_000_000_000 + 2_208_988_800)
        #expect(atStart & 0xFFFF_FFFF == 1 << 31)
        let later = clock.ntp(at: start + .milliseconds(1_500))
        #expect(later - atStart == 3 << 31)
        let earlier = clock.ntp(at: start - .seconds(1))
        #expect(atStart - earlier == 1 << 32)
    }

    @Test func compactFormRoundTripsDurations() {
        #expect(NTPClock.compact(0x1234_5678_9ABC_DEF0) == 0x5678_9ABC)
        #expect(NTPClock.duration(compactUnits: 65_536) == .seconds(1))
        #expect(NTPClock.duration(compactUnits: 32_768) == .milliseconds(500))
    }
}
