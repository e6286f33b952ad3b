import Testing
import RTCCore

/// Hex text round-trips; a seeded generator repeats its sequence for the same seed only.
@Suite struct HexAndSeededRandomAreReproducibleTests {
    @Test func hexRoundTrips() {
        #expect(Hex.encode([0xde, 0xad, 0x01], separator: ":", uppercase: true) == "DE:AD:01")
        #expect(Hex.decode("DE:AD:01") == [0xde, 0xad, 0x01])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func seededRandomIsReproducible() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let x = a.bytes(37), y = b.bytes(37), z = c.bytes(37)
        #expect(x == y)
        #expect(x != z)
        #expect(x.count == 37)
    }
}
