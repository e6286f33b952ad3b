import NIOCore

/// Transport-wide congestion control feedback, transport-layer feedback FMT 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
///
/// Parsed packets keep their packet status chunks exactly as sent, so they re-serialize
/// byte-exactly; `packets` decodes them into one status (and receive delta) per sequence
/// number. Build one from per-packet arrivals with `init(senderSSRC:mediaSSRC:baseSequenceNumber:referenceTime:feedbackPacketCount:packets:)`.
public struct RTCPTransportWideCC: Hashable, Sendable {
    /// Feedback message type 15 (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
    public static let format: UInt8 = 15
    /// Receive deltas count in units of 250 µs (§3.1.5).
    public static let deltaTickMicroseconds: Int64 = 250
    /// The reference time counts in units of 64 ms (§3.1).
    public static let referenceTimeTickMicroseconds: Int64 = 64_000

    /// A packet status symbol (§3.1.1).
    public enum Status: UInt8, Hashable, Sendable {
        /// 00: the packet was not received.
        case notReceived = 0
        /// 01: received, with a one-byte receive delta (0…63.75 ms).
        case receivedSmallDelta = 1
        /// 10: received, with a two-byte signed receive delta.
        case receivedLargeOrNegativeDelta = 2
    }

    /// A packet status chunk as sent on the wire (§3.1.3, §3.1.4).
    public enum Chunk: Hashable, Sendable {
        /// Run length chunk: `count` (0…8191) packets with the same status (§3.1.3).
        case runLength(Status, count: UInt16)
        /// Status vector chunk with 14 one-bit symbols (0 not received, 1 small delta) (§3.1.4).
        case oneBitVector([Status])
        /// Status vector chunk with 7 two-bit symbols (§3.1.4).
        case twoBitVector([Status])

        /// How many packet statuses this chunk describes.
        public var capacity: Int {
            switch self {
            case .runLength(_, let count): return Int(count)
            case .oneBitVector: return 14
            case .twoBitVector: return 7
            }
        }
    }

    /// What the feedback says about one sequence number (§3.1).
    public struct PacketResult: Hashable, Sendable {
        /// The transport-wide sequence number.
        public var sequenceNumber: UInt16
        /// The status symbol.
        public var status: Status
        /// Receive delta in 250 µs ticks relative to the previous received packet (or the
        /// reference time); nil when not received.
        public var delta: Int16?

        /// Creates a result (§3.1).
        public init(sequenceNumber: UInt16, status: Status, delta: Int16?) {
            self.sequenceNumber = sequenceNumber
            self.status = status
            self.delta = delta
        }
    }

    /// One packet's arrival, as given to the builder (§3.1).
    public enum Arrival: Hashable, Sendable {
        /// The packet was not received.
        case notReceived
        /// Received `deltaTicks` × 250 µs after the previous received packet (or the reference time).
        case received(deltaTicks: Int16)
    }

    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// SSRC of the media source (unused by TWCC; often the first media SSRC).
    public var mediaSSRC: UInt32
    /// Transport-wide sequence number of the first packet reported (§3.1).
    public var baseSequenceNumber: UInt16
    /// Number of packets this feedback reports (§3.1).
    public var packetStatusCount: UInt16
    /// Reference time, a 24-bit signed count of 64 ms (§3.1).
    public var referenceTime: Int32
    /// Feedback packet count, incremented per feedback sent (§3.1).
    public var feedbackPacketCount: UInt8
    /// The packet status chunks, as sent.
    public var chunks: [Chunk]
    /// Receive deltas of the received packets in order, in 250 µs ticks (§3.1.5).
    public var receiveDeltas: [Int16]

    /// Creates feedback from explicit chunks and deltas (§3.1); no consistency check.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, packetStatusCount: UInt16,
                referenceTime: Int32, feedbackPacketCount: UInt8, chunks: [Chunk], receiveDeltas: [Int16]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.packetStatusCount = packetStatusCount
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.chunks = chunks
        self.receiveDeltas = receiveDeltas
    }

    /// Builds feedback for `packets` consecutive sequence numbers from `baseSequenceNumber`
    /// (at most 65535), choosing run-length or status-vector chunks (§3.1.3, §3.1.4). A delta in
    /// 0…255 ticks is sent as a small delta, anything else as a large one.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
                feedbackPacketCount: UInt8, packets: [Arrival]) {
        let arrivals = packets.prefix(Int(UInt16.max))
        var statuses: [Status] = []
        var deltas: [Int16] = []
        statuses.reserveCapacity(arrivals.count)
        for arrival in arrivals {
            switch arrival {
            case .notReceived:
                statuses.append(.notReceived)
            case .received(let delta):
                statuses.append((0...255).contains(delta) ? .receivedSmallDelta : .receivedLargeOrNegativeDelta)
                deltas.append(delta)
            }
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: baseSequenceNumber,
                  packetStatusCount: UInt16(statuses.count), referenceTime: referenceTime,
                  feedbackPacketCount: feedbackPacketCount, chunks: Self.encodeChunks(statuses), receiveDeltas: deltas)
    }

    /// Builds feedback from receive times (draft-holmer-rmcat-transport-wide-cc-extensions-01
    /// §3.1): `arrivalTimesMicroseconds[i]` is when `baseSequenceNumber + i` arrived on the
    /// receiver's clock, or nil if it did not. The reference time is the first arrival rounded
    /// down to 64 ms; each delta is rounded to 250 µs against the times already reported, so
    /// rounding errors do not accumulate. Deltas beyond ±8.19 s are clamped.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, feedbackPacketCount: UInt8,
                arrivalTimesMicroseconds: [Int64?]) {
        let first = arrivalTimesMicroseconds.lazy.compactMap { $0 }.first ?? 0
        var reference = first / Self.referenceTimeTickMicroseconds
        if first < 0 && first % Self.referenceTimeTickMicroseconds != 0 { reference -= 1 }
        reference = max(-0x80_0000, min(0x7F_FFFF, reference))
        var reported = reference * Self.referenceTimeTickMicroseconds
        var arrivals: [Arrival] = []
        arrivals.reserveCapacity(arrivalTimesMicroseconds.count)
        for time in arrivalTimesMicroseconds {
            guard let time else {
                arrivals.append(.notReceived)
                continue
            }
            let difference = time.subtractingReportingOverflow(reported)
            let exact = difference.overflow ? (time < reported ? Int64.min : Int64.max) : difference.partialValue
            let rounded = exact >= 0 ? (exact / 2 + Self.deltaTickMicroseconds / 4) / (Self.deltaTickMicroseconds / 2)
                                     : -((-(exact / 2) + Self.deltaTickMicroseconds / 4) / (Self.deltaTickMicroseconds / 2))
            let ticks = Int16(max(Int64(Int16.min), min(Int64(Int16.max), rounded)))
            reported += Int64(ticks) * Self.deltaTickMicroseconds
            arrivals.append(.received(deltaTicks: ticks))
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: baseSequenceNumber,
                  referenceTime: Int32(reference), feedbackPacketCount: feedbackPacketCount, packets: arrivals)
    }

    /// Chooses chunks for `statuses`: a run of 14 or more equal statuses becomes a run-length
    /// chunk, else 14 statuses without a large delta become a one-bit vector, else 7 a two-bit vector.
    static func encodeChunks(_ statuses: [Status]) -> [Chunk] {
        var chunks: [Chunk] = []
        var i = 0
        while i < statuses.count {
            var run = 1
            while i + run < statuses.count && statuses[i + run] == statuses[i] && run < 8191 { run += 1 }
            let window = statuses[i..<min(i + 14, statuses.count)]
            let hasLarge = window.contains(.receivedLargeOrNegativeDelta)
            if run >= 14 || (hasLarge && run >= 7) || i + run == statuses.count && run > 1 {
                chunks.append(.runLength(statuses[i], count: UInt16(run)))
                i += run
            } else if !hasLarge {
                chunks.append(.oneBitVector(Array(window) + Array(repeating: .notReceived, count: 14 - window.count)))
                i += window.count
            } else {
                let seven = statuses[i..<min(i + 7, statuses.count)]
                chunks.append(.twoBitVector(Array(seven) + Array(repeating: .notReceived, count: 7 - seven.count)))
                i += seven.count
            }
        }
        return chunks
    }

    /// One result per reported sequence number, in order (§3.1).
    public var packets: [PacketResult] {
        var out: [PacketResult] = []
        out.reserveCapacity(Int(packetStatusCount))
        var deltaIndex = 0
        var seq = baseSequenceNumber
        outer: for chunk in chunks {
            let symbols: [Status]
            switch chunk {
            case .runLength(let status, let count):
                symbols = Array(repeating: status, count: min(Int(count), Int(packetStatusCount) - out.count))
            case .oneBitVector(let s), .twoBitVector(let s):
                symbols = s
            }
            for status in symbols {
                if out.count >= Int(packetStatusCount) { break outer }
                var delta: Int16? = nil
                if status != .notReceived {
                    delta = deltaIndex < receiveDeltas.count ? receiveDeltas[deltaIndex] : nil
                    deltaIndex += 1
                }
                out.append(PacketResult(sequenceNumber: seq, status: status, delta: delta))
                seq &+= 1
            }
        }
        return out
    }

    /// Arrival time of each received packet in microseconds on the receiver's clock
    /// (reference time plus the running sum of deltas; §3.1.5), keyed by sequence number.
    public var arrivalTimesMicroseconds: [UInt16: Int64] {
        var time = Int64(referenceTime) * Self.referenceTimeTickMicroseconds
        var out: [UInt16: Int64] = [:]
        for result in packets {
            guard let delta = result.delta else { continue }
            time += Int64(delta) * Self.deltaTickMicroseconds
            out[result.sequenceNumber] = time
        }
        return out
    }

    init(reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        senderSSRC = try r.u32("sender SSRC")
        mediaSSRC = try r.u32("media SSRC")
        baseSequenceNumber = try r.u16("base sequence number")
        packetStatusCount = try r.u16("packet status count")
        let word = try r.u32("reference time")
        var reference = Int32(bitPattern: word >> 8)
        if reference & 0x80_0000 != 0 { reference |= Int32(bitPattern: 0xFF00_0000) }
        referenceTime = reference
        feedbackPacketCount = UInt8(word & 0xFF)
        chunks = []
        var described = 0
        var small = 0
        var large = 0
        let count = Int(packetStatusCount)
        while described < count {
            let raw = try r.u16("packet status chunk")
            let chunk: Chunk
            var symbols: [Status] = []
            if raw & 0x8000 == 0 {
                let bits = UInt8((raw >> 13) & 0x03)
                guard let status = Status(rawValue: bits) else { throw r.fail("run length chunk with reserved status 3") }
                let run = Int(raw & 0x1FFF)
                let used = min(run, count - described)
                if status == .receivedSmallDelta { small += used } else if status == .receivedLargeOrNegativeDelta { large += used }
                described += used
                chunk = .runLength(status, count: UInt16(run))
            } else if raw & 0x4000 == 0 {
                for bit in stride(from: 13, through: 0, by: -1) {
                    symbols.append((raw >> UInt16(bit)) & 1 == 1 ? .receivedSmallDelta : .notReceived)
                }
                chunk = .oneBitVector(symbols)
            } else {
                for pair in stride(from: 12, through: 0, by: -2) {
                    let bits = UInt8((raw >> UInt16(pair)) & 0x03)
                    guard let status = Status(rawValue: bits) else {
                        if described + symbols.count < count { throw r.fail("status vector with reserved symbol 3") }
                        symbols.append(.notReceived)  // beyond the count: ignored, kept as 00
                        continue
                    }
                    symbols.append(status)
                }
                chunk = .twoBitVector(symbols)
            }
            if raw & 0x8000 != 0 {
                for status in symbols.prefix(count - described) {
                    if status == .receivedSmallDelta { small += 1 } else if status == .receivedLargeOrNegativeDelta { large += 1 }
                }
                described += min(symbols.count, count - described)
            }
            chunks.append(chunk)
        }
        receiveDeltas = []
        receiveDeltas.reserveCapacity(small + large)
        for result in Self.statusSequence(chunks: chunks, count: count) where result != .notReceived {
            if result == .receivedSmallDelta {
                receiveDeltas.append(Int16(try r.u8("small receive delta")))
            } else {
                receiveDeltas.append(Int16(bitPattern: try r.u16("large receive delta")))
            }
        }
        // Anything left is alignment (zeros up to 32 bits); the P-bit padding was already removed.
        if r.remaining > 3 { throw r.fail("\(r.remaining) bytes after the receive deltas") }
    }

    static func statusSequence(chunks: [Chunk], count: Int) -> [Status] {
        var out: [Status] = []
        out.reserveCapacity(count)
        for chunk in chunks {
            switch chunk {
            case .runLength(let status, let run):
                out.append(contentsOf: repeatElement(status, count: min(Int(run), count - out.count)))
            case .oneBitVector(let s), .twoBitVector(let s):
                out.append(contentsOf: s.prefix(count - out.count))
            }
            if out.count >= count { break }
        }
        return out
    }

    /// Body bytes before alignment: header fields, chunks and deltas (§3.1).
    var unpaddedBodyLength: Int {
        var size = 16 + 2 * chunks.count
        for status in Self.statusSequence(chunks: chunks, count: Int(packetStatusCount)) {
            if status == .receivedSmallDelta { size += 1 } else if status == .receivedLargeOrNegativeDelta { size += 2 }
        }
        return size
    }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        buffer.writeInteger(baseSequenceNumber)
        buffer.writeInteger(packetStatusCount)
        buffer.writeInteger(UInt32(bitPattern: referenceTime) << 8 | UInt32(feedbackPacketCount))
        for chunk in chunks {
            switch chunk {
            case .runLength(let status, let count):
                buffer.writeInteger(UInt16(status.rawValue) << 13 | (count & 0x1FFF))
            case .oneBitVector(let symbols):
                var raw: UInt16 = 0x8000
                for (i, s) in symbols.prefix(14).enumerated() where s != .notReceived {
                    raw |= 1 << UInt16(13 - i)
                }
                buffer.writeInteger(raw)
            case .twoBitVector(let symbols):
                var raw: UInt16 = 0xC000
                for (i, s) in symbols.prefix(7).enumerated() {
                    raw |= UInt16(s.rawValue) << UInt16(12 - 2 * i)
                }
                buffer.writeInteger(raw)
            }
        }
        var deltaIndex = 0
        for status in Self.statusSequence(chunks: chunks, count: Int(packetStatusCount)) where status != .notReceived {
            let delta = deltaIndex < receiveDeltas.count ? receiveDeltas[deltaIndex] : 0
            deltaIndex += 1
            if status == .receivedSmallDelta {
                buffer.writeInteger(UInt8(truncatingIfNeeded: delta))
            } else {
                buffer.writeInteger(UInt16(bitPattern: delta))
            }
        }
    }
}
