import NIOCore

/// One reception report block of an SR or RR (RFC 3550 §6.4.1).
public struct RTCPReceptionReport: Hashable, Sendable {
    /// The source this block reports on (SSRC_n).
    public var ssrc: UInt32
    /// Fraction of packets lost since the last report, in 1/256 (RFC 3550 §6.4.1).
    public var fractionLost: UInt8
    /// Cumulative packets lost, a 24-bit signed value (RFC 3550 §6.4.1).
    public var cumulativeLost: Int32
    /// Extended highest sequence number received (RFC 3550 §6.4.1).
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in timestamp units (RFC 3550 §6.4.1).
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR from this source (LSR).
    public var lastSenderReport: UInt32
    /// Delay since that SR in 1/65536 s (DLSR).
    public var delaySinceLastSenderReport: UInt32

    /// Creates a report block (RFC 3550 §6.4.1); `cumulativeLost` is clamped to 24 bits signed.
    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequenceNumber: UInt32 = 0,
                jitter: UInt32 = 0, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = max(-0x80_0000, min(0x7F_FFFF, cumulativeLost))
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    static let size = 24

    static func parse(_ r: inout RTCPBodyReader) throws(RTCPParseError) -> RTCPReceptionReport {
        let ssrc = try r.u32("report block SSRC")
        let lost = try r.u32("report block loss")
        var cumulative = Int32(bitPattern: lost & 0x00FF_FFFF)
        if cumulative & 0x0080_0000 != 0 { cumulative |= Int32(bitPattern: 0xFF00_0000) }
        return RTCPReceptionReport(
            ssrc: ssrc, fractionLost: UInt8(lost >> 24), cumulativeLost: cumulative,
            extendedHighestSequenceNumber: try r.u32("extended highest sequence number"),
            jitter: try r.u32("jitter"), lastSenderReport: try r.u32("LSR"),
            delaySinceLastSenderReport: try r.u32("DLSR"))
    }

    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        buffer.writeInteger(UInt32(fractionLost) << 24 | (UInt32(bitPattern: cumulativeLost) & 0x00FF_FFFF))
        buffer.writeInteger(extendedHighestSequenceNumber)
        buffer.writeInteger(jitter)
        buffer.writeInteger(lastSenderReport)
        buffer.writeInteger(delaySinceLastSenderReport)
    }
}

/// Sender report, PT 200 (RFC 3550 §6.4.1).
public struct RTCPSenderReport: Hashable, Sendable {
    /// RTCP packet type 200 (RFC 3550 §12.1).
    public static let packetType: UInt8 = 200
    /// The sender's SSRC.
    public var ssrc: UInt32
    /// 64-bit NTP timestamp of this report (RFC 3550 §4).
    public var ntpTimestamp: UInt64
    /// RTP timestamp corresponding to `ntpTimestamp`.
    public var rtpTimestamp: UInt32
    /// Packets sent since the start of transmission.
    public var packetCount: UInt32
    /// Payload octets sent since the start of transmission.
    public var octetCount: UInt32
    /// Reception report blocks, at most 31 (RFC 3550 §6.4.1).
    public var reports: [RTCPReceptionReport]
    /// Profile-specific extension after the report blocks, kept raw; when not a multiple of 4 bytes
    /// the packet is completed with P-bit padding (RFC 3550 §6.4.1).
    public var profileExtension: [UInt8]

    /// Creates a sender report (RFC 3550 §6.4.1).
    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
                reports: [RTCPReceptionReport] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(count: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        ssrc = try r.u32("SSRC")
        ntpTimestamp = try r.u64("NTP timestamp")
        rtpTimestamp = try r.u32("RTP timestamp")
        packetCount = try r.u32("packet count")
        octetCount = try r.u32("octet count")
        reports = []
        guard r.remaining >= Int(count) * RTCPReceptionReport.size else {
            throw r.fail("\(count) report blocks need \(Int(count) * 24) bytes, have \(r.remaining)")
        }
        for _ in 0..<count { reports.append(try RTCPReceptionReport.parse(&r)) }
        profileExtension = r.rest()
    }

    var count: UInt8 { UInt8(min(reports.count, 31)) }
    var bodyLength: Int { 24 + Int(count) * RTCPReceptionReport.size + profileExtension.count }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        buffer.writeInteger(ntpTimestamp)
        buffer.writeInteger(rtpTimestamp)
        buffer.writeInteger(packetCount)
        buffer.writeInteger(octetCount)
        for report in reports.prefix(31) { report.write(into: &buffer) }
        buffer.writeBytes(profileExtension)
    }
}

/// Receiver report, PT 201 (RFC 3550 §6.4.2).
public struct RTCPReceiverReport: Hashable, Sendable {
    /// RTCP packet type 201 (RFC 3550 §12.1).
    public static let packetType: UInt8 = 201
    /// The reporter's SSRC.
    public var ssrc: UInt32
    /// Reception report blocks, at most 31 (RFC 3550 §6.4.2).
    public var reports: [RTCPReceptionReport]
    /// Profile-specific extension after the report blocks, kept raw (RFC 3550 §6.4.2).
    public var profileExtension: [UInt8]

    /// Creates a receiver report (RFC 3550 §6.4.2).
    public init(ssrc: UInt32, reports: [RTCPReceptionReport] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(count: UInt8, reader r: inout RTCPBodyReader) throws(RTCPParseError) {
        ssrc = try r.u32("SSRC")
        reports = []
        guard r.remaining >= Int(count) * RTCPReceptionReport.size else {
            throw r.fail("\(count) report blocks need \(Int(count) * 24) bytes, have \(r.remaining)")
        }
        for _ in 0..<count { reports.append(try RTCPReceptionReport.parse(&r)) }
        profileExtension = r.rest()
    }

    var count: UInt8 { UInt8(min(reports.count, 31)) }
    var bodyLength: Int { 4 + Int(count) * RTCPReceptionReport.size + profileExtension.count }

    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        for report in reports.prefix(31) { report.write(into: &buffer) }
        buffer.writeBytes(profileExtension)
    }
}
