import Foundation
import RTCRTP
import Testing

/// RFC 6464 levels: −dBov from the PCM's root mean square (a full-scale square wave is 0), the
/// extension byte, and the level range.
struct RTPAudioLevelMeasuresPCMTests {
    @Test func squareWavesAndSilence() {
        let fullScale = (0..<960).map { $0 % 2 == 0 ? Int16.max : Int16.min }
        #expect(RTPAudioLevel(pcm: fullScale).level == 0)
        // Half the amplitude is a quarter of the power: −6.02 dBov.
        let half = (0..<960).map { $0 % 2 == 0 ? Int16(16384) : Int16(-16384) }
        #expect(RTPAudioLevel(pcm: half).level == 6)
        // 1/100 of full scale: −40 dBov.
        let quiet = (0..<960).map { $0 % 2 == 0 ? Int16(328) : Int16(-328) }
        #expect(RTPAudioLevel(pcm: quiet).level == 40)
        #expect(RTPAudioLevel(pcm: [Int16](repeating: 0, count: 960)) == .silence)
        #expect(RTPAudioLevel(pcm: [Int16]()) == .silence)
    }

    @Test func aFullScaleSineIsThreeDecibelsDown() {
        let sine = (0..<4800).map { Int16((32767 * sin(Double($0) * 2 * .pi * 440 / 48000)).rounded()) }
        #expect(RTPAudioLevel(pcm: sine).level == 3)
    }

    @Test func voiceActivityIsTheAppsOrAnEnergyGate() {
        let loud = (0..<960).map { $0 % 2 == 0 ? Int16(3276) : Int16(-3276) }  // −20 dBov
        #expect(RTPAudioLevel(pcm: loud).voiceActivity)
        #expect(!RTPAudioLevel(pcm: loud, voiceActivity: false).voiceActivity)
        #expect(!RTPAudioLevel(pcm: loud, speechThreshold: 10).voiceActivity)
        let faint = (0..<960).map { $0 % 2 == 0 ? Int16(10) : Int16(-10) }  // −70 dBov
        #expect(!RTPAudioLevel(pcm: faint).voiceActivity)
        #expect(RTPAudioLevel(pcm: faint).level == 70)
    }

    @Test func decibelsAndTheExtensionByte() {
        #expect(RTPAudioLevel(dBov: -12.4, voiceActivity: true).level == 12)
        #expect(RTPAudioLevel(dBov: -12.6, voiceActivity: true).level == 13)
        #expect(RTPAudioLevel(dBov: 3, voiceActivity: true).level == 0)
        #expect(RTPAudioLevel(dBov: -200, voiceActivity: false).level == 127)
        #expect(RTPAudioLevel(dBov: .nan, voiceActivity: false).level == 127)
        #expect(RTPAudioLevel(level: 200, voiceActivity: false).level == 127)
        let level = RTPAudioLevel(level: 42, voiceActivity: true)
        #expect(level.byte == 0x80 | 42)
        #expect(RTPAudioLevel(byte: level.byte) == level)
        #expect(RTPAudioLevel(byte: 0x7F) == .silence)
        #expect("\(level)" == "-42 dBov (voice)")
    }
}
