import RTCSession

extension ConnectionEvents {
    /// Publishes what the session's transceivers report: remote tracks starting and ending,
    /// their frames and packets, key-frame requests for our tracks, and media errors.
    func handle(_ event: SessionEvent.Media) {
        switch event {
        case .trackAdded(let info):
            guard let connection else { return }
            let track = RemoteTrack(info, connection: connection, bufferLimit: remoteTrackBufferLimit)
            remoteTracks[info.handle]?.end()
            remoteTracks[info.handle] = track
            log.peerConnection.info("remote track added", metadata: ["kind": "\(info.kind.rawValue)", "mid": "\(info.mid)", "track": "\(info.trackID)"])
            trackSink.yield(.add(track))
        case .trackEnded(let handle):
            guard let track = remoteTracks.removeValue(forKey: handle) else { return }
            track.end()
            log.peerConnection.info("remote track ended", metadata: ["kind": "\(track.kind.rawValue)", "mid": "\(track.mid)"])
            trackSink.yield(.remove(track))
        case .frame(let handle, let frame):
            remoteTracks[handle]?.deliver(frame)
        case .packet(let handle, let packet):
            remoteTracks[handle]?.deliver(packet)
        case .keyFrameRequested(let handle):
            transceivers[handle]?.sender.track?.requestKeyFrame()
        case .sending(let handle, let codec, let payloadType):
            log.peerConnection.info("sending media", metadata: ["codec": "\(codec)", "pt": "\(payloadType)", "transceiver": "\(handle)"])
            transceivers[handle]?.sender.restartAtKeyFrame()
            if connectionState == .connected { transceivers[handle]?.sender.canSend() }
        case .senderFeedback, .bandwidthEstimate:
            // Reported in the statistics of the transceiver's sender already; the estimate is
            // for forwarders (an SFU's layer choice).
            break
        case .error(let handle, let reason):
            log.peerConnection.warning("media error", metadata: ["transceiver": "\(handle.map(String.init) ?? "-")", "reason": "\(reason)"])
        }
    }

    /// DTLS is up: senders whose negotiation settled can send now (a file track starts playing).
    func sendersMayStart() {
        for transceiver in transceivers.values where transceiver.sender.isNegotiated { transceiver.sender.canSend() }
    }

    /// How many unread frames a remote track keeps.
    var remoteTrackBufferLimit: Int { 512 }

    /// The connection closed: remote tracks end, senders stop reading their tracks.
    func closeMedia() {
        for (_, track) in remoteTracks.sorted(by: { $0.key < $1.key }) {
            track.end()
            trackSink.yield(.remove(track))
        }
        remoteTracks.removeAll()
        for transceiver in transceivers.values {
            transceiver.sender.detach()
            transceiver.detach()
        }
        transceivers.removeAll()
    }
}
