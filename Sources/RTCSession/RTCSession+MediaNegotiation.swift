import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCSDP

extension RTCSession {
    // MARK: Remote descriptions → transceivers and remote tracks (W3C webrtc-pc §4.4.1.5)

    /// Reads a remote description's audio/video sections: an offer's new mids get a transceiver
    /// (one `addTrack` made that has no mid yet, of the same kind, else a new `recvonly` one); a
    /// stopped section stops ours; a section where the peer sends announces its track, one where
    /// it stopped sending ends it.
    mutating func applyRemoteMedia(_ description: JSEPDescription, isOffer: Bool, now: NIODeadline) {
        for section in description.sections {
            guard case .media(let m) = section, !m.mid.isEmpty else { continue }
            var index = transceivers.firstIndex { $0.mid == m.mid }
            if index == nil, isOffer, !m.isStopped {
                let kind: RTPCodec.Kind = m.kind == .audio ? .audio : .video
                if let free = transceivers.firstIndex(where: { $0.mid == nil && $0.kind == kind && $0.createdByAddTrack && !$0.isStopped }) {
                    transceivers[free].mid = m.mid
                    index = free
                } else {
                    index = transceivers.count
                    transceivers.append(SessionTransceiver(handle: nextTransceiverHandle, kind: kind, direction: .recvonly, sender: nil,
                                                           createdByAddTrack: false, mid: m.mid, rng: &rng))
                    nextTransceiverHandle += 1
                    deriveSRTPKeysIfNeeded()
                }
            }
            guard let i = index else { continue }
            if m.isStopped {
                stopTransceiverLocally(i, now: now)
                continue
            }
            let remoteSends = m.direction.sends
            if remoteSends, transceivers[i].remoteTrack == nil {
                let msid = m.msids.first
                let track = SessionRemoteTrack(handle: transceivers[i].handle, mid: m.mid, kind: transceivers[i].kind,
                                               trackID: msid?.trackID ?? m.mid,
                                               streamIDs: m.msids.map(\.streamID).filter { $0 != "-" })
                transceivers[i].remoteTrack = track
                events.append(.media(.trackAdded(track)))
            } else if !remoteSends {
                endRemoteTrack(i)
            }
        }
    }

    mutating func endRemoteTrack(_ i: Int) {
        guard transceivers[i].remoteTrack != nil else { return }
        transceivers[i].remoteTrack = nil
        transceivers[i].receivers.removeAll()
        events.append(.media(.trackEnded(handle: transceivers[i].handle)))
    }

    /// Stops a transceiver's streams and its remote track (RFC 8829 §4.2.6 stopped; §5.3.1 rejected).
    mutating func stopTransceiverLocally(_ i: Int, now: NIODeadline) {
        transceivers[i].isStopped = true
        transceivers[i].direction = .inactive
        transceivers[i].currentDirection = .inactive
        stopSending(i, now: now)
        endRemoteTrack(i)
    }

    mutating func stopSending(_ i: Int, now: NIODeadline) {
        guard transceivers[i].sendStream != nil else { return }
        transceivers[i].sendStream?.stop(now: now)  // a last SR and BYE go out with the next flush
        flushSendStream(i, now: now)
        transceivers[i].sendStream = nil
        transceivers[i].packetizer = nil
        transceivers[i].sendCodec = nil
    }

    // MARK: A completed exchange → streams (RFC 8829 §5.10, §5.11)

    /// Applies what the completed offer/answer exchange negotiated: per mid its direction,
    /// codecs and extension ids; send streams for transceivers that send a codec of their track;
    /// the BUNDLE demultiplexing table for what arrives.
    mutating func applyNegotiation(now: NIODeadline) {
        guard let localRead = localJSEP, let remoteRead = remoteJSEP, let localType else { return }
        let localIsOfferer = localType == .answer || localType == .pranswer ? false : true
        let negotiation: JSEPNegotiation
        do {
            let local = try localRead.get()
            let remote = try remoteRead.get()
            negotiation = try localIsOfferer ? JSEPNegotiation(offer: local, answer: remote, localIsOfferer: true)
                : JSEPNegotiation(offer: remote, answer: local, localIsOfferer: false)
        } catch {
            events.append(.media(.error(handle: nil, reason: "the negotiated descriptions do not agree: \(error)")))
            return
        }
        dataNegotiated = negotiation.dataMid != nil
        for i in transceivers.indices {
            guard let mid = transceivers[i].mid else { continue }
            if negotiation.inactiveMids.contains(mid) {
                stopTransceiverLocally(i, now: now)
            } else if let m = negotiation.media(mid: mid) {
                configure(i, m, now: now)
            }
        }
        demux = negotiation.demuxTable
        transceiverByMid = [:]
        for (i, t) in transceivers.enumerated() {
            if let mid = t.mid { transceiverByMid[mid] = i }
        }
        twccReceiveExtensionID = negotiation.media.lazy.compactMap { $0.extensionID(JSEPHeaderExtension.transportWideCCURI) }
            .first.map { UInt8(truncatingIfNeeded: $0) }
    }

    private mutating func configure(_ i: Int, _ m: JSEPNegotiatedMedia, now: NIODeadline) {
        transceivers[i].negotiated = m
        transceivers[i].currentDirection = m.direction
        transceivers[i].negotiatedCodecs = m.codecs
        transceivers[i].negotiatedExtensions = m.headerExtensions.map { JSEPHeaderExtension(id: $0.id, uri: $0.uri) }
        // Declared RTX pairs of what the peer sends (RFC 4588 §8.7).
        for pair in m.remote.rtxPairs { transceivers[i].rtxToMedia[pair.rtx] = pair.media }
        if !m.direction.receives, transceivers[i].remoteTrack != nil { endRemoteTrack(i) }
        guard m.direction.sends, let sender = transceivers[i].sender else {
            stopSending(i, now: now)
            return
        }
        guard let codec = m.codecs.first(where: { RTPCodec(encodingName: $0.name) == sender.codec }) else {
            stopSending(i, now: now)
            events.append(.media(.error(handle: transceivers[i].handle,
                                        reason: "the peer accepted none of our \(sender.codec) payload types for mid \(m.mid)")))
            return
        }
        if let stream = transceivers[i].sendStream, stream.configuration.payloadType == codec.payloadType,
           transceivers[i].sendCodec == sender.codec { return }
        stopSending(i, now: now)
        func id(_ uri: String) -> UInt8? { m.extensionID(uri).flatMap { $0 < 15 ? UInt8($0) : nil } }
        let extensions = RTPSendStreamConfiguration.HeaderExtensions(
            midID: id(JSEPHeaderExtension.midURI), mid: m.mid,
            transportWideSequenceNumberID: id(JSEPHeaderExtension.transportWideCCURI),
            absoluteSendTimeID: id(JSEPHeaderExtension.absoluteSendTimeURI),
            audioLevelID: sender.sendsAudioLevel ? id(JSEPHeaderExtension.audioLevelURI) : nil)
        let rtx = codec.rtxPayloadType.map { RTPSendStreamConfiguration.Retransmission(ssrc: transceivers[i].rtxSSRC, payloadType: $0) }
        var configuration = RTPSendStreamConfiguration(ssrc: transceivers[i].ssrc, payloadType: codec.payloadType,
                                                       clockRate: sender.codec.clockRate, cname: cname,
                                                       retransmission: transceivers[i].kind == .video ? rtx : nil,
                                                       headerExtensions: extensions)
        configuration.maximumPacketSize = self.configuration.rtpMaximumPacketSize
        transceivers[i].sendStream = RTPSendStream(configuration: configuration, ntpClock: ntpClock(now: now),
                                                   rng: RTCSession.child(of: &rng))
        // The cache keeps what SRTP made (flushSendStream): no copy of each packet before it is
        // encrypted in place, and a plain resend never protects one index twice.
        transceivers[i].sendStream!.cachesProtectedPackets = true
        transceivers[i].packetizer = sender.codec.makePayloadFormat()
        transceivers[i].sendCodec = sender.codec
        events.append(.media(.sending(handle: transceivers[i].handle, codec: sender.codec, payloadType: codec.payloadType)))
    }

    /// The NTP ↔ monotonic mapping of our sender reports: the configuration's (anchored by the
    /// edge to the wall clock) or, without one, NTP time counted from the first use.
    mutating func ntpClock(now: NIODeadline) -> NTPClock {
        if let clock = configuration.ntpClock ?? anchoredNTPClock { return clock }
        let clock = NTPClock(reference: now, ntpAtReference: 1 << 32)
        anchoredNTPClock = clock
        return clock
    }

    /// Re-checks whether negotiation is needed (W3C webrtc-pc §4.7.3) and reports it once per
    /// change while signaling is stable.
    mutating func updateNegotiationNeeded() {
        guard !isClosed, signaling.state == .stable else { return }
        let needed = negotiationIsNeeded
        if needed, !negotiationNeededReported {
            negotiationNeededReported = true
            events.append(.negotiationNeeded)
        } else if !needed {
            negotiationNeededReported = false
        }
    }

    /// Whether transceivers or channels changed in a way only a new offer/answer exchange can
    /// carry (W3C webrtc-pc §4.7.3), whatever the signaling state.
    var negotiationIsNeeded: Bool {
        var sections = transceivers.filter { $0.mid != nil || !$0.isStopped }.map {
            JSEPLocalSection.media($0.jsepTransceiver(capabilities: capabilities, cname: cname))
        }
        if offersData { sections.append(.data(dataSection)) }
        // A transceiver without a mid is new: it needs an offer.
        return transceivers.contains { $0.mid == nil && !$0.isStopped }
            || JSEP.isNegotiationNeeded(sections: sections.filter { !$0.mid.isEmpty }, local: localJSEP,
                                        remote: remoteJSEP, localIsOfferer: localType == .offer)
    }
}
