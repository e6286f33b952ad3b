import NIOCore
import RTCRTP

/// The packets a send stream sent recently, kept so that a Generic NACK (RFC 4585 §6.2.1) can be
/// answered: with an RTX packet (RFC 4588 §4) when RTX is negotiated, with the packet as it was
/// sent otherwise.
///
/// The cache holds at most `capacity` packets, indexed by their extended sequence number in a
/// ring, and forgets any packet older than `maximumAge`. It refuses to resend a packet that it
/// resent less than a round-trip time ago (or `intervalWithoutRTT` while the round-trip time is
/// unknown), so a burst of NACKs for one loss costs one retransmission per round trip.
///
/// Packets are kept as the serialized bytes the stream sent (a reference to the buffer, not a
/// copy).
public struct RTPRetransmissionCache: Sendable {
    /// What the cache did with NACKed sequence numbers.
    public struct Statistics: Hashable, Sendable {
        /// Sequence numbers asked for.
        public var requested: UInt64 = 0
        /// Retransmissions produced.
        public var retransmittedPackets: UInt64 = 0
        /// Bytes of the retransmissions produced (whole packets).
        public var retransmittedBytes: UInt64 = 0
        /// Requests for packets no longer (or never) cached.
        public var notCached: UInt64 = 0
        /// Requests refused because the packet was resent less than a round trip ago.
        public var suppressed: UInt64 = 0

        /// All counters zero.
        public init() {}
    }

    /// What a lookup found.
    public enum Lookup: Hashable, Sendable {
        /// The packet as it was sent.
        case cached(ByteBuffer)
        /// The packet was never cached, was overwritten, or is older than the maximum age.
        case notCached
        /// The packet was resent less than the minimum interval ago.
        case tooSoon
    }

    private struct Entry: Sendable {
        var extendedSequenceNumber: Int64
        var packet: ByteBuffer
        var storedAt: NIODeadline
        var lastResentAt: NIODeadline?
    }

    /// The most packets kept.
    public let capacity: Int
    /// How long a packet stays retransmittable.
    public let maximumAge: TimeAmount
    /// The RTX stream, or nil for plain retransmission.
    public let rtx: RTPSendStreamConfiguration.Retransmission?
    /// The shortest time between two resends of one packet while the round-trip time is unknown.
    public let intervalWithoutRTT: TimeAmount
    /// The sequence number of the next RTX packet (RFC 4588 §4: one higher per RTX packet).
    public private(set) var nextRTXSequenceNumber: UInt16
    /// What happened to NACKed sequence numbers so far.
    public private(set) var statistics = Statistics()

    private var entries: [Entry?]
    private var newest: Int64?

    /// Creates an empty cache of at most `capacity` packets (1 to 32 768), each retransmittable
    /// for `maximumAge`; `rtx` selects RTX packets numbered from `firstRTXSequenceNumber`.
    public init(capacity: Int, maximumAge: TimeAmount, rtx: RTPSendStreamConfiguration.Retransmission? = nil,
                firstRTXSequenceNumber: UInt16 = 0, intervalWithoutRTT: TimeAmount = .milliseconds(100)) {
        self.capacity = min(max(1, capacity), 32_768)
        self.maximumAge = maximumAge
        self.rtx = rtx
        self.nextRTXSequenceNumber = firstRTXSequenceNumber
        self.intervalWithoutRTT = intervalWithoutRTT
        self.entries = Array(repeating: nil, count: self.capacity)
    }

    /// Keeps a sent RTP packet (its serialized bytes, sequence number read from them). Packets
    /// come in send order; one older than the whole ring, or shorter than an RTP header, is not
    /// kept.
    public mutating func store(_ packet: ByteBuffer, now: NIODeadline) {
        guard packet.readableBytes >= 12,
              let sequenceNumber = packet.getInteger(at: packet.readerIndex + 2, as: UInt16.self)
        else { return }
        let extended: Int64
        if let newest {
            extended = newest + Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: newest)))
            guard extended > newest - Int64(capacity) else { return }
            self.newest = max(newest, extended)
        } else {
            extended = Int64(sequenceNumber) + 65_536
            newest = extended
        }
        entries[slot(extended)] = Entry(extendedSequenceNumber: extended, packet: packet, storedAt: now, lastResentAt: nil)
    }

    /// How many packets are cached and younger than the maximum age at `now`.
    public func count(now: NIODeadline) -> Int {
        entries.reduce(0) { $0 + ($1.map { now - $0.storedAt <= maximumAge } == true ? 1 : 0) }
    }

    /// Whether the packet with `sequenceNumber` is cached and younger than the maximum age.
    public func contains(_ sequenceNumber: UInt16, now: NIODeadline) -> Bool {
        guard let index = index(of: sequenceNumber), let entry = entries[index] else { return false }
        return now - entry.storedAt <= maximumAge
    }

    /// Looks up the packet with `sequenceNumber` for a resend at `now`, refusing one resent less
    /// than `minimumInterval` ago; a found packet is marked resent at `now`. Counts nothing.
    public mutating func lookup(_ sequenceNumber: UInt16, now: NIODeadline, minimumInterval: TimeAmount) -> Lookup {
        guard let index = index(of: sequenceNumber), var entry = entries[index] else { return .notCached }
        guard now - entry.storedAt <= maximumAge else {
            entries[index] = nil
            return .notCached
        }
        if let last = entry.lastResentAt, now - last < minimumInterval { return .tooSoon }
        entry.lastResentAt = now
        entries[index] = entry
        return .cached(entry.packet)
    }

    /// Answers a Generic NACK (RFC 4585 §6.2.1) at `now`: for every sequence number it lists
    /// (duplicates once), the packet to send — an RTX packet when RTX is configured, the cached
    /// packet otherwise. Packets not cached and packets resent less than `roundTripTime` (or
    /// ``intervalWithoutRTT``) ago are skipped and counted in ``statistics``. The NACK's SSRCs
    /// are not checked here; the stream does that.
    public mutating func retransmissions(for nack: RTCPGenericNACK, now: NIODeadline,
                                         roundTripTime: TimeAmount?) -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        for packet in found(for: nack, now: now, roundTripTime: roundTripTime) {
            var resend = packet
            if rtx != nil {
                guard let wrapped = nextRTXPacket(wrapping: packet) else {
                    statistics.notCached += 1
                    continue
                }
                resend = wrapped
            }
            statistics.retransmittedPackets += 1
            statistics.retransmittedBytes += UInt64(resend.readableBytes)
            out.append(resend)
        }
        return out
    }

    /// The cached packets a Generic NACK asks for, as they were stored (no RTX wrapping), with
    /// the same rules and counters as ``retransmissions(for:now:roundTripTime:)``: for a cache of
    /// SRTP-protected packets, whose owner unprotects one before ``nextRTXPacket(wrapping:)``.
    /// ``Statistics/retransmittedBytes`` counts the stored packets' sizes.
    public mutating func cachedPackets(for nack: RTCPGenericNACK, now: NIODeadline,
                                       roundTripTime: TimeAmount?) -> [ByteBuffer] {
        let out = found(for: nack, now: now, roundTripTime: roundTripTime)
        for packet in out {
            statistics.retransmittedPackets += 1
            statistics.retransmittedBytes += UInt64(packet.readableBytes)
        }
        return out
    }

    /// The cached packets `nack` asks for, counting the requests, misses and suppressions.
    private mutating func found(for nack: RTCPGenericNACK, now: NIODeadline, roundTripTime: TimeAmount?) -> [ByteBuffer] {
        let interval = roundTripTime.map { max($0, .milliseconds(5)) } ?? intervalWithoutRTT
        var out: [ByteBuffer] = []
        for sequenceNumber in nack.lostSequenceNumbers {
            statistics.requested += 1
            switch lookup(sequenceNumber, now: now, minimumInterval: interval) {
            case .notCached:
                statistics.notCached += 1
            case .tooSoon:
                statistics.suppressed += 1
            case .cached(let packet):
                out.append(packet)
            }
        }
        return out
    }

    /// The RTX packet (RFC 4588 §4) for the plain RTP packet `original`, numbered with the next
    /// RTX sequence number; nil when RTX is not configured or `original` is not well-formed
    /// (no number is used then).
    public mutating func nextRTXPacket(wrapping original: ByteBuffer) -> ByteBuffer? {
        guard let rtx, let wrapped = Self.rtxPacket(from: original, rtx: rtx, sequenceNumber: nextRTXSequenceNumber) else {
            return nil
        }
        nextRTXSequenceNumber &+= 1
        return wrapped
    }

    /// Builds the RTX packet of RFC 4588 §4 for `original`: the same header (marker, timestamp,
    /// CSRCs, header extensions) with the RTX payload type, SSRC and `sequenceNumber`, then the
    /// original sequence number (OSN) and the original payload; the original's padding is
    /// removed. Nil when `original` is not a well-formed RTP packet.
    public static func rtxPacket(from original: ByteBuffer, rtx: RTPSendStreamConfiguration.Retransmission,
                                 sequenceNumber: UInt16) -> ByteBuffer? {
        guard let (headerLength, paddingLength) = layout(of: original),
              let b0 = original.getInteger(at: original.readerIndex, as: UInt8.self),
              let b1 = original.getInteger(at: original.readerIndex + 1, as: UInt8.self),
              let originalSequenceNumber = original.getInteger(at: original.readerIndex + 2, as: UInt16.self),
              let header = original.getSlice(at: original.readerIndex, length: headerLength),
              let payload = original.getSlice(at: original.readerIndex + headerLength,
                                              length: original.readableBytes - headerLength - paddingLength)
        else { return nil }
        var out = ByteBuffer()
        out.reserveCapacity(original.readableBytes + 2)
        out.writeImmutableBuffer(header)
        out.setInteger(b0 & ~0x20, at: 0)  // no padding (RFC 4588 §4)
        out.setInteger((b1 & 0x80) | rtx.payloadType, at: 1)
        out.setInteger(sequenceNumber, at: 2)
        out.setInteger(rtx.ssrc, at: 8)
        out.writeInteger(originalSequenceNumber)
        out.writeImmutableBuffer(payload)
        return out
    }

    /// Header length (fixed header, CSRCs, extension) and padding length of an RTP packet, or nil
    /// when they do not fit in it (RFC 3550 §5.1, §5.3.1).
    static func layout(of packet: ByteBuffer) -> (header: Int, padding: Int)? {
        let base = packet.readerIndex
        let length = packet.readableBytes
        guard length >= 12, let b0 = packet.getInteger(at: base, as: UInt8.self), b0 >> 6 == 2 else { return nil }
        var header = 12 + 4 * Int(b0 & 0x0F)
        if b0 & 0x10 != 0 {
            guard let words = packet.getInteger(at: base + header + 2, as: UInt16.self), header + 4 <= length else { return nil }
            header += 4 + 4 * Int(words)
        }
        var padding = 0
        if b0 & 0x20 != 0 {
            padding = Int(packet.getInteger(at: base + length - 1, as: UInt8.self) ?? 0)
        }
        guard header + padding <= length else { return nil }
        return (header, padding)
    }

    private func slot(_ extended: Int64) -> Int {
        Int(extended % Int64(capacity))
    }

    /// The ring index holding `sequenceNumber`, when it is within the ring's window.
    private func index(of sequenceNumber: UInt16) -> Int? {
        guard let newest else { return nil }
        let extended = newest + Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: newest)))
        guard extended <= newest, extended > newest - Int64(capacity) else { return nil }
        let index = slot(extended)
        guard entries[index]?.extendedSequenceNumber == extended else { return nil }
        return index
    }
}
