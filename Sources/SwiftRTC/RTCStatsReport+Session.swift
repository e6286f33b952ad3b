import NIOCore
import RTCCore
import RTCICE
import RTCSDP
import RTCSession
import RTCTURN

extension RTCStatsReport {
    /// The id of the one (BUNDLE) transport.
    static let transportID = "T01"

    /// What the API layer knows of a sender's current track: its id and, for video, the
    /// frames written to it (W3C media-source `frames`).
    struct MediaSource {
        var trackID: String
        var framesWritten: Int?
    }

    /// The W3C report of a session snapshot. `now` and `wallMilliseconds` are the same instant
    /// on the monotonic clock the session runs on and on the wall clock: every entry is
    /// stamped `wallMilliseconds`, and the session's times are moved onto the wall clock.
    /// `sources` are the senders' current tracks by transceiver handle.
    init(_ snapshot: SessionStatisticsSnapshot, sources: [Int: MediaSource], now: NIODeadline, wallMilliseconds: Double) {
        var entries: [RTCStats] = []
        func entry(_ id: String, _ type: RTCStatsType) -> RTCStats { RTCStats(id: id, type: type, timestamp: wallMilliseconds) }
        func wall(_ deadline: NIODeadline?) -> Double? {
            deadline.map { wallMilliseconds - Double((now - $0).nanoseconds) / 1e6 }
        }
        func seconds(_ t: TimeAmount?) -> Double? { t.map { Double($0.nanoseconds) / 1e9 } }

        var pc = entry("P", .peerConnection)
        pc.dataChannelsOpened = snapshot.dataChannelsOpened
        pc.dataChannelsClosed = snapshot.dataChannelsClosed
        entries.append(pc)

        // Certificates, by fingerprint (stable for the connection's life).
        let localCertificate = Self.certificate(snapshot.localCertificate, timestamp: wallMilliseconds)
        entries.append(localCertificate)
        let remoteCertificate = snapshot.remoteCertificate.map { Self.certificate($0, timestamp: wallMilliseconds) }
        if let remoteCertificate, remoteCertificate.id != localCertificate.id { entries.append(remoteCertificate) }

        // Candidates and pairs.
        for c in snapshot.localCandidates {
            var e = Self.candidate(c, local: true, ufrag: snapshot.localUsernameFragment, timestamp: wallMilliseconds)
            if c.type == .relayed, let server = snapshot.relayServers[c.address] {
                // How we reach the server, and its URL as a W3C `RTCIceServer` would name it.
                let transport = server.transport == .udp ? "udp" : "tcp"
                e.relayProtocol = transport
                e.url = "turn:\(server.address)?transport=\(transport)"
            }
            entries.append(e)
        }
        for c in snapshot.remoteCandidates {
            entries.append(Self.candidate(c, local: false, ufrag: snapshot.remoteUsernameFragment, timestamp: wallMilliseconds))
        }
        var selectedPairID: String?
        for p in snapshot.candidatePairs {
            let localID = Self.candidateID(p.pair.local, local: true)
            let remoteID = Self.candidateID(p.pair.remote, local: false)
            var e = entry("CP\(localID)_\(remoteID)", .candidatePair)
            e.transportId = Self.transportID
            e.localCandidateId = localID
            e.remoteCandidateId = remoteID
            e.state = p.state.rawValue
            e.nominated = p.nominated
            e.priority = p.priority
            let c = p.counters
            (e.packetsSent, e.packetsReceived, e.bytesSent, e.bytesReceived) = (c.packetsSent, c.packetsReceived, c.bytesSent, c.bytesReceived)
            e.currentRoundTripTime = seconds(c.currentRoundTripTime)
            e.totalRoundTripTime = seconds(c.totalRoundTripTime)
            (e.requestsSent, e.requestsReceived) = (c.requestsSent, c.requestsReceived)
            (e.responsesSent, e.responsesReceived) = (c.responsesSent, c.responsesReceived)
            e.consentRequestsSent = c.consentRequestsSent
            e.lastPacketSentTimestamp = wall(c.lastPacketSentAt)
            e.lastPacketReceivedTimestamp = wall(c.lastPacketReceivedAt)
            if p.isSelected { selectedPairID = e.id }
            entries.append(e)
        }

        // The transport.
        let t = snapshot.transport
        var transport = entry(Self.transportID, .transport)
        (transport.packetsSent, transport.packetsReceived) = (t.packetsSent, t.packetsReceived)
        (transport.bytesSent, transport.bytesReceived) = (t.bytesSent, t.bytesReceived)
        transport.dtlsState = t.dtlsState
        transport.iceState = t.iceState.rawValue
        transport.selectedCandidatePairId = selectedPairID
        transport.localCertificateId = localCertificate.id
        transport.remoteCertificateId = remoteCertificate?.id
        transport.tlsVersion = t.tlsVersion
        transport.dtlsCipher = t.dtlsCipher
        transport.srtpCipher = t.srtpCipher
        transport.dtlsRole = t.dtlsRole ?? "unknown"
        transport.iceRole = t.iceRole == .controlling ? "controlling" : "controlled"
        transport.iceLocalUsernameFragment = snapshot.localUsernameFragment
        transport.selectedCandidatePairChanges = t.selectedCandidatePairChanges
        entries.append(transport)

        // Data channels.
        for d in snapshot.dataChannels {
            var e = entry("D\(d.handle)", .dataChannel)
            e.label = d.label
            e.protocol = d.protocol
            e.dataChannelIdentifier = d.streamID.map(Int.init)
            e.state = d.state.rawValue
            (e.messagesSent, e.bytesSent) = (d.messagesSent, d.bytesSent)
            (e.messagesReceived, e.bytesReceived) = (d.messagesReceived, d.bytesReceived)
            entries.append(e)
        }

        // Media: codecs in use, streams, what the peer's reports say, sources.
        var codecs: [String: RTCStats] = [:]
        func codecID(_ codec: JSEPCodec?, kind: RTPCodec.Kind, inbound: Bool) -> String? {
            guard let codec else { return nil }
            let id = "\(inbound ? "CIT01" : "COT01")_\(codec.payloadType)"
            if codecs[id] == nil {
                var e = entry(id, .codec)
                e.transportId = Self.transportID
                e.payloadType = Int(codec.payloadType)
                e.mimeType = "\(kind.rawValue)/\(codec.name)"
                e.clockRate = Int(codec.clockRate)
                e.channels = kind == .audio ? Int(codec.channels ?? 1) : nil
                e.sdpFmtpLine = codec.parameters.isEmpty ? nil : codec.parameters
                codecs[id] = e
            }
            return id
        }
        for m in snapshot.transceivers {
            let letter = m.kind == .audio ? "A" : "V"
            let isVideo = m.kind == .video
            for r in m.inbound {
                var e = entry("IT01\(letter)\(r.ssrc)", .inboundRTP)
                e.ssrc = r.ssrc
                e.kind = m.kind.rawValue
                e.transportId = Self.transportID
                e.codecId = codecID(r.codec, kind: m.kind, inbound: true)
                e.mid = m.mid
                e.trackIdentifier = r.trackID
                let c = r.counters
                (e.packetsReceived, e.bytesReceived) = (c.packetsReceived, c.payloadBytesReceived)
                e.packetsLost = Int(r.packetsLost)
                e.jitter = r.jitter
                if isVideo {
                    e.framesReceived = c.framesDelivered
                    e.framesDropped = c.framesDroppedIncomplete + c.framesUndecodable + c.framesDiscardedWaitingForKeyFrame
                    (e.nackCount, e.pliCount, e.firCount) = (c.nacksSent, c.pictureLossIndicationsSent, 0)
                }
                e.lastPacketReceivedTimestamp = wall(c.lastPacketReceivedAt)
                e.rtxSsrc = r.rtxSSRC
                entries.append(e)
            }
            guard let o = m.outbound else { continue }
            let outboundID = "OT01\(letter)\(o.ssrc)"
            let sourceID = "S\(letter)\(m.handle)"
            let remoteInboundID = "RI01\(letter)\(o.ssrc)"
            let c = o.counters
            let codec = codecID(o.codec, kind: m.kind, inbound: false)
            var e = entry(outboundID, .outboundRTP)
            e.ssrc = o.ssrc
            e.kind = m.kind.rawValue
            e.transportId = Self.transportID
            e.codecId = codec
            e.mid = m.mid
            e.mediaSourceId = sourceID
            // W3C counts retransmissions in packetsSent; payload bytes of retransmissions are not
            // known apart from their headers, so bytesSent counts original payloads only.
            e.packetsSent = Int(c.packetsSent + c.retransmittedPacketsSent)
            e.bytesSent = Int(c.payloadBytesSent)
            e.headerBytesSent = Int(c.bytesSent - min(c.bytesSent, c.payloadBytesSent))
            e.retransmittedPacketsSent = Int(c.retransmittedPacketsSent)
            e.retransmittedBytesSent = Int(c.retransmittedBytesSent)
            e.rtxSsrc = o.rtxSSRC
            if isVideo {
                e.framesSent = Int(c.framesSent)
                (e.nackCount, e.pliCount, e.firCount) = (Int(c.nacksReceived), Int(c.plisReceived), Int(c.firsReceived))
            }
            if c.receptionReportsReceived > 0 {
                e.remoteId = remoteInboundID
                var r = entry(remoteInboundID, .remoteInboundRTP)
                r.ssrc = o.ssrc
                r.kind = m.kind.rawValue
                r.transportId = Self.transportID
                r.codecId = codec
                r.localId = outboundID
                r.packetsLost = c.remoteCumulativeLost.map(Int.init)
                r.fractionLost = c.remoteFractionLost.map { Double($0) / 256 }
                let clockRate = o.codec.map { Double(max(1, $0.clockRate)) } ?? (m.kind == .audio ? 48_000 : 90_000)
                r.jitter = c.remoteJitter.map { Double($0) / clockRate }
                r.roundTripTime = seconds(c.roundTripTime)
                if c.roundTripTimeMeasurements > 0 {
                    r.totalRoundTripTime = seconds(c.totalRoundTripTime)
                    r.roundTripTimeMeasurements = Int(c.roundTripTimeMeasurements)
                }
                entries.append(r)
            }
            entries.append(e)
            var source = entry(sourceID, .mediaSource)
            source.kind = m.kind.rawValue
            source.trackIdentifier = sources[m.handle]?.trackID ?? o.trackID
            source.frames = sources[m.handle]?.framesWritten
            entries.append(source)
        }
        entries.append(contentsOf: codecs.values)
        self.init(entries)
    }

    static func certificate(_ c: SessionCertificateInfo, timestamp: Double) -> RTCStats {
        var e = RTCStats(id: "CF\(c.fingerprint.hexValue)", type: .certificate, timestamp: timestamp)
        e.fingerprint = c.fingerprint.hexValue
        e.fingerprintAlgorithm = c.fingerprint.algorithm
        e.base64Certificate = Base64.encode(c.der)
        return e
    }

    /// `I` + side + type + address: stable while the candidate exists.
    static func candidateID(_ c: ICECandidate, local: Bool) -> String {
        "I\(local ? "L" : "R")\(c.type.rawValue)_\(c.address)"
    }

    static func candidate(_ c: ICECandidate, local: Bool, ufrag: String?, timestamp: Double) -> RTCStats {
        var e = RTCStats(id: candidateID(c, local: local), type: local ? .localCandidate : .remoteCandidate, timestamp: timestamp)
        e.transportId = transportID
        e.address = "\(c.address.ip)"
        e.port = Int(c.address.port)
        e.protocol = c.transport
        e.candidateType = c.type.rawValue
        e.priority = UInt64(c.priority)
        e.foundation = c.foundation
        e.usernameFragment = ufrag
        if let related = c.relatedAddress {
            e.relatedAddress = "\(related.ip)"
            e.relatedPort = Int(related.port)
        }
        return e
    }
}
