import NIOCore

/// The transport-wide sequence counter of draft-holmer-rmcat-transport-wide-cc-extensions-01
/// §2: one per transport (per BUNDLE group), shared by every send stream on it.
///
/// The session owns one value and passes it to each stream's
/// ``RTPSendStream/pollTransmit(stampingWith:)``, so numbers follow the order packets leave,
/// across streams, retransmissions included. A stream whose configuration names the extension
/// reserves its 2 bytes in every packet; the sequencer writes the number there in place.
public struct TransportWideSequencer: Hashable, Sendable {
    /// The number the next stamped packet gets; wraps from 65535 to 0.
    public private(set) var nextSequenceNumber: UInt16
    /// How many packets were stamped.
    public private(set) var stampedPackets: UInt64 = 0

    /// Creates a counter starting at `firstSequenceNumber` (libwebrtc starts at 1).
    public init(firstSequenceNumber: UInt16 = 1) {
        nextSequenceNumber = firstSequenceNumber
    }

    /// Writes the next number into `transmit` when it has a reserved slot, records it in
    /// ``RTPSendStreamTransmit/transportWideSequenceNumber`` and returns it; returns nil and
    /// leaves the transmit alone otherwise (RTCP, or a stream without the extension).
    @discardableResult
    public mutating func stamp(_ transmit: inout RTPSendStreamTransmit) -> UInt16? {
        guard transmit.kind == .rtp, let offset = transmit.transportWideSequenceNumberOffset,
              let number = stamp(&transmit.bytes, at: offset)
        else { return nil }
        transmit.transportWideSequenceNumber = number
        return number
    }

    /// Writes the next number big-endian at `offset` bytes after `buffer.readerIndex` and returns
    /// it; nil (and no number used) when the 2 bytes are not inside the readable bytes.
    public mutating func stamp(_ buffer: inout ByteBuffer, at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= buffer.readableBytes else { return nil }
        let number = nextSequenceNumber
        // One raw store (`setInteger` costs several checked buffer accesses).
        buffer.withUnsafeMutableReadableBytes { $0.storeBytes(of: number.bigEndian, toByteOffset: offset, as: UInt16.self) }
        nextSequenceNumber &+= 1
        stampedPackets += 1
        return number
    }
}
