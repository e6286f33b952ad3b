import Logging
import SwiftRTC

/// Connections that heal themselves. A connection whose consent checks go unanswered for a
/// few seconds goes `disconnected` (RFC 7675): the peer's address changed, a network went
/// away, or a NAT binding expired. The side that made the connection's first offer then
/// restarts ICE (W3C `restartIce()`, RFC 8445 §9): the restart offer carries new credentials,
/// both sides gather again on the interfaces they have now (a moved peer signals its new
/// address), and DTLS, SCTP and the data channels carry on over the new pair — a transfer in
/// progress completes. While the connection stays disconnected the restart is offered again
/// every ``RoomClient/iceRestartInterval``. A connection that went `failed` after having
/// connected (its consent expired, its channels are closed) is replaced by a new one offered
/// by the same side; in an SFU room so is one that failed before connecting (the server
/// replaces its session for the member when the new connection's offer arrives). The answering side needs nothing: a restart offer is a renegotiation of
/// the existing connection.
extension RoomClient {
    /// How long a restart offer is given before it is sent again while the connection stays
    /// disconnected (an offer or its answer may be lost with the network that went away).
    public static let iceRestartInterval: Duration = .seconds(8)

    /// Reads `connection`'s ICE states and reacts to them while it is this member's connection.
    nonisolated func watchICE(of connection: PeerConnection, peer id: String, connectionID: Int) -> Task<Void, Never> {
        Task { [weak self] in
            for await state in connection.iceConnectionStateUpdates {
                guard let self else { return }
                await self.iceStateChanged(state, peer: id, connectionID: connectionID)
            }
        }
    }

    private func iceStateChanged(_ state: ICEConnectionState, peer id: String, connectionID: Int) async {
        guard !isClosed, let peer = peers[id], peer.connectionID == connectionID else { return }
        switch state {
        case .connected, .completed:
            peer.wasConnected = true
            if peer.restartTask != nil {
                logger.info("connection recovered", metadata: ["member": "\(id)", "pc": "\(peer.connection.logID)"])
            }
            peer.restartTask?.cancel()
            peer.restartTask = nil
        case .disconnected:
            guard peer.offeredByUs, peer.restartTask == nil else { return }
            logger.info("connection disconnected: restarting ICE", metadata: ["member": "\(id)", "pc": "\(peer.connection.logID)"])
            peer.restartTask = Task { [weak self] in
                while !Task.isCancelled {
                    guard let self, await self.sendRestartOffer(peer: id, connectionID: connectionID) else { return }
                    try? await Task.sleep(for: Self.iceRestartInterval)
                }
            }
        case .failed:
            peer.restartTask?.cancel()
            peer.restartTask = nil
            // In a mesh, a connection that never connected is left failed (the member is not
            // reachable; offering again would only fail again). The SFU is reachable by design:
            // a failure there (a loaded server, a lost path) is worth a new connection.
            guard peer.offeredByUs, peer.wasConnected || isSFU else { return }
            logger.warning("connection failed: replacing it with a new one", metadata: ["member": "\(id)", "pc": "\(peer.connection.logID)"])
            await replaceConnection(to: id)
        default:
            break
        }
    }

    /// Closes the connection to `id` and offers a new one (a new certificate, so the other side
    /// — a member, or the SFU — tells it from a renegotiation and replaces its own).
    func replaceConnection(to id: String) async {
        if let peer = peers[id] {
            peers[id] = nil
            await shutDown(peer)
        }
        // In an SFU room the one connection is to the server, which is no member.
        let stillThere = isSFU ? id == SignalingClient.server : members.contains(id)
        guard !isClosed, peers[id] == nil, stillThere else { return }
        connectionsReplaced += 1
        await offer(to: id)
    }

    /// Sends an ICE restart offer on the member's connection; false when there is nothing to
    /// restart any more (the connection was replaced, closed or recovered).
    private func sendRestartOffer(peer id: String, connectionID: Int) async -> Bool {
        guard !isClosed, let peer = peers[id], peer.connectionID == connectionID else { return false }
        let connection = peer.connection
        let state = await connection.iceConnectionState
        guard state == .disconnected || state == .checking else { return false }
        // An offer of ours (a previous restart) may be outstanding: it is rolled back and
        // replaced, since its answer may never come.
        do {
            if await connection.signalingState == .haveLocalOffer {
                try await connection.setLocalDescription(SessionDescription(type: .rollback, sdp: ""))
            }
            guard await connection.signalingState == .stable else { return true }
            _ = await iceServers()  // credentials about to expire are fetched again first
            try await connection.restartIce()
            let offer = try await connection.createOffer()
            try await connection.setLocalDescription(offer)
            try await signaling.sendOffer(offer, to: id)
            iceRestartsSent += 1
            logger.debug("sent an ICE restart offer", metadata: ["member": "\(id)", "pc": "\(connection.logID)"])
        } catch {
            logger.warning("ICE restart failed", metadata: ["member": "\(id)", "pc": "\(connection.logID)", "error": "\(error)"])
        }
        return true
    }
}
