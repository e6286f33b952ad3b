import SwiftRTC

extension RoomClient {
    /// In an SFU room: asks the server to send simulcast tracks in layers no larger than
    /// `width` × `height` pixels (nil, nil: any size again) — a small tile needs no full-size
    /// layer. The server also keeps within the bandwidth it sees to us. Kept and asked again
    /// after a reconnect.
    ///
    /// - Throws: ``RoomError/notSFURoom`` in a mesh room; `SignalingClientError` when it cannot
    ///   be sent now (it is still sent after the next join).
    public func setMaximumResolution(width: Int?, height: Int?) async throws {
        guard isSFU else { throw RoomError.notSFURoom }
        maximumResolution = width.flatMap { w in height.map { (w, $0) } }
        if joinedPeers != nil { try await signaling.send(.maxResolution(width: width, height: height)) }
    }

    /// A member's track arriving or ending (``RoomClient/remoteTracks``).
    public struct PeerTrack: Sendable {
        /// The member at the other end.
        public let peerID: String
        /// `.add(track)` or `.remove(track)`.
        public let event: TrackEvent
    }

    /// Our tracks and, when receiving, `recvonly` sections for the kinds we do not send: what an
    /// offer of ours carries (`play` offers sendonly tracks, `record` recvonly transceivers).
    func addMedia(toOffer connection: PeerConnection) async throws {
        let streamID = configuration.mediaStreamID ?? localPeerID
        var sent: Set<RTPCodec.Kind> = []
        for track in configuration.tracks {
            let sender = try await connection.addTrack(track, streamIDs: [streamID])
            _ = sender
            sent.insert(track.kind)
        }
        // The SFU offers the members' tracks itself: nothing to ask for.
        for transceiver in await connection.transceivers where !configuration.receivesMedia || isSFU {
            // Sending only: a member's answer cannot make us receive what we will not play.
            try await transceiver.setDirection(.sendonly)
        }
        guard configuration.receivesMedia, !isSFU else { return }
        for kind in [RTPCodec.Kind.audio, .video] where !sent.contains(kind) {
            _ = try await connection.addTransceiver(kind: kind, direction: .recvonly)
        }
    }

    /// Attaches our tracks to the m-sections of a member's offer that can take them (its
    /// `recvonly` or `sendrecv` audio/video); an offer with none gets an answer without them.
    func attachMedia(toAnswer connection: PeerConnection) async throws {
        let streamID = configuration.mediaStreamID ?? localPeerID
        for track in configuration.tracks {
            _ = try await connection.attachTrack(track, streamIDs: [streamID])
        }
    }

    /// Forwards a connection's track events to ``RoomClient/remoteTracks`` with the member's id
    /// (on the SFU's connection, the MediaStream id it sends a member's tracks in: its peer id).
    nonisolated func forwardTracks(of connection: PeerConnection, peer id: String) -> Task<Void, Never> {
        let sink = trackSink
        return Task {
            for await event in connection.trackEvents {
                guard id == SignalingClient.server else {
                    sink.yield(PeerTrack(peerID: id, event: event))
                    continue
                }
                let track: RemoteTrack = switch event {
                case .add(let track), .remove(let track): track
                }
                sink.yield(PeerTrack(peerID: track.streamIDs.first ?? id, event: event))
            }
        }
    }
}
