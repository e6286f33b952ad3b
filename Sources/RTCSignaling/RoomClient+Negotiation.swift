import Logging
import RTCCore
import RTCSDP
import SwiftRTC

/// Negotiation: making a member's connection, offering it, answering the member's offers
/// (perfect negotiation: the polite side rolls back on glare; a new certificate is a new
/// connection that replaces ours), answers, and trickled candidates both ways.
extension RoomClient {
    func makePeer(_ id: String) async throws -> Peer {
        let servers = await iceServers()
        let (policy, trustRoots) = (configuration.iceTransportPolicy, configuration.turnTLSTrustRoots)
        let connection = try await webRTC.createPeerConnection {
            $0.iceServers += servers
            $0.iceTransportPolicy = policy
            $0.turnTLSTrustRoots = trustRoots
        }
        if isClosed {
            // close() ran while the connection was being created: it must not outlive the room.
            await connection.close()
            throw RoomError.closed
        }
        nextConnectionID += 1
        let peer = Peer(id: id, connectionID: nextConnectionID, connection: connection)
        peers[id] = peer
        let connectionID = peer.connectionID
        peer.channelTask = Task { [weak self] in
            for await event in connection.dataChannelEvents {
                guard let self else { return }
                await self.channelEvent(event, peer: id, connectionID: connectionID)
            }
            await self?.channelEventsEnded(peer: id, connectionID: connectionID)
        }
        peer.trackTask = forwardTracks(of: connection, peer: id)
        peer.iceTask = watchICE(of: connection, peer: id, connectionID: connectionID)
        return peer
    }

    func offer(to id: String) async {
        do {
            let peer = try await makePeer(id)
            peer.offeredByUs = true
            if let label = configuration.channelLabel {
                _ = try await peer.connection.createDataChannel(label, options: configuration.channelOptions)
            }
            try await addMedia(toOffer: peer.connection)
            let offer = try await peer.connection.createOffer()
            try await peer.connection.setLocalDescription(offer)
            try await signaling.sendOffer(offer, to: id)
            logger.debug("sent an offer", metadata: ["member": "\(id)", "pc": "\(peer.connection.logID)"])
            startTrickle(peer)
        } catch {
            logger.warning("offer failed", metadata: ["member": "\(id)", "error": "\(error)"])
        }
    }

    func receivedOffer(_ description: SessionDescription, from id: String) async {
        let fingerprint = (try? SDPDocument(parsing: description.sdp))?.firstCertificateFingerprint
        if let existing = peers[id] {
            let state = await existing.connection.signalingState
            if state == .haveLocalOffer {
                // Glare: both offered.
                glaresResolved += 1
                // The SFU is always the polite side: it rolls its offer back and answers ours.
                if isSFU || !Self.isPolite(local: localPeerID, remote: id) {
                    logger.info("glare: ignoring the offer (impolite)", metadata: ["member": "\(id)"])
                    existing.ignoringOffer = true
                    existing.pendingCandidates.removeAll()
                    return
                }
                logger.info("glare: dropping our offer and answering (polite)", metadata: ["member": "\(id)"])
                peers[id] = nil
                await shutDown(existing)
            } else if state == .stable, existing.remoteDescriptionSet, fingerprint == existing.remoteFingerprint {
                // Renegotiation on the same connection (e.g. a browser adding a video track, or
                // an ICE restart, which may allocate again: credentials about to expire are
                // fetched again first): answer it; unsupported m-sections are rejected.
                _ = await iceServers()
                if await answer(description, on: existing) { renegotiationsAnswered += 1 }
                return
            } else {
                // A new connection from that peer (it restarted): replace ours.
                logger.info("a new connection from a member replaces ours", metadata: ["member": "\(id)"])
                peers[id] = nil
                await shutDown(existing)
            }
        }
        if id != SignalingClient.server { addMember(id) }
        do {
            let peer = try await makePeer(id)
            await answer(description, on: peer)
            startTrickle(peer)
        } catch {
            logger.warning("cannot answer", metadata: ["member": "\(id)", "error": "\(error)"])
        }
    }

    /// Applies the member's offer or answer to its connection, remembers which connection made
    /// it (its certificate fingerprint) and adds the candidates that waited for it.
    private func applyRemote(_ description: SessionDescription, on peer: Peer) async throws {
        try await peer.connection.setRemoteDescription(description)
        peer.remoteDescriptionSet = true
        peer.remoteFingerprint = (try? SDPDocument(parsing: description.sdp))?.firstCertificateFingerprint
        peer.ignoringOffer = false
        await flushCandidates(peer)
    }

    @discardableResult
    func answer(_ description: SessionDescription, on peer: Peer) async -> Bool {
        do {
            try await applyRemote(description, on: peer)
            // The SFU's offers bring other members' tracks; ours are on the transceivers we offered.
            if !isSFU { try await attachMedia(toAnswer: peer.connection) }
            let answer = try await peer.connection.createAnswer()
            try await peer.connection.setLocalDescription(answer)
            try await signaling.sendAnswer(answer, to: peer.id)
            logger.debug("sent an answer", metadata: ["member": "\(peer.id)", "pc": "\(peer.connection.logID)"])
            return true
        } catch {
            logger.warning("answering failed", metadata: ["member": "\(peer.id)", "error": "\(error)"])
            return false
        }
    }

    func receivedAnswer(_ description: SessionDescription, from id: String) async {
        guard let peer = peers[id], await peer.connection.signalingState == .haveLocalOffer else {
            logger.debug("ignoring an answer with no offer outstanding", metadata: ["member": "\(id)"])
            return
        }
        do {
            try await applyRemote(description, on: peer)
        } catch {
            logger.warning("applying the answer failed", metadata: ["member": "\(id)", "error": "\(error)"])
        }
    }

    func receivedCandidate(_ candidate: ICECandidateInit, from id: String) async {
        guard let peer = peers[id], !peer.ignoringOffer else { return }
        guard peer.remoteDescriptionSet else {
            peer.pendingCandidates.append(candidate)
            return
        }
        await add(candidate, to: peer)
    }

    func flushCandidates(_ peer: Peer) async {
        let pending = peer.pendingCandidates
        peer.pendingCandidates.removeAll()
        for candidate in pending { await add(candidate, to: peer) }
    }

    func add(_ candidate: ICECandidateInit, to peer: Peer) async {
        do {
            try await peer.connection.addIceCandidate(candidate)
        } catch {
            logger.debug("remote candidate not usable", metadata: ["member": "\(peer.id)", "error": "\(error)"])
        }
    }

    /// Forwards local candidates once the description they belong to has been sent.
    func startTrickle(_ peer: Peer) {
        guard peer.candidateTask == nil else { return }
        let connection = peer.connection
        let signaling = signaling
        let id = peer.id
        let logger = logger
        peer.candidateTask = Task {
            for await candidate in connection.iceCandidates {
                do {
                    try await signaling.sendCandidate(candidate, to: id)
                } catch {
                    logger.debug("candidate not sent", metadata: ["member": "\(id)", "error": "\(error)"])
                }
            }
        }
    }
}
