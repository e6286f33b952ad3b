import DequeModule
import NIOCore
import RTCCore
import RTCRTP

/// The receive side of one RTP stream (one media SSRC, with its RTX SSRC if negotiated): a
/// sans-IO core that takes RTP and RTCP with the time they arrived and produces whole frames,
/// Receiver Reports (~1 s, RFC 3550 §6.4.2), Generic NACKs (RFC 4585 §6.2.1) and PLIs
/// (RFC 4585 §6.3.1).
///
/// It composes one value type per mechanism, each usable alone: ``ReceiveStatistics``
/// (RFC 3550 A.1, A.3, A.8), ``NACKGenerator``, ``RTXUnwrapper``, ``FrameAssembler`` and
/// ``KeyFrameRequester``. Transport-wide congestion control feedback is per transport, not per
/// stream: see ``TransportWideCCFeedbackGenerator``.
///
/// Bad input never stops the stream: it is dropped and counted by ``RTPReceiveDropReason``
/// in ``statistics``.
public struct RTPReceiveStream: SansIOCore, Sendable {
    /// What the stream is configured with (from the negotiated SDP).
    public struct Configuration: Sendable {
        /// Our SSRC, the sender of RRs, NACKs and PLIs.
        public var localSSRC: UInt32
        /// The media SSRC received.
        public var remoteSSRC: UInt32
        /// The media payload type.
        public var payloadType: UInt8
        /// The negotiated payload format.
        public var format: any RTPPayloadFormat.Type
        /// The RTX SSRC and payload type, when RTX is negotiated (RFC 4588).
        public var rtx: (ssrc: UInt32, payloadType: UInt8)?
        /// Audio: one frame per packet, no key-frame logic, no PLI.
        public var isAudio: Bool
        /// NACK settings, or nil to never ask for retransmissions.
        public var nack: NACKGenerator.Configuration?
        /// Longest a packet waits in the jitter buffer for a missing one.
        public var maxHold: TimeAmount
        /// After a loss, drop video frames until a key frame.
        public var waitForKeyFrameAfterLoss: Bool
        /// Smallest spacing between PLIs.
        public var keyFrameRequestInterval: TimeAmount
        /// Receiver Report interval.
        public var reportInterval: TimeAmount
        /// Hand packets out as they arrive (``Event/packet(_:)``, retransmissions unwrapped from
        /// RTX among them) instead of assembling frames — what a forwarder wants. Statistics,
        /// RRs, NACKs and PLI (repeated until a key frame starts) work as for frames.
        public var forwardsPackets = false

        /// Creates a configuration; video defaults: NACK on, 1 s hold, wait for key frames.
        public init(localSSRC: UInt32, remoteSSRC: UInt32, payloadType: UInt8, format: any RTPPayloadFormat.Type,
                    rtx: (ssrc: UInt32, payloadType: UInt8)? = nil, isAudio: Bool = false,
                    nack: NACKGenerator.Configuration? = NACKGenerator.Configuration(),
                    maxHold: TimeAmount = .milliseconds(1_000), waitForKeyFrameAfterLoss: Bool = true,
                    keyFrameRequestInterval: TimeAmount = .milliseconds(500), reportInterval: TimeAmount = .seconds(1)) {
            self.localSSRC = localSSRC
            self.remoteSSRC = remoteSSRC
            self.payloadType = payloadType & 0x7F
            self.format = format
            self.rtx = rtx
            self.isAudio = isAudio
            self.nack = nack
            self.maxHold = maxHold
            self.waitForKeyFrameAfterLoss = waitForKeyFrameAfterLoss
            self.keyFrameRequestInterval = keyFrameRequestInterval
            self.reportInterval = reportInterval
        }
    }

    /// What arrives: RTP or RTCP, as bytes (parsed here) or already parsed (after demux).
    public enum Input: Sendable {
        /// An RTP packet's bytes (SRTP already removed).
        case rtp(ByteBuffer)
        /// A parsed RTP packet.
        case rtpPacket(RTPPacket)
        /// A compound RTCP datagram's bytes (SRTCP already removed).
        case rtcp(ByteBuffer)
        /// One parsed RTCP packet.
        case rtcpPacket(RTCPPacket)
    }

    /// What the stream reports.
    public enum Event: Hashable, Sendable {
        /// A whole frame, in order.
        case frame(ReceivedFrame)
        /// A packet as it arrived, or unwrapped from its RTX retransmission (with
        /// ``Configuration/forwardsPackets``).
        case packet(RTPPacket)
        /// Frames that were dropped instead.
        case framesDropped(FrameDrop)
    }

    /// The configuration.
    public let configuration: Configuration
    /// Counters, including drops by reason.
    public private(set) var statistics = RTPReceiveStreamStatistics()
    /// RFC 3550 reception statistics of the media SSRC.
    public private(set) var receiveStatistics: ReceiveStatistics
    private var unwrapper = SequenceNumberUnwrapper()
    private var nack: NACKGenerator
    private var rtxUnwrapper: RTXUnwrapper?
    private var assembler: FrameAssembler
    private var keyFrames: KeyFrameRequester
    private var senderClock: (ntp: UInt64, rtp: UInt32)?
    private var nextReport: NIODeadline?
    private var transmits: Deque<RTCPPacket> = []
    private var events: Deque<Event> = []

    /// Creates a receive stream.
    public init(configuration: Configuration) {
        self.configuration = configuration
        receiveStatistics = ReceiveStatistics(clockRate: configuration.format.clockRate)
        nack = NACKGenerator(senderSSRC: configuration.localSSRC, mediaSSRC: configuration.remoteSSRC,
                             configuration: configuration.nack ?? NACKGenerator.Configuration())
        rtxUnwrapper = configuration.rtx.map {
            RTXUnwrapper(rtxSSRC: $0.ssrc, rtxPayloadType: $0.payloadType, mediaSSRC: configuration.remoteSSRC,
                         mediaPayloadType: configuration.payloadType)
        }
        assembler = FrameAssembler(configuration: .init(
            format: configuration.format, oneFramePerPacket: configuration.isAudio, maxHold: configuration.maxHold,
            waitForKeyFrameAfterLoss: configuration.waitForKeyFrameAfterLoss))
        keyFrames = KeyFrameRequester(minimumInterval: configuration.keyFrameRequestInterval)
    }

    /// The round-trip time that spaces NACK retries; nil until set (a default is used).
    public var roundTripTime: TimeAmount? {
        get { nack.roundTripTime }
        set { nack.roundTripTime = newValue }
    }

    /// Feeds one input that arrived at `now`.
    public mutating func handle(_ input: Input, now: NIODeadline) {
        switch input {
        case .rtp(let bytes):
            do {
                handleRTP(try RTPPacket(parsing: bytes), now: now)
            } catch {
                statistics.lastRTPParseError = error
                drop(.malformedRTP)
            }
        case .rtpPacket(let packet):
            handleRTP(packet, now: now)
        case .rtcp(let bytes):
            do {
                for packet in try RTCPCompoundPacket(parsing: bytes).packets { handleRTCP(packet, now: now) }
            } catch {
                statistics.lastRTCPParseError = error
                drop(.malformedRTCP)
            }
        case .rtcpPacket(let packet):
            handleRTCP(packet, now: now)
        }
    }

    /// Feeds one parsed RTP packet (media or RTX) that arrived at `now`.
    public mutating func handleRTP(_ packet: RTPPacket, now: NIODeadline) {
        let header = packet.header
        if let rtx = rtxUnwrapper, header.ssrc == rtx.rtxSSRC {
            let original: RTPPacket
            do {
                original = try rtx.unwrap(packet)
            } catch {
                drop(error == .paddingOnly ? .paddingOnly : .unknownPayloadType)
                return
            }
            guard let highest = unwrapper.highest else { return drop(.late) }
            let sequence = unwrapper.extended(original.header.sequenceNumber)
            guard sequence <= highest, highest - sequence < Int64(ReceiveStatistics.maxDropout) else {
                return drop(.sequenceJump)
            }
            statistics.retransmissionsReceived += 1
            nack.handleReceived(sequence, now: now)
            insert(original, sequence: sequence, now: now)
        } else {
            guard header.ssrc == configuration.remoteSSRC else { return drop(.unknownSSRC) }
            guard header.payloadType == configuration.payloadType else { return drop(.unknownPayloadType) }
            switch receiveStatistics.handle(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, now: now) {
            case .outOfRange:
                return drop(.sequenceJump)
            case .restarted:
                restart(now: now)
            case .accepted, .probation:
                break
            }
            let sequence = unwrapper.unwrap(header.sequenceNumber)
            statistics.packetsReceived += 1
            statistics.payloadBytesReceived += packet.payload.readableBytes
            statistics.lastPacketReceivedAt = now
            if packet.payload.readableBytes == 0 { statistics.paddingPacketsReceived += 1 }
            if nextReport == nil { nextReport = now + configuration.reportInterval }
            if configuration.nack != nil { nack.handleReceived(sequence, now: now) }
            insert(packet, sequence: sequence, now: now)
        }
        collect(now: now)
    }

    /// Feeds one RTCP packet that arrived at `now`: a sender report from the media source sets
    /// LSR/DLSR and the NTP ↔ RTP mapping for capture times; others are ignored here.
    public mutating func handleRTCP(_ packet: RTCPPacket, now: NIODeadline) {
        guard case .senderReport(let report) = packet, report.ssrc == configuration.remoteSSRC else { return }
        statistics.senderReportsReceived += 1
        receiveStatistics.handleSenderReport(report, now: now)
        senderClock = (report.ntpTimestamp, report.rtpTimestamp)
    }

    /// The next RTCP packet to send (RR, NACK or PLI).
    public mutating func pollTransmit() -> RTCPPacket? { transmits.popFirst() }

    /// The next event.
    public mutating func pollEvent() -> Event? { events.popFirst() }

    /// When ``handleTimeout(now:)`` must next run.
    public var nextDeadline: NIODeadline? {
        // Without an array (two allocations per call): this runs after every packet.
        var earliest = nextReport
        func consider(_ d: NIODeadline?) { if let d, earliest.map({ d < $0 }) ?? true { earliest = d } }
        consider(nack.nextDeadline)
        consider(assembler.nextDeadline)
        consider(keyFrames.nextDeadline)
        return earliest
    }

    /// Runs NACK retries, jitter-buffer holds, PLI repeats and the report timer due at `now`.
    public mutating func handleTimeout(now: NIODeadline) {
        if configuration.nack != nil { nack.handleTimeout(now: now) }
        assembler.handleTimeout(now: now)
        keyFrames.handleTimeout(now: now)
        if let due = nextReport, due <= now {
            transmits.append(.receiverReport(RTCPReceiverReport(ssrc: configuration.localSSRC,
                                                                reports: [receptionReport(now: now)])))
            statistics.receiverReportsSent += 1
            nextReport = now + configuration.reportInterval
        }
        collect(now: now)
    }

    /// Asks the sender for a key frame now (PLI, RFC 4585 §6.3.1), repeated at the configured
    /// interval until one arrives — what a decoder that lost its state, or a new consumer of the
    /// stream (a recorder starting, a subscriber joining), needs.
    public mutating func requestKeyFrame(now: NIODeadline) {
        keyFrames.request(now: now)
        collect(now: now)
    }

    /// Declares the RTX stream (RFC 4588) that repairs this one, when it becomes known after the
    /// stream was created (an SSRC learned from the first retransmission rather than from SDP).
    public mutating func setRetransmission(ssrc: UInt32, payloadType: UInt8) {
        rtxUnwrapper = RTXUnwrapper(rtxSSRC: ssrc, rtxPayloadType: payloadType & 0x7F, mediaSSRC: configuration.remoteSSRC,
                                    mediaPayloadType: configuration.payloadType)
    }

    /// The RTX SSRC this stream unwraps, if any.
    public var retransmissionSSRC: UInt32? { rtxUnwrapper?.rtxSSRC }

    /// The reception report block about the media SSRC at `now`, for a compound RTCP packet
    /// the caller assembles; starts a new loss interval (RFC 3550 §6.4.1, A.3).
    public mutating func receptionReport(now: NIODeadline) -> RTCPReceptionReport {
        receiveStatistics.makeReport(ssrc: configuration.remoteSSRC, now: now)
    }

    /// The sender's NTP time of RTP timestamp `timestamp`, from the last sender report's
    /// mapping (RFC 3550 §6.4.1), or nil before the first one.
    public func captureTime(of timestamp: UInt32) -> UInt64? {
        guard let clock = senderClock else { return nil }
        let rate = Int64(configuration.format.clockRate)
        let ticks = Int64(Int32(bitPattern: timestamp &- clock.rtp))
        let units = (ticks / rate) << 32 + ((ticks % rate) << 32) / rate
        return UInt64(bitPattern: Int64(bitPattern: clock.ntp) &+ units)
    }

    private mutating func insert(_ packet: RTPPacket, sequence: Int64, now: NIODeadline) {
        if configuration.forwardsPackets {
            if keyFrames.isOutstanding, configuration.format.isKeyFrameStart(packet.payload) { keyFrames.keyFrameReceived() }
            events.append(.packet(packet))
            return
        }
        let result = assembler.insert(sequence: sequence, timestamp: packet.header.timestamp, marker: packet.header.marker,
                                      payload: packet.payload, now: now)
        switch result {
        case .buffered: break
        case .duplicate: drop(.duplicate)
        case .late: drop(.late)
        case .outOfRange: drop(.sequenceJump)
        }
    }

    /// Moves NACKs, give-ups, frames and PLIs from the mechanisms to the queues.
    private mutating func collect(now: NIODeadline) {
        while let lost = nack.pollGiveUp() {
            statistics.nackGiveUps += 1
            if !configuration.forwardsPackets { assembler.declareLost(lost, now: now) }
        }
        while let request = nack.pollNACK() {
            statistics.nacksSent += 1
            statistics.nackRequests += request.lostSequenceNumbers.count
            transmits.append(.transportFeedback(.genericNACK(request)))
        }
        while let output = assembler.poll() {
            switch output {
            case .frame(var frame):
                frame.captureTime = captureTime(of: frame.rtpTimestamp)
                statistics.framesDelivered += 1
                if frame.isKeyFrame {
                    statistics.keyFramesDelivered += 1
                    keyFrames.keyFrameReceived()
                }
                events.append(.frame(frame))
            case .dropped(let loss):
                switch loss.reason {
                case .incomplete: statistics.framesDroppedIncomplete += loss.frameCount
                case .undecodable: statistics.framesUndecodable += loss.frameCount
                case .waitingForKeyFrame: statistics.framesDiscardedWaitingForKeyFrame += loss.frameCount
                }
                if !configuration.isAudio { keyFrames.request(now: now) }
                events.append(.framesDropped(loss))
            }
        }
        if keyFrames.pollRequest() {
            statistics.pictureLossIndicationsSent += 1
            transmits.append(.payloadSpecificFeedback(.pictureLossIndication(
                RTCPPictureLossIndication(senderSSRC: configuration.localSSRC, mediaSSRC: configuration.remoteSSRC))))
        }
    }

    /// The sender restarted its sequence (RFC 3550 A.1): start over, and ask for a key frame.
    private mutating func restart(now: NIODeadline) {
        statistics.restarts += 1
        unwrapper.reset()
        nack.reset()
        assembler.reset()
        if !configuration.isAudio { keyFrames.request(now: now) }
    }

    private mutating func drop(_ reason: RTPReceiveDropReason) {
        statistics.drops[reason, default: 0] += 1
    }
}
