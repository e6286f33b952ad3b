import Foundation
import NIOCore
import RTCSignaling

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

    /// Creates a configuration; the defaults need no setup (no authentication).
    public init(maxRoomSize: Int = 16, maxMessageBytes: Int = 64 * 1024, rateLimit: SignalingRateLimit = .init(),
                joinTokenSecret: String? = nil, maxIDLength: Int = 64) {
        self.maxRoomSize = maxRoomSize
        self.maxMessageBytes = maxMessageBytes
        self.rateLimit = rateLimit
        self.joinTokenSecret = joinTokenSecret
        self.maxIDLength = maxIDLength
    }
}

/// Why the hub closes a connection.
public enum SignalingCloseReason: Sendable, Equatable {
    /// The client exceeded the rate limit again and again.
    case rateLimited
    /// The server is shutting down.
    case shutdown
}

/// What the hub asks its transport to do.
public enum SignalingOutput: Sendable, Equatable {
    /// Send `message` to connection `to`.
    case send(SignalingMessage, to: SignalingConnectionID)
    /// Close connection `id` (after the sends before it); the hub has already forgotten it.
    case close(SignalingConnectionID, reason: SignalingCloseReason)
}

/// What ``SignalingHub/receiveRelay(type:target:size:from:now:)`` decided.
public enum SignalingRelayDecision: Sendable, Equatable {
    /// Forward the message to connection `to`, naming the sender `from`.
    case forward(to: SignalingConnectionID, from: String)
    /// Refused (or dropped): perform these outputs instead.
    case outputs([SignalingOutput])
}

/// Counters a server exports as metrics.
public struct SignalingHubStats: Sendable, Equatable {
    /// Open connections.
    public var connections = 0
    /// Rooms with at least one peer.
    public var rooms = 0
    /// Peers in rooms.
    public var peers = 0
    /// Offers, answers and candidates forwarded.
    public var messagesRelayed: UInt64 = 0
    /// Error replies sent.
    public var errorsSent: UInt64 = 0

    /// Creates counters.
    public init(connections: Int = 0, rooms: Int = 0, peers: Int = 0, messagesRelayed: UInt64 = 0, errorsSent: UInt64 = 0) {
        self.connections = connections
        self.rooms = rooms
        self.peers = peers
        self.messagesRelayed = messagesRelayed
        self.errorsSent = errorsSent
    }
}

/// The signaling rules as a pure state machine (sans-IO): connections, rooms, relaying.
///
/// Feed it what happens — ``connect(_:now:)``, ``receive(_:from:now:unixTime:)``,
/// ``disconnect(_:)``, ``shutdown(message:)`` — and perform the ``SignalingOutput``s it returns
/// in order. It reads no clock: `now` drives the rate limit and `unixTime` (seconds) the
/// join-token expiry.
public struct SignalingHub: Sendable {
    private struct Connection: Sendable {
        var peerID: String?
        var roomID: String?
        var tokens: Double
        var lastRefill: NIODeadline
        var violations = 0
    }

    private struct Room: Sendable {
        /// Members in join order.
        var order: [String] = []
        var members: [String: SignalingConnectionID] = [:]
    }

    /// The rules in force.
    public let configuration: SignalingHubConfiguration
    private var connections: [SignalingConnectionID: Connection] = [:]
    private var rooms: [String: Room] = [:]
    private var relayed: UInt64 = 0
    private var errors: UInt64 = 0
    private var peerCount = 0
    /// `true` after ``shutdown(message:)``: new connections are refused.
    public private(set) var isShutDown = false

    /// Creates a hub with no connections.
    public init(configuration: SignalingHubConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Current counters.
    public var stats: SignalingHubStats {
        SignalingHubStats(connections: connections.count, rooms: rooms.count,
                          peers: peerCount,
                          messagesRelayed: relayed, errorsSent: errors)
    }

    /// The peer ids in `roomID`, in join order (empty when the room does not exist).
    public func peers(in roomID: String) -> [String] { rooms[roomID]?.order ?? [] }

    /// The room and peer id of a connection, once it has joined.
    public func membership(of id: SignalingConnectionID) -> (roomID: String, peerID: String)? {
        guard let c = connections[id], let room = c.roomID, let peer = c.peerID else { return nil }
        return (room, peer)
    }

    /// A new connection was opened. After shutdown it is told so and closed at once.
    public mutating func connect(_ id: SignalingConnectionID, now: NIODeadline) -> [SignalingOutput] {
        if isShutDown {
            return [.send(.shutdown(message: "the server is shutting down"), to: id), .close(id, reason: .shutdown)]
        }
        connections[id] = Connection(tokens: configuration.rateLimit.burst, lastRefill: now)
        return []
    }

    /// A message arrived on connection `id`: check the rate limit and size, parse it, apply it.
    public mutating func receive(_ data: Data, from id: SignalingConnectionID, now: NIODeadline, unixTime: Int64) -> [SignalingOutput] {
        guard connections[id] != nil else { return [] }
        if let limited = rateLimit(id, now: now) { return limited }
        guard data.count <= configuration.maxMessageBytes else {
            return [reply(id, SignalingProtocolError(.messageTooLarge,
                    "message of \(data.count) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))]
        }
        let message: SignalingMessage
        do {
            message = try SignalingMessage.decode(data)
        } catch {
            return [reply(id, error)]
        }
        return apply(message, from: id, unixTime: unixTime)
    }

    /// A message that was already decoded arrived on connection `id` (`size` is its length in
    /// bytes, for the size limit). Same rules as ``receive(_:from:now:unixTime:)``.
    public mutating func receive(decoded: Result<SignalingMessage, SignalingProtocolError>, size: Int,
                                 from id: SignalingConnectionID, now: NIODeadline, unixTime: Int64) -> [SignalingOutput] {
        guard connections[id] != nil else { return [] }
        if let limited = rateLimit(id, now: now) { return limited }
        guard size <= configuration.maxMessageBytes else {
            return [reply(id, SignalingProtocolError(.messageTooLarge,
                    "message of \(size) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))]
        }
        switch decoded {
        case .success(let message): return apply(message, from: id, unixTime: unixTime)
        case .failure(let error): return [reply(id, error)]
        }
    }

    /// A relayed message (`type` is `offer`, `answer` or `ice_candidate`) arrived on connection
    /// `id` and the transport read only its `type` and `target` (`size` is its length in bytes).
    /// Same rules as ``receive(decoded:size:from:now:unixTime:)`` for a well-formed message of that
    /// type; on success the transport forwards the message itself with `from` in place of `target`.
    public mutating func receiveRelay(type: String, target: String, size: Int, from id: SignalingConnectionID,
                                      now: NIODeadline) -> SignalingRelayDecision {
        guard connections[id] != nil else { return .outputs([]) }
        if let limited = rateLimit(id, now: now) { return .outputs(limited) }
        guard size <= configuration.maxMessageBytes else {
            return .outputs([reply(id, SignalingProtocolError(.messageTooLarge,
                    "message of \(size) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))])
        }
        switch route(from: id, target: target, type: type) {
        case .success(let (targetID, peerID)):
            relayed &+= 1
            return .forward(to: targetID, from: peerID)
        case .failure(let refused):
            return .outputs([refused.output])
        }
    }

    /// Connection `id` closed: it leaves its room and the other members are told.
    public mutating func disconnect(_ id: SignalingConnectionID) -> [SignalingOutput] {
        guard connections[id] != nil else { return [] }
        let outputs = leaveRoom(id)
        connections[id] = nil
        return outputs
    }

    /// Tells every connection the server is shutting down and closes them all.
    public mutating func shutdown(message: String = "the server is shutting down") -> [SignalingOutput] {
        isShutDown = true
        var outputs: [SignalingOutput] = []
        for id in connections.keys.sorted() {
            outputs.append(.send(.shutdown(message: message), to: id))
            outputs.append(.close(id, reason: .shutdown))
        }
        connections.removeAll()
        rooms.removeAll()
        peerCount = 0
        return outputs
    }

    // MARK: - Rules

    private mutating func apply(_ message: SignalingMessage, from id: SignalingConnectionID, unixTime: Int64) -> [SignalingOutput] {
        switch message {
        case .join(let peerID, let roomID, let token):
            return join(id, peerID: peerID, roomID: roomID, token: token, unixTime: unixTime)
        case .leave:
            guard connections[id]?.roomID != nil else {
                return [reply(id, SignalingProtocolError(.notJoined, "\"leave\" before \"join\""))]
            }
            return leaveRoom(id)
        case .offer(let description, let target, _):
            return relay(from: id, target: target, type: "offer") { .offer(description, from: $0) }
        case .answer(let description, let target, _):
            return relay(from: id, target: target, type: "answer") { .answer(description, from: $0) }
        case .iceCandidate(let candidate, let target, _):
            return relay(from: id, target: target, type: "ice_candidate") { .iceCandidate(candidate, from: $0) }
        case .roomPeers, .peerJoined, .peerLeft, .error, .shutdown:
            return [reply(id, SignalingProtocolError(.unknownType, "\"\(message.type)\" is sent by the server, not by clients"))]
        }
    }

    private mutating func join(_ id: SignalingConnectionID, peerID: String, roomID: String, token: String?, unixTime: Int64) -> [SignalingOutput] {
        if let current = connections[id]?.roomID {
            return [reply(id, SignalingProtocolError(.alreadyJoined, "already in room \"\(current)\"; send \"leave\" first"))]
        }
        if let problem = validateID(peerID, name: "peer_id") ?? validateID(roomID, name: "room_id") {
            return [reply(id, problem)]
        }
        if let secret = configuration.joinTokenSecret {
            do {
                try SignalingJoinToken.verify(token, secret: secret, peerID: peerID, roomID: roomID, unixTime: unixTime)
            } catch {
                return [reply(id, error)]
            }
        }
        var room = rooms[roomID] ?? Room()
        if room.members[peerID] != nil {
            return [reply(id, SignalingProtocolError(.duplicatePeerID, "peer id \"\(peerID)\" is already in room \"\(roomID)\""))]
        }
        if room.order.count >= configuration.maxRoomSize {
            return [reply(id, SignalingProtocolError(.roomFull, "room \"\(roomID)\" is full (\(configuration.maxRoomSize) peers)"))]
        }
        var outputs: [SignalingOutput] = [.send(.roomPeers(roomID: roomID, peers: room.order), to: id)]
        for other in room.order {
            if let otherID = room.members[other] { outputs.append(.send(.peerJoined(peerID: peerID), to: otherID)) }
        }
        room.order.append(peerID)
        room.members[peerID] = id
        rooms[roomID] = room
        connections[id]?.peerID = peerID
        connections[id]?.roomID = roomID
        peerCount += 1
        return outputs
    }

    private mutating func leaveRoom(_ id: SignalingConnectionID) -> [SignalingOutput] {
        guard let connection = connections[id], let roomID = connection.roomID, let peerID = connection.peerID,
              var room = rooms[roomID] else { return [] }
        room.order.removeAll { $0 == peerID }
        room.members[peerID] = nil
        rooms[roomID] = room.order.isEmpty ? nil : room
        connections[id]?.roomID = nil
        connections[id]?.peerID = nil
        peerCount -= 1
        return room.order.compactMap { other in room.members[other].map { .send(.peerLeft(peerID: peerID), to: $0) } }
    }

    private mutating func relay(from id: SignalingConnectionID, target: String?, type: String,
                                make: (String) -> SignalingMessage) -> [SignalingOutput] {
        switch route(from: id, target: target, type: type) {
        case .success(let (targetID, peerID)):
            relayed &+= 1
            return [.send(make(peerID), to: targetID)]
        case .failure(let refused):
            return [refused.output]
        }
    }

    private struct Refused: Error { var output: SignalingOutput }

    /// The target's connection and the sender's peer id, or the error reply.
    private mutating func route(from id: SignalingConnectionID, target: String?, type: String)
        -> Result<(SignalingConnectionID, String), Refused> {
        guard let (roomID, peerID) = membership(of: id) else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.notJoined, "\"\(type)\" before \"join\""))))
        }
        guard let target else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.invalidMessage, "invalid \"\(type)\" message: missing field \"target\""))))
        }
        guard let targetID = rooms[roomID]?.members[target], target != peerID else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.unknownTarget, "no peer \"\(target.prefix(64))\" in room \"\(roomID)\""))))
        }
        return .success((targetID, peerID))
    }

    private func validateID(_ value: String, name: String) -> SignalingProtocolError? {
        if value.isEmpty { return SignalingProtocolError(.invalidMessage, "\(name) is empty") }
        if value.utf8.count > configuration.maxIDLength {
            return SignalingProtocolError(.invalidMessage, "\(name) is longer than \(configuration.maxIDLength) bytes")
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return SignalingProtocolError(.invalidMessage, "\(name) contains control characters")
        }
        return nil
    }

    private mutating func reply(_ id: SignalingConnectionID, _ error: SignalingProtocolError) -> SignalingOutput {
        errors &+= 1
        return .send(error.asMessage, to: id)
    }

    /// Refills and spends one token; returns outputs when the message must be dropped.
    private mutating func rateLimit(_ id: SignalingConnectionID, now: NIODeadline) -> [SignalingOutput]? {
        guard var c = connections[id] else { return [] }
        let limit = configuration.rateLimit
        let elapsed = Double(max(0, (now - c.lastRefill).nanoseconds)) / 1e9
        c.tokens = min(limit.burst, c.tokens + elapsed * limit.messagesPerSecond)
        c.lastRefill = now
        if c.tokens >= 1 {
            c.tokens -= 1
            c.violations = 0
            connections[id] = c
            return nil
        }
        c.violations += 1
        connections[id] = c
        let error = reply(id, SignalingProtocolError(.rateLimited,
            "more than \(Int(limit.messagesPerSecond)) messages/s (burst \(Int(limit.burst))); message dropped"))
        if c.violations >= limit.maxViolations {
            var outputs = [error]
            outputs += leaveRoom(id)
            connections[id] = nil
            outputs.append(.close(id, reason: .rateLimited))
            return outputs
        }
        return [error]
    }
}
