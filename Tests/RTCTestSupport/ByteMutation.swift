import RTCCore

extension SeededRandom {
    /// Mutates `bytes` in `1...maxEdits` places, each an overwrite, a truncation or an inserted
    /// byte (what property tests feed parsers); an emptied buffer becomes `[whenEmpty]`.
    public mutating func mutate(_ bytes: inout [UInt8], maxEdits: Int = 4, whenEmpty: UInt8 = 0) {
        if bytes.isEmpty { bytes = [whenEmpty] }
        for _ in 0..<(1 + Int(next() % UInt64(max(maxEdits, 1)))) {
            let pos = Int(next() % UInt64(bytes.count))
            switch next() % 3 {
            case 0: bytes[pos] = UInt8(truncatingIfNeeded: next())
            case 1: bytes.removeSubrange(pos...)
            default: bytes.insert(UInt8(truncatingIfNeeded: next()), at: pos)
            }
            if bytes.isEmpty { bytes = [whenEmpty] }
        }
    }
}
