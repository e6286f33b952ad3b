import NIOCore

/// Counters of a ``RTPSendStream``, in the spirit of the W3C `RTCOutboundRtpStreamStats` and
/// `RTCRemoteInboundRtpStreamStats`.
public struct RTPSendStreamStatistics: Hashable, Sendable {
    /// Original RTP packets sent (retransmissions not included); the SR packet count.
    public var packetsSent: UInt64 = 0
    /// Payload octets of the original packets; the SR octet count (RFC 3550 §6.4.1).
    public var payloadBytesSent: UInt64 = 0
    /// Whole original packets' bytes, headers included (before SRTP).
    public var bytesSent: UInt64 = 0
    /// Frames handed to ``RTPSendStream/sendFrame(_:format:captureTime:marker:audioLevel:now:)``.
    public var framesSent: UInt64 = 0
    /// Retransmissions sent (RTX or plain).
    public var retransmittedPacketsSent: UInt64 = 0
    /// Whole retransmitted packets' bytes, headers (and RTX OSN) included.
    public var retransmittedBytesSent: UInt64 = 0
    /// Generic NACK messages received for this stream (RFC 4585 §6.2.1).
    public var nacksReceived: UInt64 = 0
    /// Sequence numbers those NACKs asked for.
    public var nackedPackets: UInt64 = 0
    /// NACKed packets that were no longer (or never) in the retransmission cache.
    public var nackedPacketsNotCached: UInt64 = 0
    /// NACKed packets not resent because they were resent less than a round trip ago.
    public var retransmissionsSuppressed: UInt64 = 0
    /// PLIs received for this stream (RFC 4585 §6.3.1).
    public var plisReceived: UInt64 = 0
    /// FIR entries received for this stream, duplicates included (RFC 5104 §4.3.1).
    public var firsReceived: UInt64 = 0
    /// FIR entries that repeated the previous sequence number of their sender, so raised no event.
    public var duplicateFIRs: UInt64 = 0
    /// Sender reports sent.
    public var senderReportsSent: UInt64 = 0
    /// Reception report blocks about this stream received.
    public var receptionReportsReceived: UInt64 = 0
    /// The latest round-trip time from a reception report.
    public var roundTripTime: TimeAmount?
    /// The sum of every round-trip time measured from reception reports.
    public var totalRoundTripTime: TimeAmount = .zero
    /// How many reception reports gave a round-trip time.
    public var roundTripTimeMeasurements: UInt64 = 0
    /// The latest remote fraction lost, in 1/256.
    public var remoteFractionLost: UInt8?
    /// The latest remote cumulative loss.
    public var remoteCumulativeLost: Int32?
    /// The latest remote interarrival jitter, in RTP timestamp units.
    public var remoteJitter: UInt32?
    /// RTCP packets given to the stream that were not about it (other SSRCs, other types).
    public var rtcpPacketsIgnored: UInt64 = 0
    /// RTCP datagrams that did not parse (RFC 3550 §6.4) and were dropped.
    public var rtcpDatagramsMalformed: UInt64 = 0

    /// All counters zero.
    public init() {}
}
