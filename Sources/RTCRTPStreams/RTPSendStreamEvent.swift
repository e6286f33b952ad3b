import NIOCore

/// What a ``RTPSendStream`` reports to the application.
public enum RTPSendStreamEvent: Hashable, Sendable {
    /// A receiver asked for a decoder refresh point: send a key frame soon (RFC 4585 §6.3.1,
    /// RFC 5104 §4.3.1). Repeated FIRs with the same sequence number raise it once.
    case keyFrameRequested(RTPKeyFrameRequest)
    /// A receiver reported on this stream in an SR or RR (RFC 3550 §6.4).
    case receptionReport(RTPRemoteReceptionReport)
    /// A receiver estimated the bitrate it can take for this stream (REMB,
    /// draft-alvestrand-rmcat-remb-03 §2.2).
    case receiverEstimatedBitrate(bitsPerSecond: UInt64, senderSSRC: UInt32)
}

/// A request for a key frame (RFC 4585 §6.3.1, RFC 5104 §4.3.1).
public struct RTPKeyFrameRequest: Hashable, Sendable {
    /// How the key frame was asked for.
    public enum Method: Hashable, Sendable {
        /// Picture Loss Indication (RFC 4585 §6.3.1).
        case pictureLossIndication
        /// Full Intra Request with its command sequence number (RFC 5104 §4.3.1).
        case fullIntraRequest(sequenceNumber: UInt8)
    }

    /// The SSRC of the receiver that asked.
    public var senderSSRC: UInt32
    /// How it asked.
    public var method: Method

    /// Creates a request.
    public init(senderSSRC: UInt32, method: Method) {
        self.senderSSRC = senderSSRC
        self.method = method
    }
}

/// What one reception report block said about this stream (RFC 3550 §6.4.1), with the round-trip
/// time derived from its LSR and DLSR.
public struct RTPRemoteReceptionReport: Hashable, Sendable {
    /// The SSRC of the receiver that sent the report.
    public var reporterSSRC: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Cumulative packets lost (24-bit signed; duplicates can make it negative).
    public var cumulativeLost: Int32
    /// The extended highest sequence number received.
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// The round-trip time, when the block echoes one of this stream's recent sender reports
    /// (RFC 3550 §6.4.1: A − LSR − DLSR).
    public var roundTripTime: TimeAmount?

    /// Creates a report.
    public init(reporterSSRC: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequenceNumber: UInt32,
                jitter: UInt32, roundTripTime: TimeAmount?) {
        self.reporterSSRC = reporterSSRC
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.roundTripTime = roundTripTime
    }

    /// The fraction lost as a number from 0 to 1.
    public var lossFraction: Double { Double(fractionLost) / 256 }

    /// The jitter as a duration for a stream of clock rate `clockRate` Hz.
    public func jitterDuration(clockRate: Int) -> TimeAmount {
        .nanoseconds(Int64(jitter) * 1_000_000_000 / Int64(max(1, clockRate)))
    }
}
