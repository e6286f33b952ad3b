import NIOCore
import RTCRTP

/// One whole media frame a receive stream delivers: depacketized, in order.
public struct ReceivedFrame: Hashable, Sendable {
    /// The encoded frame (an Opus packet, a VP8 frame, an H.264 access unit, …).
    public var data: ByteBuffer
    /// Whether a decoder can start at this frame.
    public var isKeyFrame: Bool
    /// The RTP timestamp of the frame's packets.
    public var rtpTimestamp: UInt32
    /// When the sender captured the frame, as a 64-bit NTP timestamp of the sender's clock,
    /// from the NTP ↔ RTP mapping of its last sender report (RFC 3550 §6.4.1); nil before the
    /// first sender report.
    public var captureTime: UInt64?
    /// False when a frame before this one was dropped (or the stream restarted), so a decoder
    /// that needs every reference frame must wait for a key frame.
    public var isContiguous: Bool
    /// Extended sequence number of the frame's first packet.
    public var firstSequenceNumber: Int64
    /// Extended sequence number of the frame's last packet.
    public var lastSequenceNumber: Int64
    /// When the last missing packet of the frame arrived (the frame became complete).
    public var completedAt: NIODeadline

    /// Creates a frame.
    public init(data: ByteBuffer, isKeyFrame: Bool, rtpTimestamp: UInt32, captureTime: UInt64? = nil, isContiguous: Bool,
                firstSequenceNumber: Int64, lastSequenceNumber: Int64, completedAt: NIODeadline) {
        self.data = data
        self.isKeyFrame = isKeyFrame
        self.rtpTimestamp = rtpTimestamp
        self.captureTime = captureTime
        self.isContiguous = isContiguous
        self.firstSequenceNumber = firstSequenceNumber
        self.lastSequenceNumber = lastSequenceNumber
        self.completedAt = completedAt
    }
}

/// Why frames were dropped instead of delivered.
public enum FrameDropReason: Hashable, Sendable {
    /// Packets of the frame never arrived: the hold expired or the NACK generator gave up.
    case incomplete
    /// The payloads were all there but the depacketizer refused them.
    case undecodable(RTPPayloadError)
    /// A complete frame that is not a key frame, discarded while waiting for one after a loss.
    case waitingForKeyFrame
}

/// Frames dropped at once for one reason.
public struct FrameDrop: Hashable, Sendable {
    /// Why.
    public var reason: FrameDropReason
    /// How many frames (distinct RTP timestamps among the discarded packets; at least 1).
    public var frameCount: Int
    /// Extended sequence numbers of the first and last packet position skipped.
    public var sequenceNumbers: ClosedRange<Int64>

    /// Creates a drop record.
    public init(reason: FrameDropReason, frameCount: Int, sequenceNumbers: ClosedRange<Int64>) {
        self.reason = reason
        self.frameCount = frameCount
        self.sequenceNumbers = sequenceNumbers
    }
}
