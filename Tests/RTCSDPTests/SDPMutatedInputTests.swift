import Testing
import RTCCore
import RTCSDP

/// Deterministic mutations of the real fixtures: the parser never crashes, and whatever it
/// accepts round-trips (parse → serialize → parse gives an equal model; serialization is stable).
/// scripts/fuzz.sh runs the same invariants over millions of libFuzzer inputs (FuzzSDP).
@Suite struct SDPMutatedInputTests {
    static func mutate(_ bytes: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var b = bytes
        let alphabet = Array("=: /;,~\r\n0123456789av-mtcoxs\u{00}\u{FF}".utf8)
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            guard !b.isEmpty else { b.append(alphabet.randomElement(using: &rng)!); continue }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: b[i] = alphabet.randomElement(using: &rng)!
            case 1: b.remove(at: i)
            case 2: b.insert(alphabet.randomElement(using: &rng)!, at: i)
            case 3: b[i] = UInt8.random(in: 0...255, using: &rng)
            default:
                let j = Int.random(in: i..<min(b.count, i + 64), using: &rng)
                b.removeSubrange(i..<j)
            }
        }
        return b
    }

    @Test(arguments: SDPFixtures.sdpNames)
    func mutatedFixturesNeverCrashAndAcceptedOnesRoundTrip(name: String) throws {
        let original = Array(try SDPFixtures.text(name).utf8)
        var rng = SeededRandom(seed: UInt64(name.utf8.count) &* 0x9e37_79b9)
        var accepted = 0
        var rejected = 0
        for _ in 0..<400 {
            let text = String(decoding: Self.mutate(original, &rng), as: UTF8.self)
            let parsed: SDPDocument
            do {
                parsed = try SDPDocument(parsing: text)
            } catch {
                rejected += 1
                #expect(error.line >= 1)
                continue
            }
            accepted += 1
            // Only the mutated input may be rejected: what the parser accepted must serialize to
            // text it accepts again (a failure here is a serializer/parser mismatch, not a
            // rejected input).
            let out = parsed.serialized()
            do {
                let again = try SDPDocument(parsing: out)
                #expect(again == parsed)
                #expect(again.serialized() == out)
            } catch {
                Issue.record("accepted input serializes to text that does not parse (\(error)):\n\(out)")
            }
        }
        #expect(rejected > 0 && accepted > 0)
    }
}
