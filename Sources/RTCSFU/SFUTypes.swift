import NIOCore
import RTCRTP

/// A track published into an ``SFURouter`` (one publisher's audio or video, all its layers).
public struct SFUTrackID: Hashable, Sendable, CustomStringConvertible {
    /// The router-assigned number.
    public let rawValue: Int
    /// Wraps a number the router handed out.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `track#3`.
    public var description: String { "track#\(rawValue)" }
}

/// One subscriber's leg of one track in an ``SFURouter``: the stream a subscriber receives,
/// with its own SSRC, sequence numbers and timestamps.
public struct SFUSubscriptionID: Hashable, Sendable, CustomStringConvertible {
    /// The router-assigned number.
    public let rawValue: Int
    /// Wraps a number the router handed out.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `subscription#3`.
    public var description: String { "subscription#\(rawValue)" }
}

/// One encoding of a published track: a simulcast layer (RFC 8853), or the only encoding.
public struct SFULayer: Hashable, Sendable {
    /// The layer's media SSRC when known, so packets can be routed by SSRC
    /// (``SFURouter/handleRTP(_:now:)``); nil when the caller routes packets to the layer itself.
    public var ssrc: UInt32?
    /// The layer's RTP stream id (`a=rid`, RFC 8851), when it has one.
    public var rid: String?

    /// Creates a layer description.
    public init(ssrc: UInt32? = nil, rid: String? = nil) {
        self.ssrc = ssrc
        self.rid = rid
    }
}

/// Where a subscriber's packets come from: a track and one of its layers (an index into the
/// layers it was published with).
public struct SFUSource: Hashable, Sendable, CustomStringConvertible {
    /// The published track.
    public var track: SFUTrackID
    /// The index of the layer in the track's layers.
    public var layer: Int

    /// Names a source.
    public init(track: SFUTrackID, layer: Int = 0) {
        self.track = track
        self.layer = layer
    }

    /// `track#1/2`.
    public var description: String { "\(track)/\(layer)" }
}

/// What a router asks its owner to do.
public enum SFURouterOutput: Sendable {
    /// Send a rewritten packet (the subscription's SSRC, sequence number, timestamp and payload
    /// type; no header extension — the leg's sender writes the extensions it negotiated) to the
    /// subscriber.
    case forward(SFUSubscriptionID, RTPPacket)
    /// Send these bytes again to the subscriber: a packet from the leg's cache answering its NACK,
    /// exactly as it was forwarded (serialized, unprotected).
    case retransmit(SFUSubscriptionID, ByteBuffer)
    /// Ask the publisher for a key frame on this source (PLI or FIR), throttled across all the
    /// source's subscribers.
    case requestKeyFrame(SFUSource)
    /// Ask the publisher to retransmit these sequence numbers (its own numbering) of this source,
    /// because a subscriber lost them and the leg's cache did not have them (Generic NACK).
    case requestRetransmission(SFUSource, sequenceNumbers: [UInt16])
}

/// Why a router did not forward a packet (to one subscriber, or at all). Each drop is counted in
/// ``SFURouterStatistics/drops``.
public enum SFUDropReason: Hashable, Sendable, CaseIterable {
    /// The datagram is not an RTP packet the parser accepts (RFC 3550 §5.1).
    case malformed
    /// The datagram is RTCP (RFC 5761 §4), which does not enter the RTP path.
    case notRTP
    /// No published layer has the packet's SSRC.
    case unknownSSRC
    /// The packet names a track or layer the router does not have.
    case unknownSource
    /// The subscriber waits for a key frame on this source before it can start or switch.
    case waitingForKeyFrame
    /// The packet is older than the point where the subscriber's stream started or switched to
    /// this source, so it has no place in the subscriber's numbering.
    case precedesSwitch
}

/// Why a router refused a command.
public enum SFURouterError: Error, Hashable, Sendable {
    /// No track with this id (never published, or removed).
    case unknownTrack(SFUTrackID)
    /// No subscription with this id.
    case unknownSubscription(SFUSubscriptionID)
    /// The track has no layer with this index.
    case unknownLayer(SFUSource)
    /// Two layers cannot share an SSRC: this one is taken.
    case duplicateSSRC(UInt32)
    /// A subscription cannot switch to a track of another codec (its payload type and clock are
    /// fixed by negotiation).
    case codecMismatch(subscribed: RTPCodec, offered: RTPCodec)
}

/// Counters of a whole router.
public struct SFURouterStatistics: Hashable, Sendable {
    /// RTP packets handed to the router.
    public var packetsReceived = 0
    /// Rewritten packets forwarded (summed over subscribers).
    public var packetsForwarded = 0
    /// Payload bytes forwarded (summed over subscribers).
    public var payloadBytesForwarded = 0
    /// Key-frame requests (PLI/FIR) from subscribers.
    public var keyFrameRequestsReceived = 0
    /// Key-frame requests sent to publishers after throttling.
    public var keyFrameRequestsSent = 0
    /// Sequence numbers subscribers NACKed.
    public var nackedSequenceNumbers = 0
    /// NACKed packets answered from a leg's cache.
    public var retransmissionsFromCache = 0
    /// NACKed packets asked of the publisher because no cache had them.
    public var retransmissionsRequested = 0
    /// Packets not forwarded, by reason (per subscriber for the per-subscriber reasons).
    public var drops: [SFUDropReason: Int] = [:]

    /// All counters zero.
    public init() {}

    /// How many packets were dropped for `reason`.
    public func dropped(_ reason: SFUDropReason) -> Int { drops[reason] ?? 0 }
}

/// Counters of one subscription.
public struct SFUSubscriptionStatistics: Hashable, Sendable {
    /// Packets forwarded to the subscriber.
    public var packetsForwarded = 0
    /// Payload bytes forwarded to the subscriber.
    public var payloadBytesForwarded = 0
    /// Times the subscription started or switched source (on a key frame).
    public var sourceSwitches = 0
    /// Packets resent from the leg's cache.
    public var retransmittedPackets = 0

    /// All counters zero.
    public init() {}
}
