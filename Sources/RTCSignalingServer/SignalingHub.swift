import Foundation
import NIOCore
import RTCSignaling
import RTCSession

/// The signaling rules as a pure state machine (sans-IO): connections, rooms, relaying.
///
/// Feed it what happens — ``connect(_:now:)``, ``receive(_:from:now:unixTime:)``,
/// ``disconnect(_:)``, ``shutdown(message:)`` — and perform the ``SignalingOutput``s it returns
/// in order. It reads no clock: `now` drives the rate limit and `unixTime` (seconds) the
/// join-token expiry.
///
/// With ``SignalingMembership/directory`` the rooms are the cluster's: joins and leaves go to
/// the directory as ``SignalingOutput/directory(_:)`` and take effect when the directory
/// reports them back (``directoryJoined(_:)``, ``directoryLeft(roomID:peerID:seq:)``); until
/// ``directoryReset(instance:members:)`` and after ``directoryLost()`` joins are refused
/// with `unavailable`.
///
/// A room is a mesh or an SFU room (``SignalingRoomMode``, the first member's `join`): in an SFU
/// room members' descriptions and candidates carry no `target` and go to the server's SFU as
/// ``SignalingOutput/sfu(_:)`` requests, in order with its joins and leaves
/// (``SignalingHubConfiguration/sfuAvailable``). With a directory an SFU room lives on one
/// instance, its home: the directory redirects joins that arrive elsewhere
/// (``directoryJoinRedirected(_:roomID:url:)``).
public struct SignalingHub: Sendable {
    struct Connection: Sendable {
        var peerID: String?
        var roomID: String?
        var tokens: Double
        var lastRefill: NIODeadline
        var violations = 0
        /// Directory mode: a join sent to the directory and not yet reported back.
        var pendingJoin: (roomID: String, peerID: String)?

        /// Refills the token bucket to `now` and spends one token: `true` when there was one
        /// (the violation streak ends), `false` when not (the streak grows).
        mutating func spendToken(now: NIODeadline, limit: SignalingRateLimit) -> Bool {
            let elapsed = Double(max(0, (now - lastRefill).nanoseconds)) / 1e9
            tokens = min(limit.burst, tokens + elapsed * limit.messagesPerSecond)
            lastRefill = now
            guard tokens >= 1 else {
                violations += 1
                return false
            }
            tokens -= 1
            violations = 0
            return true
        }
    }

    enum Location: Sendable {
        /// A client of this instance.
        case local(SignalingConnectionID)
        /// A client of another instance.
        case remote(String)
    }

    struct Member: Sendable {
        var location: Location
        var seq: Int64
    }

    struct Room: Sendable {
        /// Mesh, or served by the SFU (the first member's choice).
        var mode: SignalingRoomMode = .mesh
        /// Members in join order.
        var order: [String] = []
        var members: [String: Member] = [:]
    }

    /// The rules in force.
    public let configuration: SignalingHubConfiguration
    var connections: [SignalingConnectionID: Connection] = [:]
    var rooms: [String: Room] = [:]
    private var relayed: UInt64 = 0
    private var errors: UInt64 = 0
    var peerCount = 0
    var memberCount = 0
    /// `true` after ``shutdown(message:)``: new connections are refused.
    public private(set) var isShutDown = false
    /// Directory mode: this instance's id in the directory, `nil` while the directory is
    /// unreachable (joins are refused then).
    public internal(set) var directoryInstance: String?
    var usesDirectory: Bool { configuration.membership == .directory }

    /// Creates a hub with no connections.
    public init(configuration: SignalingHubConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Current counters.
    public var stats: SignalingHubStats {
        SignalingHubStats(connections: connections.count, rooms: rooms.count,
                          peers: peerCount, members: usesDirectory ? memberCount : peerCount,
                          messagesRelayed: relayed, errorsSent: errors)
    }

    /// The mode of `roomID` (nil when the room does not exist).
    public func mode(of roomID: String) -> SignalingRoomMode? { rooms[roomID]?.mode }

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
        // One lookup; the token is spent in place (this runs for every relayed message).
        guard let index = connections.index(forKey: id) else { return .outputs([]) }
        guard connections.values[index].spendToken(now: now, limit: configuration.rateLimit) else {
            return .outputs(refuseOverLimit(id))
        }
        guard size <= configuration.maxMessageBytes else {
            return .outputs([reply(id, SignalingProtocolError(.messageTooLarge,
                    "message of \(size) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))])
        }
        switch route(from: id, target: target, type: type) {
        case .success(let (target, peerID)):
            relayed &+= 1
            switch target {
            case .local(let targetID): return .forward(to: targetID, from: peerID)
            case .remote(let instance, let roomID, let targetPeer):
                return .forwardRemote(instance: instance, roomID: roomID, target: targetPeer, from: peerID)
            }
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
        memberCount = 0
        return outputs
    }

    // MARK: - Rules

    private mutating func apply(_ message: SignalingMessage, from id: SignalingConnectionID, unixTime: Int64) -> [SignalingOutput] {
        switch message {
        case .join(let peerID, let roomID, let token, let mode):
            return join(id, peerID: peerID, roomID: roomID, token: token, mode: mode, unixTime: unixTime)
        case .leave:
            guard connections[id]?.roomID != nil || connections[id]?.pendingJoin != nil else {
                return [reply(id, SignalingProtocolError(.notJoined, "\"leave\" before \"join\""))]
            }
            return leaveRoom(id)
        case .offer(let description, nil, _) where isInSFURoom(id),
             .answer(let description, nil, _) where isInSFURoom(id):
            return [.sfu(.description(description, from: id))]
        case .iceCandidate(let candidate, nil, _) where isInSFURoom(id):
            return [.sfu(.candidate(candidate, from: id))]
        case .maxResolution(let width, let height) where isInSFURoom(id):
            return [.sfu(.maxResolution(width: width, height: height, from: id))]
        case .maxResolution:
            return [reply(id, SignalingProtocolError(.invalidMessage, "\"max_resolution\" is for members of SFU rooms"))]
        case .offer(let description, let target, _):
            return relay(from: id, target: target, type: "offer") { .offer(description, from: $0) }
        case .answer(let description, let target, _):
            return relay(from: id, target: target, type: "answer") { .answer(description, from: $0) }
        case .iceCandidate(let candidate, let target, _):
            return relay(from: id, target: target, type: "ice_candidate") { .iceCandidate(candidate, from: $0) }
        case .roomPeers, .peerJoined, .peerLeft, .error, .shutdown, .speakerChanged, .redirect:
            return [reply(id, SignalingProtocolError(.unknownType, "\"\(message.type)\" is sent by the server, not by clients"))]
        }
    }

    /// Whether connection `id` is a member of an SFU room.
    private func isInSFURoom(_ id: SignalingConnectionID) -> Bool {
        guard let roomID = connections[id]?.roomID else { return false }
        return rooms[roomID]?.mode == .sfu
    }

    private mutating func join(_ id: SignalingConnectionID, peerID: String, roomID: String, token: String?,
                               mode: SignalingRoomMode, unixTime: Int64) -> [SignalingOutput] {
        if let current = connections[id]?.roomID ?? connections[id]?.pendingJoin?.roomID {
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
        if mode == .sfu, !configuration.sfuAvailable {
            return [reply(id, SignalingProtocolError(.sfuUnavailable, "this server runs no SFU; join room \"\(roomID)\" without \"mode\":\"sfu\""))]
        }
        if let existing = rooms[roomID]?.mode, existing != mode {
            return [reply(id, SignalingProtocolError(.roomModeMismatch,
                    "room \"\(roomID)\" is a \(existing.rawValue) room; join it with \"mode\":\"\(existing.rawValue)\""))]
        }
        if usesDirectory {
            return requestJoin(id, peerID: peerID, roomID: roomID, mode: mode)
        }
        var room = rooms[roomID] ?? Room(mode: mode)
        if room.members[peerID] != nil {
            return [reply(id, SignalingProtocolError(.duplicatePeerID, "peer id \"\(peerID)\" is already in room \"\(roomID)\""))]
        }
        if room.order.count >= configuration.maxRoomSize {
            return [reply(id, SignalingProtocolError(.roomFull, "room \"\(roomID)\" is full (\(configuration.maxRoomSize) peers)"))]
        }
        var outputs: [SignalingOutput] = [.send(.roomPeers(roomID: roomID, peers: room.order), to: id)]
        for other in room.order {
            if case .local(let otherID)? = room.members[other]?.location { outputs.append(.send(.peerJoined(peerID: peerID), to: otherID)) }
        }
        room.order.append(peerID)
        room.members[peerID] = Member(location: .local(id), seq: 0)
        rooms[roomID] = room
        connections[id]?.peerID = peerID
        connections[id]?.roomID = roomID
        peerCount += 1
        if mode == .sfu { outputs.append(.sfu(.join(id, roomID: roomID, peerID: peerID))) }
        return outputs
    }

    mutating func leaveRoom(_ id: SignalingConnectionID) -> [SignalingOutput] {
        if usesDirectory {
            // A join still on its way: forgetting it here makes its completion a leave.
            connections[id]?.pendingJoin = nil
            guard let connection = connections[id], let roomID = connection.roomID, let peerID = connection.peerID else { return [] }
            // Detached now (it can neither send nor receive); the room hears of it when the
            // directory reports the leave, in the cluster's order. Its SFU session ends now.
            connections[id]?.roomID = nil
            connections[id]?.peerID = nil
            peerCount -= 1
            let sfu: [SignalingOutput] = rooms[roomID]?.mode == .sfu ? [.sfu(.leave(id))] : []
            return sfu + [.directory(.leave(roomID: roomID, peerID: peerID))]
        }
        guard let connection = connections[id], let roomID = connection.roomID, let peerID = connection.peerID,
              var room = rooms[roomID] else { return [] }
        room.order.removeAll { $0 == peerID }
        room.members[peerID] = nil
        rooms[roomID] = room.order.isEmpty ? nil : room
        connections[id]?.roomID = nil
        connections[id]?.peerID = nil
        peerCount -= 1
        var outputs: [SignalingOutput] = room.mode == .sfu ? [.sfu(.leave(id))] : []
        for other in room.order {
            if case .local(let otherID)? = room.members[other]?.location { outputs.append(.send(.peerLeft(peerID: peerID), to: otherID)) }
        }
        return outputs
    }

    private mutating func relay(from id: SignalingConnectionID, target: String?, type: String,
                                make: (String) -> SignalingMessage) -> [SignalingOutput] {
        switch route(from: id, target: target, type: type) {
        case .success(let (destination, peerID)):
            relayed &+= 1
            switch destination {
            case .local(let targetID): return [.send(make(peerID), to: targetID)]
            case .remote(let instance, let roomID, let targetPeer):
                return [.sendRemote(make(peerID), instance: instance, roomID: roomID, target: targetPeer, origin: id)]
            }
        case .failure(let refused):
            return [refused.output]
        }
    }

    private enum Destination {
        case local(SignalingConnectionID)
        case remote(instance: String, roomID: String, peerID: String)
    }

    private struct Refused: Error { var output: SignalingOutput }

    /// The target's connection and the sender's peer id, or the error reply.
    private mutating func route(from id: SignalingConnectionID, target: String?, type: String)
        -> Result<(Destination, String), Refused> {
        guard let (roomID, peerID) = membership(of: id) else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.notJoined, "\"\(type)\" before \"join\""))))
        }
        guard let target else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.invalidMessage, "invalid \"\(type)\" message: missing field \"target\""))))
        }
        let roomIndex = rooms.index(forKey: roomID)
        if let roomIndex, rooms.values[roomIndex].mode == .sfu {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.invalidMessage,
                "in SFU room \"\(roomID)\" \"\(type)\" goes to the server: omit \"target\""))))
        }
        guard let roomIndex, let member = rooms.values[roomIndex].members[target], target != peerID else {
            return .failure(Refused(output: reply(id, SignalingProtocolError(.unknownTarget, "no peer \"\(target.prefix(64))\" in room \"\(roomID)\""))))
        }
        switch member.location {
        case .local(let targetID):
            // With a directory, a member that left is listed until the directory says so.
            if usesDirectory, !isAttached(targetID, roomID: roomID, peerID: target) {
                return .failure(Refused(output: reply(id, SignalingProtocolError(.unknownTarget, "no peer \"\(target.prefix(64))\" in room \"\(roomID)\""))))
            }
            return .success((.local(targetID), peerID))
        case .remote(let instance):
            return .success((.remote(instance: instance, roomID: roomID, peerID: target), peerID))
        }
    }

    func isAttached(_ id: SignalingConnectionID, roomID: String, peerID: String) -> Bool {
        guard let c = connections[id] else { return false }
        return c.roomID == roomID && c.peerID == peerID
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

    mutating func reply(_ id: SignalingConnectionID, _ error: SignalingProtocolError) -> SignalingOutput {
        errors &+= 1
        return .send(error.asMessage, to: id)
    }

    /// Refills and spends one token; returns outputs when the message must be dropped.
    private mutating func rateLimit(_ id: SignalingConnectionID, now: NIODeadline) -> [SignalingOutput]? {
        guard let index = connections.index(forKey: id) else { return [] }
        return connections.values[index].spendToken(now: now, limit: configuration.rateLimit) ? nil : refuseOverLimit(id)
    }

    /// Connection `id` had no token left: an error reply, and after too many in a row it
    /// leaves its room and is closed.
    private mutating func refuseOverLimit(_ id: SignalingConnectionID) -> [SignalingOutput] {
        let limit = configuration.rateLimit
        let error = reply(id, SignalingProtocolError(.rateLimited,
            "more than \(Int(limit.messagesPerSecond)) messages/s (burst \(Int(limit.burst))); message dropped"))
        if let c = connections[id], c.violations >= limit.maxViolations {
            var outputs = [error]
            outputs += leaveRoom(id)
            connections[id] = nil
            outputs.append(.close(id, reason: .rateLimited))
            return outputs
        }
        return [error]
    }
}
