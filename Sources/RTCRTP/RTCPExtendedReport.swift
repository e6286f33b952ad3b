import NIOCore

/// One DLRR sub-block (RFC 3611 §4.5).
public struct RTCPDLRRSubBlock: Hashable, Sendable {
    /// The receiver this sub-block answers.
    public var ssrc: UInt32
    /// Last RR: middle 32 bits of that receiver's last Receiver Reference Time (LRR).
    public var lastReceiverReport: UInt32
    /// Delay since that report in 1/65536 s (DLRR).
    public var delaySinceLastReceiverReport: UInt32

    /// Creates a sub-block (RFC 3611 §4.5).
    public init(ssrc: UInt32, lastReceiverReport: UInt32, delaySinceLastReceiverReport: UInt32) {
        self.ssrc = ssrc
        self.lastReceiverReport = lastReceiverReport
        self.delaySinceLastReceiverReport = delaySinceLastReceiverReport
    }
}

/// One XR report block (RFC 3611 §3, §4).
public enum RTCPExtendedReportBlock: Hashable, Sendable {
    /// Receiver Reference Time, BT 4: an NTP timestamp (RFC 3611 §4.4).
    case receiverReferenceTime(ntpTimestamp: UInt64)
    /// DLRR, BT 5 (RFC 3611 §4.5).
    case dlrr([RTCPDLRRSubBlock])
    /// Any other block type, kept raw: BT, type-specific byte and contents (a multiple of 4 bytes).
    case other(blockType: UInt8, typeSpecific: UInt8, contents: [UInt8])

    var contentLength: Int {
        switch self {
        case .receiverReferenceTime: return 8
        case .dlrr(let s): return 12 * s.count
        case .other(_, _, let c): return (c.count + 3) & ~3
        }
    }
}

/// Extended report, PT 207 (RFC 3611 §2).
public struct RTCPExtendedReport: Hashable, Sendable {
    /// RTCP packet type 207 (RFC 3611 §2).
    public static let packetType: UInt8 = 207
    /// SSRC of the packet sender.
    public var ssrc: UInt32
    /// The report blocks.
    public var blocks: [RTCPExtendedReportBlock]

    /// Creates an XR packet (RFC 3611 §2).
    public init(ssrc: UInt32, blocks: [RTCPExtendedReportBlock]) {
        self.ssrc = ssrc
        self.blocks = blocks
    }

    init(reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        ssrc = try r.u32("SSRC")
        blocks = []
        while r.remaining > 0 {
            let blockType = try r.u8("block type")
            let typeSpecific = try r.u8("type-specific byte")
            let length = Int(try r.u16("block length")) * 4
            guard length <= r.remaining else {
                throw r.fail("block type \(blockType) length \(length) exceeds the \(r.remaining) bytes left")
            }
            switch blockType {
            case 4:
                guard length == 8 else { throw r.fail("receiver reference time block of \(length) bytes, expected 8") }
                blocks.append(.receiverReferenceTime(ntpTimestamp: try r.u64("NTP timestamp")))
            case 5:
                guard length % 12 == 0 else { throw r.fail("DLRR block of \(length) bytes is not a multiple of 12") }
                var subs: [RTCPDLRRSubBlock] = []
                for _ in 0..<(length / 12) {
                    subs.append(RTCPDLRRSubBlock(ssrc: try r.u32("DLRR SSRC"), lastReceiverReport: try r.u32("LRR"),
                                                 delaySinceLastReceiverReport: try r.u32("DLRR")))
                }
                blocks.append(.dlrr(subs))
            default:
                blocks.append(.other(blockType: blockType, typeSpecific: typeSpecific, contents: try r.bytes(length, "block contents")))
            }
        }
    }

    var bodyLength: Int { 4 + blocks.reduce(0) { $0 + 4 + $1.contentLength } }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        for block in blocks {
            let words = UInt16(truncatingIfNeeded: block.contentLength / 4)
            switch block {
            case .receiverReferenceTime(let ntp):
                buffer.writeInteger(UInt8(4))
                buffer.writeInteger(UInt8(0))
                buffer.writeInteger(words)
                buffer.writeInteger(ntp)
            case .dlrr(let subs):
                buffer.writeInteger(UInt8(5))
                buffer.writeInteger(UInt8(0))
                buffer.writeInteger(words)
                for s in subs {
                    buffer.writeInteger(s.ssrc)
                    buffer.writeInteger(s.lastReceiverReport)
                    buffer.writeInteger(s.delaySinceLastReceiverReport)
                }
            case .other(let type, let specific, let contents):
                buffer.writeInteger(type)
                buffer.writeInteger(specific)
                buffer.writeInteger(words)
                buffer.writeAligned(contents)
            }
        }
    }
}
