import RTCCore

extension SeededRandom {
    /// Mutates `bytes` in `1...maxEdits` places, each an overwrite, a truncation or an inserted
    /// byte (what property tests feed parsers); an emptied buffer becomes `[whenEmpty]`. Written
    /// and inserted bytes are random, or drawn from `alphabet` half of the time when one is given
    /// (a parser's own punctuation reaches deeper than noise).
    public mutating func mutate(_ bytes: inout [UInt8], maxEdits: Int = 4, alphabet: [UInt8] = [], whenEmpty: UInt8 = 0) {
        if bytes.isEmpty { bytes = [whenEmpty] }
        for _ in 0..<(1 + Int(next() % UInt64(max(maxEdits, 1)))) {
            let pos = Int(next() % UInt64(bytes.count))
            switch next() % 3 {
            case 0: bytes[pos] = byte(from: alphabet)
            case 1: bytes.removeSubrange(pos...)
            default: bytes.insert(byte(from: alphabet), at: pos)
            }
            if bytes.isEmpty { bytes = [whenEmpty] }
        }
    }

    /// Inputs for a parser property test: `count` of them, every `noiseEvery`-th made by
    /// `noise`, the others a valid encoding made by `valid`, then `mutate`d (with `maxEdits`,
    /// `alphabet`, `whenEmpty`). Whatever a parser accepts among them must round-trip; the rest
    /// must fail with its typed error.
    public mutating func parserInputs(
        count: Int, noiseEvery: Int, maxEdits: Int = 4, alphabet: [UInt8] = [], whenEmpty: UInt8 = 0,
        noise: (inout SeededRandom) -> [UInt8], valid: (inout SeededRandom) throws -> [UInt8]
    ) rethrows -> [[UInt8]] {
        try (0..<count).map { i in
            if i % noiseEvery == 0 { return noise(&self) }
            var bytes = try valid(&self)
            mutate(&bytes, maxEdits: maxEdits, alphabet: alphabet, whenEmpty: whenEmpty)
            return bytes
        }
    }

    private mutating func byte(from alphabet: [UInt8]) -> UInt8 {
        if !alphabet.isEmpty, next() % 2 == 0 { return alphabet[Int(next() % UInt64(alphabet.count))] }
        return UInt8(truncatingIfNeeded: next())
    }
}
