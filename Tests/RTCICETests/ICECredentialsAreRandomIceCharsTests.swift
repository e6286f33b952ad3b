import RTCCore
import RTCICE
import Testing

/// Fresh ICE credentials (RFC 8445 §5.3, RFC 8839 §5.4): an 8-character ufrag and a 24-character
/// password of ice-chars, six random bits per character, ten characters per 64-bit draw — so a
/// credential pair costs four draws of the generator (with the system generator, four system
/// calls instead of one per character).
@Suite struct ICECredentialsAreRandomIceCharsTests {
    /// Counts the draws of a seeded generator.
    struct CountingRandom: RandomNumberGenerator {
        var inner = SeededRandom(seed: 11)
        var draws = 0
        mutating func next() -> UInt64 {
            draws += 1
            return inner.next()
        }
    }

    @Test func eightAndTwentyFourIceCharsFromFourDraws() {
        let iceChars = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var rng = CountingRandom()
        var seen = Set<Character>()
        var ufrags = Set<String>()
        for n in 1...200 {
            let credentials = ICECredentials.random(using: &rng)
            #expect(credentials.ufrag.count == 8 && credentials.password.count == 24)
            #expect(credentials.ufrag.allSatisfy(iceChars.contains) && credentials.password.allSatisfy(iceChars.contains))
            #expect(rng.draws == 4 * n)
            seen.formUnion(credentials.ufrag)
            seen.formUnion(credentials.password)
            ufrags.insert(credentials.ufrag)
        }
        // Every one of the 64 characters turns up in 6,400 of them, and no ufrag repeats.
        #expect(seen == iceChars)
        #expect(ufrags.count == 200)
    }

    /// Each character is six bits of its draw, lowest first: a draw of all ones gives "/" (63)
    /// everywhere, a draw of zero gives "A" (0), and 0b000001_000010 gives "CB" then "A"s.
    @Test func eachCharacterIsSixBitsOfADraw() {
        struct Fixed: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        var ones = Fixed(values: [.max, .max, .max, .max])
        let all = ICECredentials.random(using: &ones)
        #expect(all.ufrag == "////////" && all.password == String(repeating: "/", count: 24))
        var small = Fixed(values: [0b000001_000010, 0, 0, 0])
        let credentials = ICECredentials.random(using: &small)
        #expect(credentials.ufrag == "CBAAAAAA")
        #expect(credentials.password == String(repeating: "A", count: 24))
    }
}
