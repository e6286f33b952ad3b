import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCRTPStreams
import RTCSDP
import RTCSRTP

extension RTCSession {
    // MARK: SRTP keys (RFC 5764 §4.2)

    /// The handshake completed: derives the SRTP and SRTCP contexts from the DTLS exporter when
    /// the session has media. A data-channel-only session derives them only if media comes
    /// later (a transceiver added, or SRTP arriving): the exporter and four key derivations
    /// are about a twentieth of the CPU an open costs. A peer that negotiated no SRTP profile
    /// gets none.
    mutating func startSRTP() {
        guard !transceivers.isEmpty else { return }
        deriveSRTPKeys()
    }

    /// Derives the SRTP contexts if the handshake completed and they are not derived yet.
    mutating func deriveSRTPKeysIfNeeded() {
        if srtpIn == nil, dtlsPhase == .connected { deriveSRTPKeys() }
    }

    private mutating func deriveSRTPKeys() {
        guard let material = try? dtls?.srtpKeyingMaterial() else { return }
        let local = SRTPMasterKey(key: material.localKey, salt: material.localSalt)
        let remote = SRTPMasterKey(key: material.remoteKey, salt: material.remoteSalt)
        do {
            srtpOut = try SRTPContext(profile: material.profile, master: local)
            srtcpOut = try SRTCPContext(profile: material.profile, master: local)
            srtpIn = try SRTPContext(profile: material.profile, master: remote)
            srtcpIn = try SRTCPContext(profile: material.profile, master: remote)
        } catch {
            events.append(.media(.error(handle: nil, reason: "SRTP keys could not be derived: \(error)")))
        }
    }

    // MARK: Receiving (RFC 7983, RFC 5761 §4, RFC 8843 §9.2)

    /// Handles an SRTP or SRTCP datagram from the selected pair: unprotects it in place, then
    /// routes RTP by mid, SSRC and payload type to a transceiver's receive stream and RTCP to
    /// every stream it may concern. Whatever fails is dropped and counted.
    mutating func handleMedia(_ payload: ByteBuffer, now: NIODeadline) {
        deriveSRTPKeysIfNeeded()
        guard srtpIn != nil, let second = payload.getInteger(at: payload.readerIndex + 1, as: UInt8.self) else {
            statistics.mediaPacketsDropped += 1
            return
        }
        var buffer = payload
        if PacketKind.isRTCP(secondByte: second) {
            do { try srtcpIn!.unprotect(&buffer) } catch {
                statistics.mediaPacketsDropped += 1
                return
            }
            guard let compound = try? RTCPCompoundPacket(parsing: buffer) else {
                statistics.mediaPacketsDropped += 1
                return
            }
            statistics.rtcpPacketsReceived += 1
            for packet in compound.packets { routeRTCP(packet, now: now) }
        } else {
            do { try srtpIn!.unprotect(&buffer) } catch {
                statistics.mediaPacketsDropped += 1
                return
            }
            guard let packet = try? RTPPacket(parsing: buffer) else {
                statistics.mediaPacketsDropped += 1
                return
            }
            routeRTP(packet, now: now)
        }
        flushMedia(now: now)
    }

    private mutating func routeRTP(_ packet: RTPPacket, now: NIODeadline) {
        let header = packet.header
        var mid: String?
        if let id = demux?.midExtensionID, id < 256, let value = header.headerExtension?.value(forID: UInt8(id)) {
            mid = String(buffer: value)
        }
        guard let route = demux?.route(mid: mid, ssrc: header.ssrc, payloadType: header.payloadType),
              let i = transceiverByMid[route.mid], i < transceivers.count, transceivers[i].remoteTrack != nil || transceivers[i].currentDirection?.receives == true
        else {
            statistics.mediaPacketsDropped += 1
            return
        }
        if let id = twccReceiveExtensionID {
            if twccFeedback == nil {
                twccFeedback = TransportWideCCFeedbackGenerator(senderSSRC: transceivers[i].reportingSSRC, mediaSSRC: header.ssrc)
            }
            twccFeedback?.handleReceived(packet, extensionID: id, now: now)
        }
        let delivery = transceivers[i].delivery
        if route.isRTX {
            let mediaSSRC = transceivers[i].rtxToMedia[header.ssrc]
                ?? (transceivers[i].receivers.count == 1 ? transceivers[i].receivers.keys.first : nil)
            guard let mediaSSRC, transceivers[i].receivers[mediaSSRC] != nil else {
                statistics.mediaPacketsDropped += 1
                return
            }
            if transceivers[i].rtxToMedia[header.ssrc] == nil { transceivers[i].rtxToMedia[header.ssrc] = mediaSSRC }
            if transceivers[i].receivers[mediaSSRC]?.stream.retransmissionSSRC != header.ssrc {
                transceivers[i].receivers[mediaSSRC]?.stream.setRetransmission(ssrc: header.ssrc, payloadType: header.payloadType)
            }
            transceivers[i].receivers[mediaSSRC]?.stream.handleRTP(packet, now: now)
            return
        }
        // Frames and packets: packets as they arrive, frames from the receive stream. Packets
        // only (a forwarder): the receive stream hands them out, RTX-repaired ones included,
        // and still reports, NACKs and asks for key frames.
        if delivery.contains(.packets), delivery.contains(.frames) {
            events.append(.media(.packet(handle: transceivers[i].handle, packet)))
        }
        let forwardsPackets = !delivery.contains(.frames)
        if transceivers[i].receivers[header.ssrc]?.stream.configuration.payloadType != route.codecPayloadType {
            // A new SSRC, or the peer switched codecs on it: a new receive stream.
            guard let codec = transceivers[i].negotiated?.codec(payloadType: route.codecPayloadType)
                .flatMap({ RTPCodec(encodingName: $0.name) }) else {
                statistics.mediaPacketsDropped += 1
                return
            }
            let rtx = transceivers[i].rtxToMedia.first { $0.value == header.ssrc }
                .flatMap { pair in transceivers[i].negotiated?.codec(payloadType: route.codecPayloadType)?.rtxPayloadType.map { (pair.key, $0) } }
            let isAudio = codec.kind == .audio
            let configuration = RTPReceiveStream.Configuration(
                localSSRC: transceivers[i].reportingSSRC, remoteSSRC: header.ssrc, payloadType: route.codecPayloadType,
                format: codec.payloadFormat, rtx: rtx, isAudio: isAudio, nack: isAudio ? nil : NACKGenerator.Configuration(),
                maxHold: isAudio ? .milliseconds(100) : .milliseconds(1_000))
            var streamConfiguration = configuration
            streamConfiguration.forwardsPackets = forwardsPackets
            transceivers[i].receivers[header.ssrc] = SessionTransceiver.Receiver(stream: RTPReceiveStream(configuration: streamConfiguration),
                                                                                 codec: codec)
        }
        transceivers[i].receivers[header.ssrc]?.stream.handleRTP(packet, now: now)
    }

    private mutating func routeRTCP(_ packet: RTCPPacket, now: NIODeadline) {
        if case .transportFeedback(.transportWideCC(let feedback)) = packet {
            handleTransportFeedback(feedback, now: now)  // RTCSession+BandwidthEstimation.swift
            return
        }
        for i in transceivers.indices {
            if transceivers[i].sendStream != nil { transceivers[i].sendStream!.handleRTCP(packet, now: now) }
            for ssrc in transceivers[i].receivers.keys { transceivers[i].receivers[ssrc]!.stream.handleRTCP(packet, now: now) }
        }
    }

    // MARK: Sending what the streams produced

    /// Moves every stream's packets and events out: RTP and RTCP protected and sent on the
    /// selected pair, frames and requests reported.
    mutating func flushMedia(now: NIODeadline) {
        for i in transceivers.indices {
            flushSendStream(i, now: now)
            flushReceivers(i, now: now)
        }
        if twccFeedback != nil {
            while let feedback = twccFeedback!.pollFeedback() { sendRTCP([.transportFeedback(.transportWideCC(feedback))], now: now) }
        }
    }

    mutating func flushSendStream(_ i: Int, now: NIODeadline) {
        guard transceivers[i].sendStream != nil else { return }
        while var transmit = transceivers[i].sendStream!.pollTransmit(stampingWith: &transportSequencer) {
            switch transmit.kind {
            case .rtp where transmit.isProtected:
                // A NACKed packet from the cache of protected packets.
                guard let bytes = retransmission(of: transmit, stream: i, now: now) else {
                    statistics.mediaPacketsDropped += 1
                    continue
                }
                sendMediaDatagram(bytes, now: now)
                continue
            case .rtp:
                // Protected in place: the transmit holds the only reference to its bytes.
                guard srtpOut != nil, (try? srtpOut!.protect(&transmit.bytes)) != nil else {
                    statistics.mediaPacketsDropped += 1
                    continue
                }
                if let number = transmit.transportWideSequenceNumber {
                    recordSentForEstimate(number, size: transmit.bytes.readableBytes, now: now)
                }
                // (A mutating call, in place: reading a property through `transceivers[i]`
                // copied the whole transceiver, per packet.)
                if !transmit.isRetransmission { transceivers[i].sendStream!.cacheProtected(transmit.bytes) }
            case .rtcp:
                guard srtcpOut != nil, (try? srtcpOut!.protect(&transmit.bytes)) != nil else {
                    statistics.mediaPacketsDropped += 1
                    continue
                }
            }
            sendMediaDatagram(transmit.bytes, now: now)
        }
        while let event = transceivers[i].sendStream!.pollEvent() {
            switch event {
            case .keyFrameRequested:
                transceivers[i].statistics.keyFrameRequestsReceived += 1
                events.append(.media(.keyFrameRequested(handle: transceivers[i].handle)))
            case .receptionReport(let report):
                events.append(.media(.senderFeedback(handle: transceivers[i].handle, .receptionReport(report))))
            case .receiverEstimatedBitrate(let bitsPerSecond, _):
                events.append(.media(.senderFeedback(handle: transceivers[i].handle, .estimatedBitrate(bitsPerSecond: bitsPerSecond))))
            }
        }
    }

    private mutating func flushReceivers(_ i: Int, now: NIODeadline) {
        guard !transceivers[i].receivers.isEmpty else { return }
        let handle = transceivers[i].handle
        for ssrc in transceivers[i].receivers.keys {
            var feedback: [RTCPPacket] = []
            while let packet = transceivers[i].receivers[ssrc]!.stream.pollTransmit() { feedback.append(packet) }
            if !feedback.isEmpty { sendRTCP(feedback, reducedSize: transceivers[i].negotiated?.rtcpReducedSize ?? false,
                                            from: transceivers[i].reportingSSRC, now: now) }
            let codec = transceivers[i].receivers[ssrc]!.codec
            while let event = transceivers[i].receivers[ssrc]!.stream.pollEvent() {
                switch event {
                case .frame(let frame):
                    events.append(.media(.frame(handle: handle, ReceivedMediaFrame(codec: codec, frame: frame, ssrc: ssrc))))
                case .packet(let packet):
                    events.append(.media(.packet(handle: handle, packet)))
                case .framesDropped:
                    break
                }
            }
        }
    }

    /// Sends RTCP packets as one compound datagram (RFC 3550 §6.1): as they are when reduced
    /// size was negotiated (RFC 5506) or they already start with a report, else behind an
    /// empty RR and our CNAME.
    private mutating func sendRTCP(_ packets: [RTCPPacket], reducedSize: Bool = true, from ssrc: UInt32 = 0, now: NIODeadline) {
        var compound = packets
        if !reducedSize, let first = packets.first {
            switch first {
            case .receiverReport, .senderReport: break
            default: compound.insert(.receiverReport(RTCPReceiverReport(ssrc: ssrc)), at: 0)
            }
            compound.insert(.sourceDescription(RTCPSourceDescription(chunks: [
                RTCPSDESChunk(source: ssrc, items: [RTCPSDESItem(type: RTCPSDESItem.cname, text: cname)])])), at: 1)
        }
        var bytes = RTCPCompoundPacket(packets: compound).serialized()
        guard srtcpOut != nil, (try? srtcpOut!.protect(&bytes)) != nil else {
            statistics.mediaPacketsDropped += 1
            return
        }
        sendMediaDatagram(bytes, now: now)
    }

    /// The datagram that answers a NACK with `transmit`, a packet of send stream `i` as SRTP
    /// protected it: the same bytes when the stream has no RTX (its index is not protected a
    /// second time; it keeps its transport-wide number), else an RTX packet of the unprotected
    /// original, stamped with the next transport-wide number and protected. Nil when the packet
    /// cannot be unprotected (the keys changed since) or wrapped.
    private mutating func retransmission(of transmit: RTPSendStreamTransmit, stream i: Int, now: NIODeadline) -> ByteBuffer? {
        guard transceivers[i].sendStream!.configuration.retransmission != nil else { return transmit.bytes }
        var original = transmit.bytes
        guard let srtp = srtpOut, (try? srtp.recoverProtected(&original)) != nil,
              var rtx = transceivers[i].sendStream!.nextRTXPacket(wrapping: original)
        else { return nil }
        let number = transmit.transportWideSequenceNumberOffset.flatMap { transportSequencer.stamp(&rtx, at: $0) }
        guard (try? srtpOut!.protect(&rtx)) != nil else { return nil }
        if let number { recordSentForEstimate(number, size: rtx.readableBytes, now: now) }
        return rtx
    }

    private mutating func sendMediaDatagram(_ bytes: ByteBuffer, now: NIODeadline) {
        if let transmit = ice.send(applicationData: bytes, now: now) {
            transmits.append(transmit)
        } else {
            statistics.mediaPacketsDropped += 1
        }
    }

    // MARK: Timers

    /// The earliest deadline of any media stream.
    var mediaDeadline: NIODeadline? {
        // In place, by index: `for t in transceivers` copied (retained and released) every
        // transceiver, once per datagram and per send.
        var earliest = twccFeedback?.nextDeadline
        for i in transceivers.indices {
            if let d = transceivers[i].sendStream?.nextDeadline, earliest.map({ d < $0 }) ?? true { earliest = d }
            guard !transceivers[i].receivers.isEmpty else { continue }
            for j in transceivers[i].receivers.indices {
                if let d = transceivers[i].receivers.values[j].stream.nextDeadline, earliest.map({ d < $0 }) ?? true { earliest = d }
            }
        }
        return earliest
    }

    /// Runs the media timers due at `now`: sender reports, NACK retries, jitter-buffer holds,
    /// PLI repeats, receiver reports, transport-wide feedback.
    mutating func handleMediaTimeout(now: NIODeadline) {
        guard !transceivers.isEmpty else { return }
        for i in transceivers.indices {
            if let d = transceivers[i].sendStream?.nextDeadline, d <= now { transceivers[i].sendStream!.handleTimeout(now: now) }
            for ssrc in transceivers[i].receivers.keys {
                if let d = transceivers[i].receivers[ssrc]!.stream.nextDeadline, d <= now {
                    transceivers[i].receivers[ssrc]!.stream.handleTimeout(now: now)
                }
            }
        }
        if let d = twccFeedback?.nextDeadline, d <= now { twccFeedback!.handleTimeout(now: now) }
        flushMedia(now: now)
    }
}
