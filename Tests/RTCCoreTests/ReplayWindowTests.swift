import Testing
import RTCCore

@Suite struct ReplayWindowTests {
    @Test func anEmptyWindowAcceptsAnything() {
        let window = ReplayWindow()
        #expect(window.highest == nil)
        #expect(window.check(0))
        #expect(window.check(UInt64.max))
    }

    @Test func refusesASequenceNumberAcceptedBefore() {
        var window = ReplayWindow()
        window.accept(10)
        #expect(!window.check(10))
        #expect(window.check(9))
        #expect(window.check(11))
        window.accept(9)
        #expect(!window.check(9))
        #expect(window.highest == 10)
    }

    @Test func checkingDoesNotMoveTheWindow() {
        var window = ReplayWindow()
        window.accept(5)
        #expect(window.check(500))
        #expect(window.highest == 5)
        #expect(window.check(4))
    }

    @Test func refusesNumbersAWindowWidthOrMoreBelowTheHighest() {
        var window = ReplayWindow(width: 64)
        window.accept(100)
        #expect(window.check(37))    // 63 below: still judged
        #expect(!window.check(36))   // 64 below: too old
        window.accept(36)            // ignored: outside the window
        window.accept(101)
        #expect(!window.check(37))   // now 64 below the highest
    }

    @Test func slidingForwardForgetsTheNumbersItSkipsOver() {
        var window = ReplayWindow(width: 64)
        for s: UInt64 in 0..<64 { window.accept(s) }
        #expect((0..<64).allSatisfy { !window.check($0) })
        window.accept(70)
        // 64…69 were never accepted; 7…63 were; 0…6 are now too old.
        #expect((64..<70).allSatisfy { window.check($0) })
        #expect((7..<64).allSatisfy { !window.check($0) })
        #expect((0..<7).allSatisfy { !window.check($0) })
    }

    @Test func aJumpBeyondTheWindowClearsIt() {
        var window = ReplayWindow(width: 64)
        window.accept(1)
        window.accept(2)
        window.accept(1_000)
        #expect(window.highest == 1_000)
        #expect(!window.check(1_000))
        #expect(window.check(999))
        #expect(window.check(937))
        #expect(!window.check(936))
    }

    @Test func widerWindowsThanOneWordWork() {
        var window = ReplayWindow(width: 1024)
        window.accept(2_000)
        #expect(window.check(977))    // 1023 below
        #expect(!window.check(976))   // 1024 below
        window.accept(1_000)
        window.accept(1_500)
        #expect(!window.check(1_000) && !window.check(1_500))
        window.accept(2_500)          // slides 500: 1_500 stays, 1_000 falls out of range
        #expect(!window.check(1_500))
        #expect(window.check(2_001) && window.check(2_499))
        #expect(!window.check(1_000))
    }

    @Test func oddWidthsRefuseExactlyAtTheirEdge() {
        var window = ReplayWindow(width: 100)
        window.accept(1_000)
        #expect(window.check(901))
        #expect(!window.check(900))
    }

    /// Compares the window with a set of accepted numbers on a seeded random walk.
    @Test(arguments: [1, 64, 65, 128, 300])
    func agreesWithAReferenceModel(width: Int) {
        var rng = SeededRandom(seed: UInt64(width))
        var window = ReplayWindow(width: width)
        var accepted = Set<UInt64>()
        var highest: UInt64?
        var base: UInt64 = 1 << 40
        for _ in 0..<5_000 {
            if rng.next() % 8 == 0 { base &+= rng.next() % UInt64(2 * width + 3) }
            let s = base &- (rng.next() % UInt64(width + 5)) &+ (rng.next() % 4)
            let expected: Bool
            if let h = highest, s <= h {
                expected = h - s < UInt64(width) && !accepted.contains(s)
            } else {
                expected = true
            }
            #expect(window.check(s) == expected)
            if expected {
                window.accept(s)
                accepted.insert(s)
                highest = max(highest ?? s, s)
            }
        }
    }
}
