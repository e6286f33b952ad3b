import NIOCore
import RTCSignaling

// The hub's side of a shared room directory (several server instances, `docs/cluster.md`):
// what the directory reports, and the join requests the hub sends it.
extension SignalingHub {
    /// The directory is reachable (again) and this instance is registered in it as `instance`;
    /// `members` is every member of every room at that moment. Call it before any other
    /// directory event, and after ``directoryLost()`` (the hub then has no members of its own).
    public mutating func directoryReset(instance: String, members: [SignalingDirectoryMember]) {
        directoryInstance = instance
        rooms.removeAll()
        memberCount = 0
        for member in members.sorted(by: { $0.seq < $1.seq }) {
            var room = rooms[member.roomID] ?? Room(mode: member.mode)
            guard room.members[member.peerID] == nil else { continue }
            room.order.append(member.peerID)
            room.members[member.peerID] = Member(location: .remote(member.instance), seq: member.seq)
            rooms[member.roomID] = room
            memberCount += 1
        }
    }

    /// The directory stored a join (of any instance, in the cluster's order): the room's
    /// other local members get `peer_joined`; when it is this instance's pending join, the
    /// joiner gets `room_peers` (and, in an SFU room, the SFU is asked to take it). A join
    /// whose connection left or closed meanwhile is undone (a
    /// ``SignalingDirectoryRequest/leave(roomID:peerID:)`` output).
    public mutating func directoryJoined(_ member: SignalingDirectoryMember) -> [SignalingOutput] {
        var room = rooms[member.roomID] ?? Room(mode: member.mode)
        if let existing = room.members[member.peerID] {
            // Already known (the same join reported twice): nothing changes.
            if existing.seq == member.seq { return [] }
            room.order.removeAll { $0 == member.peerID }
            memberCount -= 1
        }
        var outputs: [SignalingOutput] = []
        let isMine = member.instance == directoryInstance
        var joiner: SignalingConnectionID?
        if isMine, let pending = connections[member.connection]?.pendingJoin,
           pending.roomID == member.roomID, pending.peerID == member.peerID {
            joiner = member.connection
            outputs.append(.send(.roomPeers(roomID: member.roomID, peers: room.order), to: member.connection))
        }
        for other in room.order {
            if case .local(let otherID)? = room.members[other]?.location, isAttached(otherID, roomID: member.roomID, peerID: other) {
                outputs.append(.send(.peerJoined(peerID: member.peerID), to: otherID))
            }
        }
        room.order.append(member.peerID)
        room.members[member.peerID] = Member(location: isMine ? .local(member.connection) : .remote(member.instance), seq: member.seq)
        rooms[member.roomID] = room
        memberCount += 1
        if let joiner {
            connections[joiner]?.pendingJoin = nil
            connections[joiner]?.roomID = member.roomID
            connections[joiner]?.peerID = member.peerID
            peerCount += 1
            if room.mode == .sfu { outputs.append(.sfu(.join(joiner, roomID: member.roomID, peerID: member.peerID))) }
        } else if isMine {
            outputs.append(.directory(.leave(roomID: member.roomID, peerID: member.peerID)))
        }
        return outputs
    }

    /// The directory refused this instance's pending join of connection `id` (duplicate peer
    /// id, room full, or the directory is unavailable).
    public mutating func directoryJoinRefused(_ id: SignalingConnectionID, error: SignalingProtocolError) -> [SignalingOutput] {
        guard connections[id]?.pendingJoin != nil else { return [] }
        connections[id]?.pendingJoin = nil
        if error.code == .unavailable {
            return dropUnavailable(id, message: error.message)
        }
        return [reply(id, error)]
    }

    /// The directory sent this instance's pending join of connection `id` elsewhere: SFU room
    /// `roomID` has its home on another instance, whose clients connect at `url`. The client
    /// gets `redirect` (nothing was joined; its connection stays open).
    public mutating func directoryJoinRedirected(_ id: SignalingConnectionID, roomID: String, url: String) -> [SignalingOutput] {
        guard let pending = connections[id]?.pendingJoin, pending.roomID == roomID else { return [] }
        connections[id]?.pendingJoin = nil
        return [.send(.redirect(roomID: roomID, url: url), to: id)]
    }

    /// The directory removed a member (it left, disconnected, or its instance died): the
    /// room's local members get `peer_left`. `seq` is that member's join ``SignalingDirectoryMember/seq``;
    /// a stale report (another membership of the same peer id) changes nothing.
    public mutating func directoryLeft(roomID: String, peerID: String, seq: Int64) -> [SignalingOutput] {
        guard var room = rooms[roomID], let member = room.members[peerID], member.seq == seq else { return [] }
        room.order.removeAll { $0 == peerID }
        room.members[peerID] = nil
        rooms[roomID] = room.order.isEmpty ? nil : room
        memberCount -= 1
        var outputs: [SignalingOutput] = []
        if case .local(let id) = member.location, isAttached(id, roomID: roomID, peerID: peerID) {
            // Removed behind our back (this instance was presumed dead): the client must join again.
            connections[id]?.roomID = nil
            connections[id]?.peerID = nil
            peerCount -= 1
            if room.mode == .sfu { outputs.append(.sfu(.leave(id))) }
            outputs += dropUnavailable(id, message: "this server lost its membership in the room directory; reconnect and join again")
        }
        for other in room.order {
            if case .local(let otherID)? = room.members[other]?.location, isAttached(otherID, roomID: roomID, peerID: other) {
                outputs.append(.send(.peerLeft(peerID: peerID), to: otherID))
            }
        }
        return outputs
    }

    /// The directory became unreachable: no joins until ``directoryReset(instance:members:)``;
    /// every client in a room (or joining one) is told `unavailable` and disconnected, so it
    /// reconnects — perhaps to another instance — and joins again. Clients outside rooms stay.
    public mutating func directoryLost(message: String = "the room directory is unavailable; reconnect and join again") -> [SignalingOutput] {
        directoryInstance = nil
        var outputs: [SignalingOutput] = []
        for id in connections.keys.sorted() where connections[id]?.roomID != nil || connections[id]?.pendingJoin != nil {
            if let roomID = connections[id]?.roomID, rooms[roomID]?.mode == .sfu { outputs.append(.sfu(.leave(id))) }
            outputs += dropUnavailable(id, message: message)
        }
        rooms.removeAll()
        peerCount = 0
        memberCount = 0
        return outputs
    }

    /// The local connection of member `peerID` of `roomID`, when it is this instance's client
    /// and still in the room (where a message relayed from another instance goes).
    public func localConnection(roomID: String, peerID: String) -> SignalingConnectionID? {
        guard case .local(let id)? = rooms[roomID]?.members[peerID]?.location,
              isAttached(id, roomID: roomID, peerID: peerID) else { return nil }
        return id
    }

    /// Another instance could not deliver what connection `id` sent (or the directory could
    /// not carry it): the client gets `error` as if this instance had refused the message.
    public mutating func remoteRefused(_ id: SignalingConnectionID, error: SignalingProtocolError) -> [SignalingOutput] {
        guard connections[id] != nil else { return [] }
        return [reply(id, error)]
    }

    mutating func requestJoin(_ id: SignalingConnectionID, peerID: String, roomID: String, mode: SignalingRoomMode) -> [SignalingOutput] {
        guard directoryInstance != nil else {
            return dropUnavailable(id, message: "the room directory is unavailable; reconnect and join again")
        }
        // The directory decides; these checks only spare it requests it would refuse.
        if let room = rooms[roomID] {
            if room.members[peerID] != nil {
                return [reply(id, SignalingProtocolError(.duplicatePeerID, "peer id \"\(peerID)\" is already in room \"\(roomID)\""))]
            }
            if room.order.count >= configuration.maxRoomSize {
                return [reply(id, SignalingProtocolError(.roomFull, "room \"\(roomID)\" is full (\(configuration.maxRoomSize) peers)"))]
            }
        }
        connections[id]?.pendingJoin = (roomID, peerID)
        return [.directory(.join(id, roomID: roomID, peerID: peerID, mode: mode))]
    }

    /// `unavailable` to connection `id`, then close it (the hub forgets it; a member's leave
    /// goes to the directory).
    mutating func dropUnavailable(_ id: SignalingConnectionID, message: String) -> [SignalingOutput] {
        var outputs = [reply(id, SignalingProtocolError(.unavailable, message))]
        if directoryInstance != nil { outputs += leaveRoom(id) }
        connections[id] = nil
        outputs.append(.close(id, reason: .unavailable))
        return outputs
    }
}
