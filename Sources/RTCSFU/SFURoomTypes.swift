import RTCRTP
import RTCSession

/// A room of an ``SFUCore``: members that each publish their tracks once and receive everyone
/// else's, and whose data-channel messages reach each other through the server.
public struct SFURoomID: Hashable, Sendable, CustomStringConvertible {
    /// The room's name (the signaling server's room name).
    public let name: String
    /// Names a room.
    public init(_ name: String) { self.name = name }
    /// `room "name"`.
    public var description: String { "room \"\(name)\"" }
}

/// Limits and choices of an ``SFUCore``'s rooms.
public struct SFURoomConfiguration: Hashable, Sendable {
    /// The most members one room takes; ``SFUCore/join(_:room:now:)`` throws
    /// ``SFUCoreError/roomFull(_:limit:)`` beyond it.
    public var maximumMembers = 16
    /// The codec a member's video track is published as (the server's sessions should offer
    /// and accept only it).
    public var videoCodec: RTPCodec = .vp8
    /// The codec a member's audio track is published as.
    public var audioCodec: RTPCodec = .opus
    /// A member's data channel whose buffered amount is above this many bytes (a member that
    /// does not read) gets no more relayed messages until it drains: they are dropped and
    /// counted in ``SFURoomStatistics/messagesDropped``.
    public var maximumRelayBufferedBytes = 1 << 20
    /// How the active speaker is found from audio levels.
    public var activeSpeaker = SFUActiveSpeakerConfiguration()

    /// The defaults: 16 members, VP8 and Opus, 1 MiB per member's channel.
    public init() {}
}

/// What an ``SFUCore``'s rooms ask the signaling server to do or tell it.
public enum SFURoomEvent: Hashable, Sendable {
    /// Send this offer to the member (the server renegotiates: a publisher joined or left, so
    /// the member's transceivers change). Hand the member's answer to
    /// ``SFUCore/handleRemoteDescription(_:from:now:)``.
    case offer(SFUSessionKey, SessionDescription)
    /// Send this answer to the member: the server's answer to the member's offer, reported in
    /// order with the offers (an offer that follows it must reach the member after it).
    case answer(SFUSessionKey, SessionDescription)
    /// A member's track is published to the room.
    case published(SFURoomID, SFUSessionKey, SFUTrackID, RTPCodec.Kind)
    /// A member's track is no longer published (it stopped it or left).
    case unpublished(SFURoomID, SFUSessionKey, SFUTrackID)
    /// The room's dominant speaker changed (from the members' audio levels, RFC 6464); nil
    /// when nobody is speaking any more.
    case activeSpeakerChanged(SFURoomID, SFUSessionKey?)
    /// The automatic layer choice moved a simulcast subscription to another layer (it takes
    /// effect at that layer's next key frame): what it decided and from what, for logs.
    case layerSwitch(SFULayerSwitch)
}

/// A decision of the automatic simulcast layer choice (``SFURoomEvent/layerSwitch(_:)``).
public struct SFULayerSwitch: Hashable, Sendable, CustomStringConvertible {
    /// The subscription that moves.
    public var subscription: SFUSubscriptionID
    /// The subscriber session it forwards to.
    public var subscriber: SFUSessionKey
    /// The simulcast track.
    public var track: SFUTrackID
    /// The rid of the layer it leaves (nil when it forwarded none yet).
    public var from: String?
    /// The rid of the layer it moves to.
    public var to: String?
    /// The share of the subscriber's budget this subscription had, in bits per second (nil:
    /// nothing limits the subscriber).
    public var budget: UInt64?
    /// The size the subscriber asked for at most (nil: any).
    public var maximumSize: SFUPictureSize?

    /// Creates a layer-switch record.
    public init(subscription: SFUSubscriptionID, subscriber: SFUSessionKey, track: SFUTrackID, from: String?, to: String?,
                budget: UInt64?, maximumSize: SFUPictureSize?) {
        self.subscription = subscription
        self.subscriber = subscriber
        self.track = track
        self.from = from
        self.to = to
        self.budget = budget
        self.maximumSize = maximumSize
    }

    /// `"<track> to <subscriber>: h → f (budget 1200k, max -)"`.
    public var description: String {
        "\(track) to \(subscriber): \(from ?? "-") → \(to ?? "-") (budget \(budget.map { "\($0 / 1_000)k" } ?? "none"), "
            + "max \(maximumSize.map { "\($0)" } ?? "-"))"
    }
}

/// What an ``SFUCore`` reports: a session's event (other than what forwarding and the rooms
/// consume) or a room's.
public enum SFUEvent: Sendable {
    /// A session's event.
    case session(SFUSessionEvent<SessionEvent>)
    /// A room's event.
    case room(SFURoomEvent)
}

/// Counters of an ``SFUCore``'s rooms.
public struct SFURoomStatistics: Hashable, Sendable {
    /// Data-channel messages relayed (summed over receiving members).
    public var messagesRelayed = 0
    /// Relayed messages dropped because the receiving member's channel had too much buffered,
    /// or refused the message.
    public var messagesDropped = 0
    /// Offers the server made to members.
    public var offersSent = 0
    /// Offers of the server rolled back because a member's offer crossed it (glare; the server
    /// is the polite peer).
    public var rollbacks = 0

    /// All counters zero.
    public init() {}
}
