import NIOCore

/// SACK chunk: cumulative TSN ack, receiver window, gap ack blocks and duplicate TSNs. RFC 9260 §3.3.4.
public struct SelectiveAckChunk: Equatable, Sendable {
    /// A gap ack block: TSNs `cumulativeTSNAck + start ... cumulativeTSNAck + end` were received.
    public struct GapAckBlock: Equatable, Sendable {
        /// Offset of the first TSN of the block from the cumulative TSN ack.
        public var start: UInt16
        /// Offset of the last TSN of the block from the cumulative TSN ack.
        public var end: UInt16
        /// Creates a block.
        public init(start: UInt16, end: UInt16) {
            self.start = start
            self.end = end
        }
    }

    /// Cumulative TSN Ack.
    public var cumulativeTSNAck: UInt32
    /// Advertised Receiver Window Credit (a_rwnd).
    public var advertisedReceiverWindowCredit: UInt32
    /// Gap Ack Blocks, in ascending order.
    public var gapAckBlocks: [GapAckBlock]
    /// Duplicate TSNs received since the last SACK.
    public var duplicateTSNs: [UInt32]

    /// Creates a SACK.
    public init(cumulativeTSNAck: UInt32, advertisedReceiverWindowCredit: UInt32,
                gapAckBlocks: [GapAckBlock] = [], duplicateTSNs: [UInt32] = []) {
        self.cumulativeTSNAck = cumulativeTSNAck
        self.advertisedReceiverWindowCredit = advertisedReceiverWindowCredit
        self.gapAckBlocks = gapAckBlocks
        self.duplicateTSNs = duplicateTSNs
    }

    /// Decodes the chunk value. RFC 9260 §3.3.4.
    public init(value: ByteBuffer) throws(SCTPParseError) {
        guard value.readableBytes >= 12 else {
            throw .chunkTooShort(type: SCTPChunkType.sack, length: value.readableBytes + 4, minimum: 16)
        }
        let r = value.readerIndex
        cumulativeTSNAck = value.getInteger(at: r)!
        advertisedReceiverWindowCredit = value.getInteger(at: r + 4)!
        let gaps = Int(value.getInteger(at: r + 8, as: UInt16.self)!)
        let dups = Int(value.getInteger(at: r + 10, as: UInt16.self)!)
        guard 12 + gaps * 4 + dups * 4 <= value.readableBytes else {
            throw .invalidField(chunk: SCTPChunkType.sack, field: "gap/duplicate counts exceed chunk length")
        }
        var blocks: [GapAckBlock] = []
        blocks.reserveCapacity(gaps)
        var o = r + 12
        for _ in 0..<gaps {
            blocks.append(GapAckBlock(start: value.getInteger(at: o)!, end: value.getInteger(at: o + 2)!))
            o += 4
        }
        var d: [UInt32] = []
        d.reserveCapacity(dups)
        for _ in 0..<dups {
            d.append(value.getInteger(at: o)!)
            o += 4
        }
        gapAckBlocks = blocks
        duplicateTSNs = d
    }

    /// Writes the chunk. RFC 9260 §3.3.4.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeChunk(type: SCTPChunkType.sack, flags: 0, to: &buffer) { b in
            // One write for the fixed fields (each `writeInteger` is a separate bounds-checked copy).
            b.writeMultipleIntegers(cumulativeTSNAck, advertisedReceiverWindowCredit,
                                    UInt16(truncatingIfNeeded: gapAckBlocks.count), UInt16(truncatingIfNeeded: duplicateTSNs.count))
            for g in gapAckBlocks { b.writeMultipleIntegers(g.start, g.end) }
            for d in duplicateTSNs { b.writeInteger(d) }
        }
    }
}
