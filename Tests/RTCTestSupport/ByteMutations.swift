import RTCCore

extension SeededRandom {
    /// `bytes` changed in 1…`maxEdits` places, each edit one of: overwrite a byte, cut
    /// everything from a position on, drop a byte, insert a byte. Written and inserted bytes are
    /// random, or drawn from `alphabet` half of the time when one is given (a parser's own
    /// punctuation reaches deeper than noise). An input cut to nothing becomes `whenEmpty`.
    /// The property tests feed such inputs to every parser (the fuzz targets' invariants).
    public mutating func mutated(_ bytes: [UInt8], maxEdits: Int = 4, alphabet: [UInt8] = [], whenEmpty: [UInt8] = [0]) -> [UInt8] {
        var bytes = bytes.isEmpty ? whenEmpty : bytes
        for _ in 0..<(1 + Int(next() % UInt64(max(1, maxEdits)))) {
            let pos = Int(next() % UInt64(bytes.count))
            switch next() % 4 {
            case 0: bytes[pos] = byte(from: alphabet)
            case 1: bytes.removeSubrange(pos...)
            case 2: bytes.remove(at: pos)
            default: bytes.insert(byte(from: alphabet), at: pos)
            }
            if bytes.isEmpty { bytes = whenEmpty }
        }
        return bytes
    }

    private mutating func byte(from alphabet: [UInt8]) -> UInt8 {
        if !alphabet.isEmpty, next() % 2 == 0 { return alphabet[Int(next() % UInt64(alphabet.count))] }
        return UInt8(truncatingIfNeeded: next())
    }
}

extension SeededRandom {
    /// Inputs for a parser property test: `count` of them, every `noiseEvery`-th made by
    /// `noise`, the others a valid encoding made by `valid` and then `mutated(…)` (with
    /// `maxEdits`, `alphabet`, `whenEmpty`). Whatever a parser accepts among them must
    /// round-trip; the rest must fail with its typed error.
    public mutating func parserInputs(
        count: Int, noiseEvery: Int, maxEdits: Int = 4, alphabet: [UInt8] = [], whenEmpty: [UInt8] = [0],
        noise: (inout SeededRandom) -> [UInt8], valid: (inout SeededRandom) throws -> [UInt8]
    ) rethrows -> [[UInt8]] {
        try (0..<count).map { i in
            i % noiseEvery == 0 ? noise(&self) : mutated(try valid(&self), maxEdits: maxEdits, alphabet: alphabet, whenEmpty: whenEmpty)
        }
    }
}
