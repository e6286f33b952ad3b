import NIOCore
import RTCRTP

extension RTPSendStream {
    /// How many recent sender reports a reception report's LSR may echo.
    static let rememberedSenderReports = 8
    /// How many requesting SSRCs the FIR de-duplication remembers.
    static let rememberedFIRSenders = 32

    // MARK: Sender reports

    /// The sender report for `now` (RFC 3550 §6.4.1): NTP time from ``ntpClock``, the RTP
    /// timestamp the media clock reads at `now` (the same map the packets' timestamps come
    /// from), and the packet and payload-octet counts of original packets. No report blocks: the
    /// session may add those of its receive streams. Nil before the first packet.
    public func senderReport(at now: NIODeadline) -> RTCPSenderReport? {
        guard let mediaClock else { return nil }
        return RTCPSenderReport(ssrc: configuration.ssrc, ntpTimestamp: ntpClock.ntp(at: now),
                                rtpTimestamp: mediaClock.timestamp(at: now),
                                packetCount: UInt32(truncatingIfNeeded: counters.packetsSent),
                                octetCount: UInt32(truncatingIfNeeded: counters.payloadBytesSent))
    }

    /// The SDES packet with this stream's CNAME (RFC 3550 §6.5.1).
    public var sourceDescription: RTCPSourceDescription {
        RTCPSourceDescription(chunks: [RTCPSDESChunk(source: configuration.ssrc,
                                                     items: [RTCPSDESItem(type: RTCPSDESItem.cname, text: configuration.cname)])])
    }

    mutating func queueSenderReport(now: NIODeadline) {
        guard let report = senderReport(at: now) else { return }
        queueCompound(report: report, extra: nil)
    }

    /// Queues SR, SDES CNAME and optionally one more packet: the order RFC 3550 §6.1 requires.
    mutating func queueCompound(report: RTCPSenderReport, extra: RTCPPacket?) {
        var packets: [RTCPPacket] = [.senderReport(report), .sourceDescription(sourceDescription)]
        if let extra { packets.append(extra) }
        counters.senderReportsSent += 1
        recentSenderReports.append(report.compactNTPTimestamp)
        if recentSenderReports.count > Self.rememberedSenderReports { recentSenderReports.removeFirst() }
        transmits.append(Pending(transmit: RTPSendStreamTransmit(kind: .rtcp, bytes: RTCPCompoundPacket(packets: packets).serialized()),
                                 cacheWhenPolled: false))
    }

    // MARK: Feedback

    /// Handles one RTCP packet that arrived at `now` (already parsed, e.g. by a session that
    /// dispatches a compound to several streams). Acted on, when addressed to this stream's SSRC:
    /// - report blocks in SRs and RRs → statistics, round-trip time and a
    ///   ``RTPSendStreamEvent/receptionReport(_:)`` event;
    /// - Generic NACK → retransmissions (RFC 4585 §6.2.1, RFC 4588);
    /// - PLI, and FIR with a new sequence number → ``RTPSendStreamEvent/keyFrameRequested(_:)``;
    /// - REMB listing this SSRC → ``RTPSendStreamEvent/receiverEstimatedBitrate(bitsPerSecond:senderSSRC:)``.
    ///
    /// Everything else (other SSRCs, SDES, BYE, transport-wide CC feedback, XR, APP) is counted in
    /// ``RTPSendStreamStatistics/rtcpPacketsIgnored``.
    public mutating func handleRTCP(_ packet: RTCPPacket, now: NIODeadline) {
        lastNow = now
        let ssrc = configuration.ssrc
        switch packet {
        case .senderReport(let sr):
            handleReportBlocks(sr.reports, reporter: sr.ssrc, now: now)
        case .receiverReport(let rr):
            handleReportBlocks(rr.reports, reporter: rr.ssrc, now: now)
        case .transportFeedback(.genericNACK(let nack)) where nack.mediaSSRC == ssrc:
            counters.nacksReceived += 1
            let resends = cachesProtectedPackets
                ? retransmissionCache.cachedPackets(for: nack, now: now, roundTripTime: roundTripTime)
                : retransmissionCache.retransmissions(for: nack, now: now, roundTripTime: roundTripTime)
            for bytes in resends {
                transmits.append(Pending(
                    transmit: RTPSendStreamTransmit(kind: .rtp, bytes: bytes,
                                                    transportWideSequenceNumberOffset: template.transportWideSequenceNumberOffset,
                                                    isRetransmission: true, isProtected: cachesProtectedPackets),
                    cacheWhenPolled: false))
            }
        case .payloadSpecificFeedback(.pictureLossIndication(let pli)) where pli.mediaSSRC == ssrc:
            counters.plisReceived += 1
            events.append(.keyFrameRequested(RTPKeyFrameRequest(senderSSRC: pli.senderSSRC, method: .pictureLossIndication)))
        case .payloadSpecificFeedback(.fullIntraRequest(let fir)) where fir.entries.contains(where: { $0.ssrc == ssrc }):
            for entry in fir.entries where entry.ssrc == ssrc {
                handleFIR(sequenceNumber: entry.sequenceNumber, from: fir.senderSSRC)
            }
        case .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(let remb)) where remb.ssrcs.contains(ssrc):
            events.append(.receiverEstimatedBitrate(bitsPerSecond: remb.bitrate, senderSSRC: remb.senderSSRC))
        default:
            counters.rtcpPacketsIgnored += 1
        }
    }

    private mutating func handleFIR(sequenceNumber: UInt8, from sender: UInt32) {
        counters.firsReceived += 1
        if lastFIRSequenceNumbers[sender] == sequenceNumber {
            counters.duplicateFIRs += 1
            return
        }
        if lastFIRSequenceNumbers[sender] == nil, lastFIRSequenceNumbers.count >= Self.rememberedFIRSenders {
            lastFIRSequenceNumbers.removeAll(keepingCapacity: true)
        }
        lastFIRSequenceNumbers[sender] = sequenceNumber
        events.append(.keyFrameRequested(RTPKeyFrameRequest(senderSSRC: sender, method: .fullIntraRequest(sequenceNumber: sequenceNumber))))
    }

    private mutating func handleReportBlocks(_ blocks: [RTCPReceptionReport], reporter: UInt32, now: NIODeadline) {
        var handled = false
        for block in blocks where block.ssrc == configuration.ssrc {
            handled = true
            counters.receptionReportsReceived += 1
            var rtt: TimeAmount?
            // Only an LSR that echoes one of our recent reports yields a round trip; anything
            // else (a forged or stale LSR, or 0 before any SR arrived) would be noise.
            if recentSenderReports.contains(block.lastSenderReport),
               let units = block.roundTripTime(arrivalCompactNTP: NTPClock.compact(ntpClock.ntp(at: now))) {
                let measured = NTPClock.duration(compactUnits: units)
                rtt = measured
                roundTripTime = measured
                counters.totalRoundTripTime = counters.totalRoundTripTime + measured
                counters.roundTripTimeMeasurements += 1
            }
            counters.remoteFractionLost = block.fractionLost
            counters.remoteCumulativeLost = block.cumulativeLost
            counters.remoteJitter = block.jitter
            events.append(.receptionReport(RTPRemoteReceptionReport(
                reporterSSRC: reporter, fractionLost: block.fractionLost, cumulativeLost: block.cumulativeLost,
                extendedHighestSequenceNumber: block.extendedHighestSequenceNumber, jitter: block.jitter,
                roundTripTime: rtt)))
        }
        if !handled { counters.rtcpPacketsIgnored += 1 }
    }
}
