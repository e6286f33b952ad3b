import NIOCore
import RTCCore
import RTCRTP
import RTCSession

/// A published transceiver: its router track, its audio level extension and, in a room, where
/// its levels go.
struct SFUPublication {
    var track: SFUTrackID
    /// The room whose active speaker this track's audio levels help elect.
    var room: SFURoomID?
    /// The negotiated audio-level extension id: 0 until the first packet, `0xFF` for none.
    var audioLevelID: UInt8 = 0
    /// The simulcast layers' rids, in the router's layer order; empty without simulcast.
    var rids: [String] = []
    /// The negotiated RtpStreamId extension id: 0 until needed, `0xFF` for none.
    var ridID: UInt8 = 0
    /// The layer of each SSRC seen, learnt from the rid its first packets carry (RFC 8852).
    var ssrcLayers: [(ssrc: UInt32, layer: Int)] = []
    /// Whether key frames state their size (VP8).
    var isVP8 = false
    /// Bytes per layer since the last review.
    var layerBytes: [Int]
    /// Each layer's picture size from its last key frame.
    var layerSizes: [SFUPictureSize?]
    /// Each layer's bitrate at the last review.
    var measurements: [SFULayerMeasurement] = []

    init(track: SFUTrackID, room: SFURoomID?, rids: [String], isVP8: Bool) {
        self.track = track
        self.room = room
        self.rids = rids
        self.isVP8 = isVP8
        layerBytes = Array(repeating: 0, count: max(1, rids.count))
        layerSizes = Array(repeating: nil, count: max(1, rids.count))
    }
}

/// One track published in a room.
struct SFURoomTrack {
    var owner: SFUSessionKey
    var codec: RTPCodec
    /// The MediaStream id the other members receive it under (`a=msid`): its owner's.
    var streamID: String
}

/// One room: its members in joining order, its tracks in publishing order, its speaker.
struct SFURoomState {
    var members: [SFUSessionKey] = []
    var tracks: [SFUTrackID: SFURoomTrack] = [:]
    var trackOrder: [SFUTrackID] = []
    var speaker: SFUActiveSpeakerDetector<SFUSessionKey>
}

/// One member: its room, its open data channels, the transceivers that send it other members'
/// tracks and the tracks still to add.
struct SFUMemberState {
    var room: SFURoomID
    /// The MediaStream id the member's tracks reach the others under.
    var streamID: String
    /// Open data channels: handle → label.
    var channels: [Int: String] = [:]
    /// Other members' tracks this member receives: track → sending transceiver's handle.
    var outgoing: [SFUTrackID: Int] = [:]
    /// Tracks to add transceivers for once signaling allows.
    var pending: [SFUTrackID] = []
}

extension SFUCore {
    // MARK: Rooms

    /// Makes a session a member of `room` (created with its first member): every track the
    /// room's other members publish will be sent to it on transceivers the server adds (and
    /// offers, once the member's first negotiation is complete), each track it receives — from
    /// now, or already — is published to the others, and its data-channel messages are relayed
    /// to the other members' channels of the same label. Join before applying the member's
    /// first offer. A member whose connection fails or closes leaves by itself (the event still
    /// comes out: remove the session then). The other members receive its tracks in the
    /// MediaStream `streamID` (`a=msid`; `member-<key>` when nil), which tells them whose they are.
    /// The transceivers that send a member's audio to the others negotiate the audio level
    /// extension (RFC 6464) and carry on the level of each packet that has one.
    ///
    /// - Throws: ``SFUCoreError/unknownSession(_:)``, ``SFUCoreError/alreadyInRoom(_:_:)``,
    ///   ``SFUCoreError/roomFull(_:limit:)`` (the session is left alone: close and remove it).
    public mutating func join(_ key: SFUSessionKey, room: SFURoomID, streamID: String? = nil,
                              now: NIODeadline) throws(SFUCoreError) {
        guard let session = sessions.session(key) else { throw .unknownSession(key) }
        if let member = members[key] { throw .alreadyInRoom(key, member.room) }
        var state = rooms[room] ?? SFURoomState(speaker: SFUActiveSpeakerDetector(configuration: roomConfiguration.activeSpeaker))
        guard state.members.count < roomConfiguration.maximumMembers else {
            throw .roomFull(room, limit: roomConfiguration.maximumMembers)
        }
        state.members.append(key)
        rooms[room] = state
        var member = SFUMemberState(room: room, streamID: streamID ?? "member-\(key.rawValue)")
        member.pending = state.trackOrder
        members[key] = member
        for info in session.transceiverInfos where !info.isStopped && info.currentDirection?.receives == true {
            publishMemberTrack(of: key, handle: info.handle, kind: info.kind)
        }
        unsettledMembers.insert(key)
        process(now: now)
    }

    /// Takes a member out of its room: its tracks are unpublished, and every other member's
    /// transceivers for them are stopped and offered away (``SFURoomEvent/offer(_:_:)``). The
    /// session stays (``removeSession(_:now:)`` also leaves).
    public mutating func leave(_ key: SFUSessionKey, now: NIODeadline) {
        leaveRoom(key, now: now)
        process(now: now)
    }

    /// The members of a room, in joining order.
    public func members(of room: SFURoomID) -> [SFUSessionKey] { rooms[room]?.members ?? [] }

    /// The room a session is a member of.
    public func room(of key: SFUSessionKey) -> SFURoomID? { members[key]?.room }

    /// A room's dominant speaker now.
    public func activeSpeaker(of room: SFURoomID) -> SFUSessionKey? { rooms[room]?.speaker.speaker }

    /// Applies a member's description with the rules of perfect negotiation (W3C webrtc-pc
    /// §10.7), the server being the polite peer: an offer that crosses the server's own
    /// (glare) rolls the server's back (offered again once stable), an answer to an offer the
    /// server rolled back is ignored. The answer to an offer comes out as
    /// ``SFURoomEvent/answer(_:_:)``, before any offer the change leads to.
    ///
    /// - Throws: ``SFUCoreError/unknownSession(_:)``; ``SFUCoreError/negotiation(_:_:)`` when the
    ///   session refuses the description.
    public mutating func handleRemoteDescription(_ description: SessionDescription, from key: SFUSessionKey,
                                                 now: NIODeadline) throws(SFUCoreError) {
        var rolledBack = false
        let result: SessionDescription??
        do throws(SessionError) {
            result = try sessions.withSession(key) { s throws(SessionError) -> SessionDescription? in
                if description.type == .offer {
                    if s.signalingState == .haveLocalOffer {
                        try s.setLocalDescription(SessionDescription(type: .rollback, sdp: ""), now: now)
                        rolledBack = true
                    }
                    try s.setRemoteDescription(description, now: now)
                    try s.setLocalDescription(try s.createAnswer(), now: now)
                    return s.localDescription
                }
                // An answer to an offer we rolled back (or a stray one): ignored.
                guard s.signalingState == .haveLocalOffer || s.signalingState == .haveRemotePranswer else { return nil }
                try s.setRemoteDescription(description, now: now)
                return nil
            }
        } catch {
            process(now: now)
            throw .negotiation(key, error)
        }
        guard let result else { throw .unknownSession(key) }
        if rolledBack { roomStatistics.rollbacks += 1 }
        if let answer = result { events.append(.room(.answer(key, answer))) }
        if members[key] != nil { unsettledMembers.insert(key) }
        process(now: now)
    }

    // MARK: Inside

    /// Takes a member out of its room (without processing).
    mutating func leaveRoom(_ key: SFUSessionKey, now: NIODeadline) {
        guard let member = members.removeValue(forKey: key) else { return }
        unsettledMembers.remove(key)
        guard let state = rooms[member.room] else { return }
        rooms[member.room]?.members.removeAll { $0 == key }
        if let change = rooms[member.room]?.speaker.remove(key) {
            events.append(.room(.activeSpeakerChanged(member.room, change)))
        }
        for track in state.trackOrder where state.tracks[track]?.owner == key { retire(track, in: member.room, now: now) }
        for handle in member.outgoing.values {
            if let leg = subscriptionOf[SFUTransceiver(session: key, handle: handle)] { unsubscribe(leg) }
        }
        if rooms[member.room]?.members.isEmpty ?? false { rooms[member.room] = nil }
    }

    /// Publishes a member's received track to its room and queues it for the other members.
    mutating func publishMemberTrack(of key: SFUSessionKey, handle: Int, kind: RTPCodec.Kind) {
        guard let room = members[key]?.room, let streamID = members[key]?.streamID else { return }
        let codec = kind == .video ? roomConfiguration.videoCodec : roomConfiguration.audioCodec
        let transceiver = SFUTransceiver(session: key, handle: handle)
        guard published[transceiver] == nil, let track = try? publishTrack(transceiver, codec: codec, room: room) else { return }
        rooms[room]?.tracks[track] = SFURoomTrack(owner: key, codec: codec, streamID: streamID)
        rooms[room]?.trackOrder.append(track)
        events.append(.room(.published(room, key, track, kind)))
        for other in rooms[room]?.members ?? [] where other != key {
            members[other]?.pending.append(track)
            unsettledMembers.insert(other)
        }
    }

    /// Unpublishes a room's track and stops every member's transceiver sending it.
    mutating func retire(_ track: SFUTrackID, in room: SFURoomID, now: NIODeadline) {
        guard let info = rooms[room]?.tracks.removeValue(forKey: track) else { return }
        rooms[room]?.trackOrder.removeAll { $0 == track }
        unpublish(track)
        events.append(.room(.unpublished(room, info.owner, track)))
        for other in rooms[room]?.members ?? [] {
            members[other]?.pending.removeAll { $0 == track }
            guard let handle = members[other]?.outgoing.removeValue(forKey: track) else { continue }
            if let leg = subscriptionOf[SFUTransceiver(session: other, handle: handle)] { unsubscribe(leg) }
            _ = sessions.withSession(other) { s in try? s.stopTransceiver(handle, now: now) }
            unsettledMembers.insert(other)
        }
    }

    /// What a room does with a member's event; false when the event is consumed.
    mutating func roomHandles(_ tagged: SFUSessionEvent<SessionEvent>, now: NIODeadline) -> Bool {
        let key = tagged.session
        switch tagged.event {
        case .media(.trackAdded(let remote)):
            publishMemberTrack(of: key, handle: remote.handle, kind: remote.kind)
        case .media(.trackEnded(let handle)):
            if let publication = published[SFUTransceiver(session: key, handle: handle)], let room = members[key]?.room {
                retire(publication.track, in: room, now: now)
            }
        case .dataChannel(.opened(let info)):
            members[key]?.channels[info.handle] = info.label
        case .dataChannel(.closed(let handle)):
            members[key]?.channels[handle] = nil
        case .dataChannel(.message(let handle, let message)):
            relay(message, from: key, on: handle, now: now)
        case .negotiationNeeded:
            unsettledMembers.insert(key)
            return false
        case .signalingStateChanged(.stable):
            unsettledMembers.insert(key)
        case .connectionStateChanged(.failed), .connectionStateChanged(.closed):
            // Gone (close_notify, consent expired, DTLS failed): out of the room, so the others
            // stop receiving for it; the owner removes the session on this event.
            leaveRoom(key, now: now)
        default:
            break
        }
        return true
    }

    /// Sends a member's message on every other member's open channel of the same label, unless
    /// that channel has more than the configured amount buffered (dropped and counted).
    mutating func relay(_ message: DataChannelMessage, from key: SFUSessionKey, on handle: Int, now: NIODeadline) {
        guard let member = members[key], let label = member.channels[handle], let room = rooms[member.room] else { return }
        let limit = roomConfiguration.maximumRelayBufferedBytes
        for other in room.members where other != key {
            for (channel, otherLabel) in members[other]?.channels ?? [:] where otherLabel == label {
                let sent = sessions.withSession(other) { s -> Bool in
                    guard s.bufferedAmount(of: channel) <= limit else { return false }
                    do { try s.send(message, on: channel, now: now) } catch { return false }
                    return true
                } ?? false
                if sent { roomStatistics.messagesRelayed += 1 } else { roomStatistics.messagesDropped += 1 }
            }
        }
    }

    /// Adds the transceivers members wait for and offers every member whose session is stable
    /// and needs a negotiation.
    mutating func settleMembers(now: NIODeadline) {
        let keys = unsettledMembers
        unsettledMembers.removeAll()
        for key in keys {
            guard let member = members[key], let room = rooms[member.room] else { continue }
            let wanted: [(SFUTrackID, SFURoomTrack)] = member.pending.compactMap { track in room.tracks[track].map { (track, $0) } }
            let done = sessions.withSession(key) { s -> (added: [(SFUTrackID, Int)], offer: SessionDescription?)? in
                // Before its first negotiation, or while its offer is applied, a new transceiver
                // could be taken for one of the member's own m-sections: wait.
                guard s.remoteDescription != nil, s.signalingState == .stable || s.signalingState == .haveLocalOffer else { return nil }
                var added: [(SFUTrackID, Int)] = []
                for (track, info) in wanted {
                    // Audio offers the level extension: each forwarded packet carries its
                    // publisher's level, if it has one.
                    let sender = SessionMediaSender(trackID: "track-\(track.rawValue)", streamIDs: [info.streamID],
                                                    codec: info.codec, sendsAudioLevel: info.codec.kind == .audio)
                    if let handle = try? s.addTransceiver(kind: info.codec.kind, direction: .sendonly, sender: sender, now: now) {
                        added.append((track, handle))
                    }
                }
                guard s.signalingState == .stable, s.isNegotiationNeeded else { return (added, nil) }
                do {
                    try s.setLocalDescription(try s.createOffer(), now: now)
                } catch {
                    return (added, nil)
                }
                return (added, s.localDescription)
            }
            guard let done = done ?? nil else { continue }
            members[key]?.pending.removeAll()
            for (track, handle) in done.added {
                members[key]?.outgoing[track] = handle
                _ = try? subscribeLeg(SFUTransceiver(session: key, handle: handle), to: track, now: now)
            }
            if let offer = done.offer {
                roomStatistics.offersSent += 1
                events.append(.room(.offer(key, offer)))
            }
        }
    }

    /// The simulcast layer of a published transceiver's packet: by its SSRC once learnt, else by
    /// the rid it carries (RFC 8852 §3.1); nil when neither says.
    mutating func simulcastLayer(of packet: RTPPacket, on transceiver: SFUTransceiver) -> Int? {
        guard var publication = published[transceiver] else { return nil }
        let ssrc = packet.header.ssrc
        if let known = publication.ssrcLayers.first(where: { $0.ssrc == ssrc }) { return known.layer }
        if publication.ridID == 0 {
            publication.ridID = sessions.session(transceiver.session)?
                .headerExtensionID(RTPHeaderExtensionURI.rtpStreamID, on: transceiver.handle) ?? 0xFF
            published[transceiver] = publication
        }
        guard publication.ridID != 0xFF, let element = packet.header.headerExtension?.element(id: publication.ridID),
              let layer = publication.rids.firstIndex(of: element.text) else { return nil }
        publication.ssrcLayers.append((ssrc, layer))
        published[transceiver] = publication
        return layer
    }

    // MARK: Simulcast

    /// The simulcast layers (rids, RFC 8851) of a published track, in layer order; empty
    /// without simulcast (the publisher's session must accept it: `SessionConfiguration.acceptsSimulcast`).
    public func rids(of track: SFUTrackID) -> [String] { router.layers(of: track)?.compactMap(\.rid) ?? [] }

    /// A room member's subscription to a track (the leg the server made for it).
    public func subscription(of member: SFUSessionKey, to track: SFUTrackID) -> SFUSubscriptionID? {
        guard let handle = members[member]?.outgoing[track] else { return nil }
        return subscriptionOf[SFUTransceiver(session: member, handle: handle)]
    }

    /// Makes a subscription forward another simulcast layer of its track (by rid) from that
    /// layer's next key frame, asked for now; the subscriber's stream goes on without a gap.
    /// The subscription stays on that layer (no automatic choice) until
    /// ``selectLayerAutomatically(for:)``.
    ///
    /// - Throws: ``SFUCoreError/unknownLayer(_:)``; ``SFUCoreError/router(_:)``.
    public mutating func selectLayer(_ rid: String, for leg: SFUSubscriptionID, now: NIODeadline) throws(SFUCoreError) {
        guard let source = router.pendingSource(of: leg) ?? router.currentSource(of: leg) else {
            throw .router(.unknownSubscription(leg))
        }
        guard let layer = rids(of: source.track).firstIndex(of: rid) else { throw .unknownLayer(rid) }
        do { try router.selectLayer(layer, for: leg, now: now) } catch { throw .router(error) }
        pinnedLegs.insert(leg)
        process(now: now)
    }

    /// The audio level (RFC 6464) a publisher's packet carries, nil without one. `extensionID` is
    /// the publication's `audioLevelID`; the first packet of a publication finds the negotiated
    /// id (or that there is none).
    mutating func audioLevel(of packet: RTPPacket, extensionID: UInt8, on transceiver: SFUTransceiver) -> RTPAudioLevel? {
        var id = extensionID
        if id == 0 {
            // Packets flow only once negotiation settled, so the first one finds the id or none.
            id = sessions.session(transceiver.session)?
                .headerExtensionID(RTPHeaderExtensionURI.audioLevel, on: transceiver.handle) ?? 0xFF
            published[transceiver]?.audioLevelID = id
        }
        guard id != 0xFF else { return nil }
        return packet.header.headerExtension?.element(id: id)?.audioLevel
    }

    /// Feeds a room's active-speaker detector with a member's audio level.
    mutating func observeAudioLevel(_ level: RTPAudioLevel, from member: SFUSessionKey, in room: SFURoomID, now: NIODeadline) {
        guard let changed = rooms[room]?.speaker.observe(member, level: level.level, now: now) else { return }
        events.append(.room(.activeSpeakerChanged(room, changed)))
    }
}
