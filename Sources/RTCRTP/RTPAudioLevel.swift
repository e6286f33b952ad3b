/// How loud an audio packet is, as the client-to-mixer audio level header extension carries it
/// (RFC 6464): a level in −dBov, from 0 (the loudest a signal can be) to 127 (silence), and the
/// sender's voice-activity flag. A mixer or an SFU uses it to find who is speaking without
/// decoding the audio.
public struct RTPAudioLevel: Hashable, Sendable, CustomStringConvertible {
    /// −dBov, 0 (loudest) … 127 (silence).
    public let level: UInt8
    /// Whether the sender judged the packet to contain speech.
    public let voiceActivity: Bool

    /// A level of `level` −dBov (values above 127 are taken as 127).
    public init(level: UInt8, voiceActivity: Bool) {
        self.level = min(level, 127)
        self.voiceActivity = voiceActivity
    }

    /// A level in dBov (0 or below; −12.5 dBov is 12 or 13 in the extension, rounded to the nearest).
    public init(dBov: Double, voiceActivity: Bool) {
        let magnitude = dBov.isNaN ? 127 : (-dBov).rounded()
        self.init(level: UInt8(max(0, min(127, magnitude))), voiceActivity: voiceActivity)
    }

    /// The level of 16-bit PCM samples (RFC 6464 §3: the root mean square over the packet,
    /// relative to the overload point — a full-scale square wave is 0 dBov). `voiceActivity`:
    /// what the app's voice-activity detection says; when nil, whether the level is
    /// `speechThreshold` −dBov or louder (a plain energy gate, not a real detector).
    public init(pcm samples: some Collection<Int16>, voiceActivity: Bool? = nil, speechThreshold: UInt8 = 50) {
        var sum = 0.0
        for sample in samples {
            let x = Double(sample) / 32768
            sum += x * x
        }
        let meanSquare = samples.isEmpty ? 0 : sum / Double(samples.count)
        // −10·log10(meanSquare), rounded: level k holds from 10^(−(k+½)/10) up to 10^(−(k−½)/10).
        var level: UInt8 = 0
        var boundary = 0.891_250_938_133_745_6  // 10^(−0.05)
        while level < 127, meanSquare < boundary {
            level += 1
            boundary *= 0.794_328_234_724_281_5  // 10^(−0.1)
        }
        self.init(level: level, voiceActivity: voiceActivity ?? (level <= speechThreshold))
    }

    /// Silence without voice activity (level 127), what a sender that measures nothing sends.
    public static let silence = RTPAudioLevel(level: 127, voiceActivity: false)

    /// The extension's one-byte value: the V bit, then the level (RFC 6464 §3).
    public var byte: UInt8 { (voiceActivity ? 0x80 : 0) | level }

    /// The level in the extension's byte.
    public init(byte: UInt8) {
        self.init(level: byte & 0x7F, voiceActivity: byte & 0x80 != 0)
    }

    /// `-42 dBov (voice)`.
    public var description: String { "-\(level) dBov\(voiceActivity ? " (voice)" : "")" }
}
