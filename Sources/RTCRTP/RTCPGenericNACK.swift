import NIOCore

/// One Generic NACK FCI entry: a lost packet ID and a bitmask of the 16 following losses (RFC 4585 §6.2.1).
public struct RTCPNACKPair: Hashable, Sendable {
    /// Packet ID: the sequence number of a lost packet.
    public var packetID: UInt16
    /// Bitmask of following lost packets: bit i (LSB = 0) means `packetID + i + 1` is lost.
    public var lostBitmask: UInt16

    /// Creates an entry (RFC 4585 §6.2.1).
    public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
        self.packetID = packetID
        self.lostBitmask = lostBitmask
    }

    /// Every sequence number this entry reports lost, in order (RFC 4585 §6.2.1).
    public var lostSequenceNumbers: [UInt16] {
        var out = [packetID]
        for bit in 0..<16 where lostBitmask & (1 << bit) != 0 {
            out.append(packetID &+ UInt16(bit + 1))
        }
        return out
    }
}

/// Generic NACK, transport-layer feedback FMT 1 (RFC 4585 §6.2.1).
public struct RTCPGenericNACK: Hashable, Sendable {
    /// Feedback message type 1 (RFC 4585 §6.2.1).
    public static let format: UInt8 = 1
    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// SSRC of the media source the losses belong to.
    public var mediaSSRC: UInt32
    /// The FCI entries.
    public var pairs: [RTCPNACKPair]

    /// Creates a NACK from FCI entries (RFC 4585 §6.2.1).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, pairs: [RTCPNACKPair]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.pairs = pairs
    }

    /// Creates a NACK reporting `lost` sequence numbers (RFC 4585 §6.2.1), see `pairs(for:)`.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost: [UInt16]) {
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, pairs: Self.pairs(for: lost))
    }

    /// Every sequence number reported lost, in FCI order, duplicates removed (RFC 4585 §6.2.1).
    public var lostSequenceNumbers: [UInt16] {
        var seen = Set<UInt16>()
        return pairs.flatMap(\.lostSequenceNumbers).filter { seen.insert($0).inserted }
    }

    /// Packs lost sequence numbers into (PID, BLP) entries (RFC 4585 §6.2.1). Numbers are taken
    /// in the order given (pass them in sequence order, wrap-around allowed); a number within 16
    /// after the current entry's PID joins its bitmask, any other starts a new entry.
    public static func pairs(for lost: [UInt16]) -> [RTCPNACKPair] {
        var out: [RTCPNACKPair] = []
        for seq in lost {
            if var last = out.last {
                let distance = seq &- last.packetID
                if distance == 0 { continue }
                if distance <= 16 {
                    last.lostBitmask |= 1 << (distance - 1)
                    out[out.count - 1] = last
                    continue
                }
            }
            out.append(RTCPNACKPair(packetID: seq))
        }
        return out
    }

    /// Packs a set of lost sequence numbers into (PID, BLP) entries (RFC 4585 §6.2.1), ordering
    /// them around the 16-bit circle so that the run starts after the largest gap: {65534, 65535,
    /// 0, 1} is one entry with PID 65534.
    public static func pairs(for lost: Set<UInt16>) -> [RTCPNACKPair] {
        pairs(for: circularOrder(lost))
    }

    /// The numbers sorted, rotated to start just after the largest gap between neighbours on the
    /// 16-bit circle.
    static func circularOrder(_ numbers: Set<UInt16>) -> [UInt16] {
        let sorted = numbers.sorted()
        guard sorted.count > 1 else { return sorted }
        var start = 0
        var largest = Int(sorted[0]) + 65536 - Int(sorted[sorted.count - 1])  // wrap-around gap
        for i in 1..<sorted.count {
            let gap = Int(sorted[i]) - Int(sorted[i - 1])
            if gap > largest {
                largest = gap
                start = i
            }
        }
        return Array(sorted[start...] + sorted[..<start])
    }

    init(reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        senderSSRC = try r.u32("sender SSRC")
        mediaSSRC = try r.u32("media SSRC")
        pairs = []
        while r.remaining >= 4 {
            pairs.append(RTCPNACKPair(packetID: try r.u16("PID"), lostBitmask: try r.u16("BLP")))
        }
        if r.remaining != 0 { throw r.fail("trailing \(r.remaining) bytes after NACK entries") }
    }

    var bodyLength: Int { 8 + 4 * pairs.count }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        for pair in pairs {
            buffer.writeInteger(pair.packetID)
            buffer.writeInteger(pair.lostBitmask)
        }
    }
}
