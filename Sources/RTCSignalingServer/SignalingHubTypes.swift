import Foundation
import NIOCore
import RTCSignaling
import RTCSession

// The values a SignalingHub takes and returns: connection ids, limits, configuration,
// membership modes, directory and SFU requests, outputs and counters.

/// Identifies one client connection to a ``SignalingHub`` (assigned by the transport layer).
public struct SignalingConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The numeric id.
    public var rawValue: UInt64
    /// Creates an id.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// Orders ids numerically.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// `#<number>`.
    public var description: String { "#\(rawValue)" }
}

/// A token-bucket rate limit per connection: `messagesPerSecond` sustained, `burst` at once.
/// A message over the limit is dropped with a `rate_limited` error; a client that keeps going
/// (`maxViolations` dropped messages in a row) is abusive and is disconnected.
public struct SignalingRateLimit: Sendable, Equatable {
    /// Sustained messages per second.
    public var messagesPerSecond: Double
    /// Bucket size: messages that may arrive at once.
    public var burst: Double
    /// Dropped messages in a row after which the connection is closed.
    public var maxViolations: Int

    /// Creates a rate limit.
    public init(messagesPerSecond: Double = 100, burst: Double = 200, maxViolations: Int = 20) {
        self.messagesPerSecond = messagesPerSecond
        self.burst = burst
        self.maxViolations = maxViolations
    }
}

/// The rules a ``SignalingHub`` enforces.
public struct SignalingHubConfiguration: Sendable, Equatable {
    /// Most peers in one room.
    public var maxRoomSize: Int
    /// Largest accepted message in bytes; larger ones get `message_too_large`.
    public var maxMessageBytes: Int
    /// Per-connection rate limit.
    public var rateLimit: SignalingRateLimit
    /// When set, `join` needs a valid ``SignalingJoinToken`` signed with this secret.
    public var joinTokenSecret: String?
    /// Longest peer or room id, in UTF-8 bytes.
    public var maxIDLength: Int
    /// Where room membership is decided: in this hub alone (the default), or by a shared
    /// directory (several server instances, `docs/cluster.md`).
    public var membership: SignalingMembership
    /// Whether SFU rooms (`"mode":"sfu"`) can be joined: the server runs an SFU that performs
    /// the hub's ``SignalingOutput/sfu(_:)`` requests. With ``SignalingMembership/directory``
    /// the directory decides which instance's SFU serves a room (its home).
    public var sfuAvailable: Bool

    /// Creates a configuration; the defaults need no setup (no authentication, no SFU).
    public init(maxRoomSize: Int = 16, maxMessageBytes: Int = 64 * 1024, rateLimit: SignalingRateLimit = .init(),
                joinTokenSecret: String? = nil, maxIDLength: Int = 64, membership: SignalingMembership = .local,
                sfuAvailable: Bool = false) {
        self.sfuAvailable = sfuAvailable
        self.maxRoomSize = maxRoomSize
        self.maxMessageBytes = maxMessageBytes
        self.rateLimit = rateLimit
        self.joinTokenSecret = joinTokenSecret
        self.maxIDLength = maxIDLength
        self.membership = membership
    }
}

/// Who decides room membership for a ``SignalingHub``.
public enum SignalingMembership: Sendable, Equatable {
    /// The hub alone: one server instance owns its rooms (the default, no database).
    case local
    /// A directory shared by several instances: the hub asks it to store joins and leaves
    /// (``SignalingOutput/directory(_:)``) and applies the membership events it reports, in
    /// the directory's order, for every room of the cluster. Members on other instances are
    /// reached through ``SignalingOutput/sendRemote(_:instance:roomID:target:origin:)``.
    case directory
}

/// A request from a ``SignalingHub`` to its shared room directory (``SignalingMembership/directory``).
public enum SignalingDirectoryRequest: Sendable, Equatable {
    /// Store that `connection` joins `roomID` as `peerID` in a room of `mode` (or refuse it:
    /// duplicate id, room full, another mode); the outcome comes back as
    /// ``SignalingHub/directoryJoined(_:)``, ``SignalingHub/directoryJoinRefused(_:error:)``
    /// or, for an SFU room whose home is another instance,
    /// ``SignalingHub/directoryJoinRedirected(_:roomID:url:)``.
    case join(SignalingConnectionID, roomID: String, peerID: String, mode: SignalingRoomMode)
    /// Remove this instance's member `peerID` from `roomID`; reported back as
    /// ``SignalingHub/directoryLeft(roomID:peerID:seq:)``.
    case leave(roomID: String, peerID: String)
}

/// One member as a shared room directory reports it.
public struct SignalingDirectoryMember: Sendable, Equatable {
    /// The room.
    public var roomID: String
    /// The member's peer id.
    public var peerID: String
    /// The server instance whose client it is.
    public var instance: String
    /// The client's connection on that instance.
    public var connection: SignalingConnectionID
    /// The directory's sequence number of this join (orders members by join time; names the
    /// membership in a later leave).
    public var seq: Int64
    /// The mode of the member's room (an SFU room's members are all on its home instance).
    public var mode: SignalingRoomMode

    /// Creates a member record.
    public init(roomID: String, peerID: String, instance: String, connection: SignalingConnectionID, seq: Int64,
                mode: SignalingRoomMode = .mesh) {
        self.mode = mode
        self.roomID = roomID
        self.peerID = peerID
        self.instance = instance
        self.connection = connection
        self.seq = seq
    }
}

/// What a ``SignalingHub`` asks the server's SFU to do for a member of an SFU room, in the
/// hub's order (``SignalingOutput/sfu(_:)``).
public enum SignalingSFURequest: Sendable, Equatable {
    /// Connection `id` joined SFU room `roomID` as `peerID`: give it a session at the SFU
    /// (before its first description arrives).
    case join(SignalingConnectionID, roomID: String, peerID: String)
    /// Connection `id` left its SFU room (or closed): end its session.
    case leave(SignalingConnectionID)
    /// The member's offer or answer, for its session at the SFU.
    case description(SessionDescription, from: SignalingConnectionID)
    /// A candidate the member trickled (empty: end of candidates), for its session at the SFU.
    case candidate(ICECandidateInit, from: SignalingConnectionID)
    /// The largest picture the member wants of simulcast tracks (nil: any).
    case maxResolution(width: Int?, height: Int?, from: SignalingConnectionID)
}

/// Why the hub closes a connection.
public enum SignalingCloseReason: Sendable, Equatable {
    /// The client exceeded the rate limit again and again.
    case rateLimited
    /// The server is shutting down.
    case shutdown
    /// The shared room directory is unreachable: the client should reconnect (perhaps to
    /// another instance) and join again.
    case unavailable
}

/// What the hub asks its transport to do.
public enum SignalingOutput: Sendable, Equatable {
    /// Send `message` to connection `to`.
    case send(SignalingMessage, to: SignalingConnectionID)
    /// Close connection `id` (after the sends before it); the hub has already forgotten it.
    case close(SignalingConnectionID, reason: SignalingCloseReason)
    /// Ask the shared room directory to store a join or leave (``SignalingMembership/directory`` only).
    case directory(SignalingDirectoryRequest)
    /// Send `message` to member `target` of `roomID`, a client of server instance `instance`
    /// (``SignalingMembership/directory`` only); `origin` sent it and hears of failures.
    case sendRemote(SignalingMessage, instance: String, roomID: String, target: String, origin: SignalingConnectionID)
    /// Hand this to the server's SFU (members of SFU rooms only; in order with the other outputs).
    case sfu(SignalingSFURequest)
}

/// What ``SignalingHub/receiveRelay(type:target:size:from:now:)`` decided.
public enum SignalingRelayDecision: Sendable, Equatable {
    /// Forward the message to connection `to`, naming the sender `from`.
    case forward(to: SignalingConnectionID, from: String)
    /// Forward the message, naming the sender `from`, to member `target` of `roomID`, a client
    /// of another server instance (``SignalingMembership/directory`` only).
    case forwardRemote(instance: String, roomID: String, target: String, from: String)
    /// Refused (or dropped): perform these outputs instead.
    case outputs([SignalingOutput])
}

/// Counters a server exports as metrics.
public struct SignalingHubStats: Sendable, Equatable {
    /// Open connections.
    public var connections = 0
    /// Rooms with at least one peer.
    public var rooms = 0
    /// Peers in rooms (clients of this instance).
    public var peers = 0
    /// Members of rooms on every instance (with ``SignalingMembership/local``, equal to ``peers``).
    public var members = 0
    /// Offers, answers and candidates forwarded.
    public var messagesRelayed: UInt64 = 0
    /// Error replies sent.
    public var errorsSent: UInt64 = 0

    /// Creates counters.
    public init(connections: Int = 0, rooms: Int = 0, peers: Int = 0, members: Int = 0, messagesRelayed: UInt64 = 0,
                errorsSent: UInt64 = 0) {
        self.connections = connections
        self.rooms = rooms
        self.peers = peers
        self.members = members
        self.messagesRelayed = messagesRelayed
        self.errorsSent = errorsSent
    }
}
