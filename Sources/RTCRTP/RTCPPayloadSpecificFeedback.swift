import NIOCore

/// Picture Loss Indication, payload-specific feedback FMT 1 (RFC 4585 §6.3.1).
public struct RTCPPictureLossIndication: Hashable, Sendable {
    /// Feedback message type 1 (RFC 4585 §6.3.1).
    public static let format: UInt8 = 1
    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// SSRC of the media source whose picture was lost.
    public var mediaSSRC: UInt32

    /// Creates a PLI (RFC 4585 §6.3.1).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }
}

/// One FIR FCI entry (RFC 5104 §4.3.1.1).
public struct RTCPFIREntry: Hashable, Sendable {
    /// The media sender asked for a decoder refresh point.
    public var ssrc: UInt32
    /// Command sequence number, incremented per new request.
    public var sequenceNumber: UInt8

    /// Creates an entry (RFC 5104 §4.3.1.1).
    public init(ssrc: UInt32, sequenceNumber: UInt8) {
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }
}

/// Full Intra Request, payload-specific feedback FMT 4 (RFC 5104 §4.3.1).
public struct RTCPFullIntraRequest: Hashable, Sendable {
    /// Feedback message type 4 (RFC 5104 §4.3.1).
    public static let format: UInt8 = 4
    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// Media source SSRC; RFC 5104 §4.3.1.2 says it SHALL be 0.
    public var mediaSSRC: UInt32
    /// The requests, one per media sender.
    public var entries: [RTCPFIREntry]

    /// Creates a FIR (RFC 5104 §4.3.1).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [RTCPFIREntry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }
}

/// Receiver Estimated Maximum Bitrate, payload-specific feedback FMT 15 with the "REMB"
/// identifier (draft-alvestrand-rmcat-remb-03 §2.2).
public struct RTCPReceiverEstimatedMaximumBitrate: Hashable, Sendable {
    /// Feedback message type 15, application layer feedback (RFC 4585 §6.4).
    public static let format: UInt8 = 15
    /// The "REMB" unique identifier.
    public static let identifier: UInt32 = 0x5245_4D42
    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// 6-bit exponent of the bitrate.
    public var exponent: UInt8
    /// 18-bit mantissa of the bitrate.
    public var mantissa: UInt32
    /// The media sources this estimate applies to (at most 255).
    public var ssrcs: [UInt32]

    /// Creates a REMB with an explicit exponent and mantissa (draft-alvestrand-rmcat-remb-03 §2.2).
    public init(senderSSRC: UInt32, exponent: UInt8, mantissa: UInt32, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.exponent = exponent & 0x3F
        self.mantissa = mantissa & 0x3_FFFF
        self.ssrcs = ssrcs
    }

    /// Creates a REMB for `bitrate` bits/s, with the smallest exponent whose mantissa fits 18 bits
    /// (rounding down; draft-alvestrand-rmcat-remb-03 §2.2).
    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        var exponent: UInt8 = 0
        var mantissa = bitrate
        while mantissa > 0x3_FFFF && exponent < 63 {
            mantissa >>= 1
            exponent += 1
        }
        self.init(senderSSRC: senderSSRC, exponent: exponent, mantissa: UInt32(min(mantissa, 0x3_FFFF)), ssrcs: ssrcs)
    }

    /// The bitrate in bits/s, mantissa · 2^exponent, saturating at `UInt64.max`.
    public var bitrate: UInt64 {
        let (value, overflow) = UInt64(mantissa).multipliedReportingOverflow(by: 1 << UInt64(exponent & 0x3F))
        return overflow ? UInt64.max : value
    }
}

/// Payload-specific feedback messages, PT 206 (RFC 4585 §6.3, RFC 5104 §4.3).
public enum RTCPPayloadSpecificFeedback: Hashable, Sendable {
    /// Picture Loss Indication, FMT 1.
    case pictureLossIndication(RTCPPictureLossIndication)
    /// Full Intra Request, FMT 4.
    case fullIntraRequest(RTCPFullIntraRequest)
    /// REMB, FMT 15 with the "REMB" identifier.
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    /// Any other payload-specific feedback, kept raw.
    case other(RTCPFeedbackMessage)

    /// RTCP packet type 206 (RFC 4585 §6.1).
    public static let packetType: UInt8 = 206

    var format: UInt8 {
        switch self {
        case .pictureLossIndication: return RTCPPictureLossIndication.format
        case .fullIntraRequest: return RTCPFullIntraRequest.format
        case .receiverEstimatedMaximumBitrate: return RTCPReceiverEstimatedMaximumBitrate.format
        case .other(let m): return m.format
        }
    }

    init(format: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        switch format {
        case RTCPPictureLossIndication.format:
            let pli = RTCPPictureLossIndication(senderSSRC: try r.u32("sender SSRC"), mediaSSRC: try r.u32("media SSRC"))
            if r.remaining != 0 { throw r.fail("PLI carries \(r.remaining) FCI bytes, expected none") }
            self = .pictureLossIndication(pli)
        case RTCPFullIntraRequest.format:
            let sender = try r.u32("sender SSRC")
            let media = try r.u32("media SSRC")
            guard r.remaining % 8 == 0 else { throw r.fail("FIR FCI length \(r.remaining) is not a multiple of 8") }
            var entries: [RTCPFIREntry] = []
            while r.remaining > 0 {
                let ssrc = try r.u32("FIR SSRC")
                let seq = try r.u8("FIR sequence number")
                try r.skip(3, "FIR reserved")
                entries.append(RTCPFIREntry(ssrc: ssrc, sequenceNumber: seq))
            }
            self = .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: sender, mediaSSRC: media, entries: entries))
        case RTCPReceiverEstimatedMaximumBitrate.format
            where r.remaining >= 12 && r.buffer.getInteger(at: r.buffer.readerIndex + 8, as: UInt32.self) == RTCPReceiverEstimatedMaximumBitrate.identifier:
            let sender = try r.u32("sender SSRC")
            _ = try r.u32("media SSRC")
            _ = try r.u32("REMB identifier")
            let count = Int(try r.u8("REMB SSRC count"))
            let b = try r.u8("REMB exponent")
            let low = try r.u16("REMB mantissa")
            var ssrcs: [UInt32] = []
            for _ in 0..<count { ssrcs.append(try r.u32("REMB SSRC")) }
            if r.remaining != 0 { throw r.fail("trailing \(r.remaining) bytes after REMB SSRCs") }
            self = .receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(
                senderSSRC: sender, exponent: b >> 2, mantissa: UInt32(b & 0x03) << 16 | UInt32(low), ssrcs: ssrcs))
        default:
            self = .other(try RTCPFeedbackMessage(format: format, reader: &r))
        }
    }

    var bodyLength: Int {
        switch self {
        case .pictureLossIndication: return 8
        case .fullIntraRequest(let f): return 8 + 8 * f.entries.count
        case .receiverEstimatedMaximumBitrate(let m): return 16 + 4 * min(m.ssrcs.count, 255)
        case .other(let m): return m.bodyLength
        }
    }

    func writeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .pictureLossIndication(let p):
            buffer.writeInteger(p.senderSSRC)
            buffer.writeInteger(p.mediaSSRC)
        case .fullIntraRequest(let f):
            buffer.writeInteger(f.senderSSRC)
            buffer.writeInteger(f.mediaSSRC)
            for e in f.entries {
                buffer.writeInteger(e.ssrc)
                buffer.writeInteger(e.sequenceNumber)
                buffer.writeRepeatingByte(0, count: 3)
            }
        case .receiverEstimatedMaximumBitrate(let m):
            buffer.writeInteger(m.senderSSRC)
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(RTCPReceiverEstimatedMaximumBitrate.identifier)
            let ssrcs = m.ssrcs.prefix(255)
            buffer.writeInteger(UInt8(ssrcs.count))
            buffer.writeInteger((m.exponent & 0x3F) << 2 | UInt8((m.mantissa >> 16) & 0x03))
            buffer.writeInteger(UInt16(truncatingIfNeeded: m.mantissa))
            for s in ssrcs { buffer.writeInteger(s) }
        case .other(let m):
            m.writeBody(into: &buffer)
        }
    }
}

/// A feedback message this module does not decode: its FMT, SSRCs and raw FCI (RFC 4585 §6.1).
public struct RTCPFeedbackMessage: Hashable, Sendable {
    /// The 5-bit feedback message type.
    public var format: UInt8
    /// SSRC of the packet sender.
    public var senderSSRC: UInt32
    /// SSRC of the media source.
    public var mediaSSRC: UInt32
    /// Feedback control information; when not a multiple of 4 bytes the packet is completed with P-bit padding.
    public var fci: [UInt8]

    /// Creates a raw feedback message (RFC 4585 §6.1).
    public init(format: UInt8, senderSSRC: UInt32, mediaSSRC: UInt32, fci: [UInt8]) {
        self.format = format & 0x1F
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.fci = fci
    }

    init(format: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        self.format = format
        senderSSRC = try r.u32("sender SSRC")
        mediaSSRC = try r.u32("media SSRC")
        fci = r.rest()
    }

    var bodyLength: Int { 8 + fci.count }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        buffer.writeBytes(fci)
    }
}
