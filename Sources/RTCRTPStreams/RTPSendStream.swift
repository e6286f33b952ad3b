import DequeModule
import NIOCore
import RTCCore
import RTCRTP

/// The send side of one RTP stream (one SSRC, plus its RTX SSRC): numbering, timestamps,
/// packetization, the retransmission cache, sender reports and the RTCP feedback addressed to
/// it. A sans-IO core: frames and RTCP in, packets, events and a deadline out.
///
/// ```swift
/// var stream = RTPSendStream(configuration: config, ntpClock: clock)
/// var vp8 = VP8PayloadFormat()
/// try stream.sendFrame(frame, format: &vp8, captureTime: now, now: now)
/// while let packet = stream.pollTransmit(stampingWith: &sequencer) { send(packet) }
/// stream.handle(rtcpDatagram, now: now)          // NACK, PLI, FIR, RR, REMB
/// while let event = stream.pollEvent() { … }     // .keyFrameRequested, .receptionReport
/// if let deadline = stream.nextDeadline { … }    // the next sender report
/// stream.handleTimeout(now: now)
/// ```
///
/// - Sequence numbers start at a random value (or the configured one) and wrap at 65535.
/// - Timestamps come from the frame's capture time through an ``RTPMediaClock`` anchored at a
///   random offset at the first frame; sender reports read the same clock, so their NTP/RTP
///   pair agrees with the packets.
/// - Packets enter the retransmission cache when they are polled, so the transport-wide number
///   and abs-send-time stamped at that moment are in the cached copy too — or, with
///   ``cachesProtectedPackets`` (as `RTCSession` runs it), when the caller hands them back
///   protected with ``cacheProtected(_:)``.
public struct RTPSendStream: SansIOCore, Sendable {
    /// A compound RTCP datagram (unprotected) that arrived for this stream.
    public typealias Input = ByteBuffer
    /// An RTP or RTCP packet to protect and send.
    public typealias Output = RTPSendStreamTransmit
    /// What the application hears about.
    public typealias Event = RTPSendStreamEvent

    struct Pending {
        var transmit: RTPSendStreamTransmit
        /// Original packets are cached once polled; retransmissions and RTCP are not.
        var cacheWhenPolled: Bool
    }

    /// The configuration the stream was created with.
    public let configuration: RTPSendStreamConfiguration
    /// The map from `now` to NTP time used in sender reports and for round-trip times.
    public let ntpClock: NTPClock
    /// The sequence number of the next original packet.
    public private(set) var nextSequenceNumber: UInt16
    /// The RTP timestamp the first frame gets (random unless configured).
    public let initialTimestamp: UInt32
    /// The media clock, set by the first packet sent.
    public private(set) var mediaClock: RTPMediaClock?
    /// Recently sent packets, for NACKs.
    public internal(set) var retransmissionCache: RTPRetransmissionCache
    /// The latest round-trip time measured from a reception report.
    public internal(set) var roundTripTime: TimeAmount?
    /// Whether ``stop(now:)`` was called.
    public private(set) var isStopped = false
    /// Whether the retransmission cache keeps packets as the caller protected them (SRTP)
    /// rather than as the stream made them. When set, polled originals are not cached: protect
    /// each in place and hand it back with ``cacheProtected(_:)``. The packet then needs no copy
    /// (the cache does not share the plain bytes the protection overwrites), and a NACK gets
    /// transmits marked ``RTPSendStreamTransmit/isProtected``: a plain resend goes out as the
    /// very bytes sent before (no SRTP index is protected twice), an RTX packet is made from the
    /// unprotected original with ``nextRTXPacket(wrapping:)``. Set it before the first packet.
    public var cachesProtectedPackets = false

    let template: RTPSendHeaderExtensionTemplate
    /// The template's extension block as bytes, copied into every packet.
    let serializedBlock: [UInt8]
    /// Capacity reserved after each packet for what SRTP appends: the longest tag (16 bytes).
    static let protectionOverhead = 16
    var counters = RTPSendStreamStatistics()
    var transmits = Deque<Pending>()
    var events = Deque<RTPSendStreamEvent>()
    var lastNow: NIODeadline?
    var nextSenderReport: NIODeadline?
    /// Compact NTP times of the latest sender reports, newest last; LSR must match one.
    var recentSenderReports: [UInt32] = []
    /// The last FIR sequence number per requesting SSRC (RFC 5104 §4.3.1.2).
    var lastFIRSequenceNumbers: [UInt32: UInt8] = [:]

    /// Creates a stream; `rng` draws the first sequence numbers and timestamp unless configured.
    public init(configuration: RTPSendStreamConfiguration, ntpClock: NTPClock,
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        var rng = rng
        self.configuration = configuration
        self.ntpClock = ntpClock
        // Below 2^15 like libwebrtc, so that early packets never sit next to the wrap.
        nextSequenceNumber = configuration.initialSequenceNumber ?? UInt16.random(in: 0..<0x8000, using: &rng)
        initialTimestamp = configuration.initialTimestamp ?? UInt32.random(in: 0...UInt32.max, using: &rng)
        retransmissionCache = RTPRetransmissionCache(
            capacity: configuration.retransmissionCacheCapacity, maximumAge: configuration.retransmissionCacheMaximumAge,
            rtx: configuration.retransmission, firstRTXSequenceNumber: UInt16.random(in: 0..<0x8000, using: &rng),
            intervalWithoutRTT: configuration.retransmissionIntervalWithoutRTT)
        template = RTPSendHeaderExtensionTemplate(configuration.headerExtensions)
        serializedBlock = template.serializedBlock
    }

    /// The SSRC of the stream.
    public var ssrc: UInt32 { configuration.ssrc }

    /// The largest payload one packet can carry: the maximum packet size less the header and,
    /// when RTX is negotiated, the 2-byte OSN an RTX packet adds.
    public var maximumPayloadSize: Int {
        configuration.maximumPacketSize - template.headerSize - (configuration.retransmission == nil ? 0 : 2)
    }

    /// The counters, including the retransmission cache's.
    public var statistics: RTPSendStreamStatistics {
        var s = counters
        let cache = retransmissionCache.statistics
        s.retransmittedPacketsSent = cache.retransmittedPackets
        s.retransmittedBytesSent = cache.retransmittedBytes
        s.nackedPackets = cache.requested
        s.nackedPacketsNotCached = cache.notCached
        s.retransmissionsSuppressed = cache.suppressed
        s.roundTripTime = roundTripTime
        return s
    }

    // MARK: Sending

    /// Packetizes one encoded frame with `format` (payloads no larger than
    /// ``maximumPayloadSize``) and queues its packets, all with the RTP timestamp of
    /// `captureTime`; the last one carries the marker bit when `marker` is true (video: the end
    /// of a frame; audio: pass true only for the first packet of a talkspurt, RFC 3551 §4.1).
    /// `audioLevel` goes in every packet's audio level extension when the stream sends it (RFC 6464).
    /// Throws what the payload format throws, and then sends nothing. Ignored after ``stop(now:)``.
    public mutating func sendFrame<Format: RTPPayloadFormat>(
        _ frame: ByteBuffer, format: inout Format, captureTime: NIODeadline, marker: Bool = true,
        audioLevel: RTPAudioLevel? = nil, now: NIODeadline
    ) throws(RTPPayloadError) {
        guard !isStopped else { return }
        let payloads = try format.packetize(frame, maxPayloadSize: maximumPayloadSize)
        counters.framesSent += 1
        sendPayloads(payloads, captureTime: captureTime, marker: marker, audioLevel: audioLevel, now: now)
    }

    /// Queues already-built payloads of one frame, all with the RTP timestamp of `captureTime`,
    /// the marker bit on the last when `marker` is true. Payloads are sent as given, even when
    /// larger than ``maximumPayloadSize``. `audioLevel` as for ``sendFrame(_:format:captureTime:marker:audioLevel:now:)``.
    /// Ignored after ``stop(now:)``.
    public mutating func sendPayloads(_ payloads: [ByteBuffer], captureTime: NIODeadline, marker: Bool = true,
                                      audioLevel: RTPAudioLevel? = nil, now: NIODeadline) {
        guard !isStopped, !payloads.isEmpty else { return }
        if mediaClock == nil {
            mediaClock = RTPMediaClock(clockRate: configuration.clockRate, anchorTime: captureTime,
                                       anchorTimestamp: initialTimestamp)
        }
        let timestamp = mediaClock?.timestamp(at: captureTime) ?? initialTimestamp
        for (index, payload) in payloads.enumerated() {
            queuePacket(payload, timestamp: timestamp, marker: marker && index == payloads.count - 1, audioLevel: audioLevel, now: now)
        }
    }

    /// Queues one already-built payload with an explicit RTP timestamp, as a forwarder does after
    /// rewriting it. The media clock is re-anchored so that `timestamp` is its reading at `now`
    /// whenever the timestamp changes, so sender reports extrapolate from the latest frame.
    /// Ignored after ``stop(now:)``.
    public mutating func sendPayload(_ payload: ByteBuffer, timestamp: UInt32, marker: Bool, now: NIODeadline) {
        guard !isStopped else { return }
        if mediaClock == nil {
            mediaClock = RTPMediaClock(clockRate: configuration.clockRate, anchorTime: now, anchorTimestamp: timestamp)
        } else if mediaClock?.anchorTimestamp != timestamp {
            mediaClock?.reanchor(timestamp: timestamp, at: now)
        }
        queuePacket(payload, timestamp: timestamp, marker: marker, audioLevel: nil, now: now)
    }

    /// Queues one payload with the sequence number and RTP timestamp a forwarder chose (an SFU
    /// leg: gaps it leaves are losses upstream, which the receiver may NACK). The stream's SSRC,
    /// payload type and header extensions are written; the packet is cached for NACKs under its
    /// sequence number. Later packets number on from the newest given. The media clock is
    /// re-anchored on each newer timestamp, so sender reports extrapolate from the latest frame.
    /// `audioLevel` goes in the audio level extension when the stream sends it (RFC 6464).
    /// Ignored after ``stop(now:)``.
    public mutating func sendPayload(_ payload: ByteBuffer, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool,
                                     audioLevel: RTPAudioLevel? = nil, now: NIODeadline) {
        guard !isStopped else { return }
        if mediaClock == nil {
            mediaClock = RTPMediaClock(clockRate: configuration.clockRate, anchorTime: now, anchorTimestamp: timestamp)
        } else if let anchor = mediaClock?.anchorTimestamp, Int32(bitPattern: timestamp &- anchor) > 0 {
            mediaClock?.reanchor(timestamp: timestamp, at: now)
        }
        if counters.packetsSent == 0 || Int16(bitPattern: sequenceNumber &- nextSequenceNumber) >= 0 {
            nextSequenceNumber = sequenceNumber &+ 1
        }
        queuePacket(payload, sequenceNumber: sequenceNumber, timestamp: timestamp, marker: marker, audioLevel: audioLevel, now: now)
    }

    private mutating func queuePacket(_ payload: ByteBuffer, timestamp: UInt32, marker: Bool, audioLevel: RTPAudioLevel?,
                                      now: NIODeadline) {
        let sequenceNumber = nextSequenceNumber
        nextSequenceNumber &+= 1
        queuePacket(payload, sequenceNumber: sequenceNumber, timestamp: timestamp, marker: marker, audioLevel: audioLevel, now: now)
    }

    private mutating func queuePacket(_ payload: ByteBuffer, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool,
                                      audioLevel: RTPAudioLevel?, now: NIODeadline) {
        lastNow = now
        // The header in one write (fixed part, then the template's extension block), then the
        // payload; room for the SRTP tag the caller appends, so protecting needs no new storage.
        let headerSize = template.headerSize
        var bytes = ByteBufferAllocator().buffer(capacity: headerSize + payload.readableBytes + Self.protectionOverhead)
        let b0: UInt8 = template.block == nil ? 0x80 : 0x90
        let b1: UInt8 = (marker ? 0x80 : 0) | (configuration.payloadType & 0x7F)
        let ssrc = configuration.ssrc
        let levelOffset = template.audioLevelOffset, elementHeaderSize = template.elementHeaderSize
        serializedBlock.withUnsafeBytes { block in
            _ = bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: headerSize) { out in
                out[0] = b0
                out[1] = b1
                out.storeBytes(of: sequenceNumber.bigEndian, toByteOffset: 2, as: UInt16.self)
                out.storeBytes(of: timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
                out.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
                if !block.isEmpty { UnsafeMutableRawBufferPointer(rebasing: out[12..<(12 + block.count)]).copyMemory(from: block) }
                if let levelOffset {
                    if let audioLevel {
                        out[levelOffset] = audioLevel.byte
                    } else {
                        // No level for this payload: the element (header and value) becomes
                        // padding bytes, which receivers skip (RFC 8285 §4.2, §4.3), rather
                        // than a made-up level.
                        for k in (levelOffset - elementHeaderSize)...levelOffset { out[k] = 0 }
                    }
                }
                return headerSize
            }
        }
        bytes.writeImmutableBuffer(payload)
        counters.packetsSent += 1
        counters.payloadBytesSent += UInt64(payload.readableBytes)
        counters.bytesSent += UInt64(bytes.readableBytes)
        if nextSenderReport == nil { nextSenderReport = now + configuration.firstSenderReportDelay }
        transmits.append(Pending(
            transmit: RTPSendStreamTransmit(kind: .rtp, bytes: bytes,
                                            transportWideSequenceNumberOffset: template.transportWideSequenceNumberOffset),
            cacheWhenPolled: true))
    }

    // MARK: SansIOCore

    /// Handles one unprotected compound RTCP datagram: see ``handleRTCP(_:now:)`` for each of its
    /// packets. A datagram that does not parse is dropped and counted.
    public mutating func handle(_ datagram: ByteBuffer, now: NIODeadline) {
        lastNow = now
        let compound: RTCPCompoundPacket
        do {
            compound = try RTCPCompoundPacket(parsing: datagram)
        } catch {
            counters.rtcpDatagramsMalformed += 1
            return
        }
        for packet in compound.packets { handleRTCP(packet, now: now) }
    }

    /// The next packet to send, without a transport-wide sequence number (its slot, if any, stays
    /// zero; ``TransportWideSequencer/stamp(_:)`` can fill it, at the cost of a copy because the
    /// retransmission cache shares the bytes). Prefer ``pollTransmit(stampingWith:)``.
    public mutating func pollTransmit() -> RTPSendStreamTransmit? {
        guard var pending = transmits.popFirst() else { return nil }
        return finish(&pending)
    }

    /// The next packet to send, with the next transport-wide sequence number of `sequencer`
    /// written in place when the stream sends that extension (not in an already protected
    /// resend, ``RTPSendStreamTransmit/isProtected``).
    public mutating func pollTransmit(stampingWith sequencer: inout TransportWideSequencer) -> RTPSendStreamTransmit? {
        guard var pending = transmits.popFirst() else { return nil }
        // A protected resend keeps its number: its header is authenticated as it was sent.
        if !pending.transmit.isProtected { sequencer.stamp(&pending.transmit) }
        return finish(&pending)
    }

    private mutating func finish(_ pending: inout Pending) -> RTPSendStreamTransmit {
        // A protected resend goes as it was: its header is authenticated.
        guard pending.transmit.kind == .rtp, !pending.transmit.isProtected else { return pending.transmit }
        let now = lastNow ?? .uptimeNanoseconds(0)
        stampAbsoluteSendTime(&pending.transmit.bytes, now: now)
        if pending.cacheWhenPolled && !cachesProtectedPackets { retransmissionCache.store(pending.transmit.bytes, now: now) }
        return pending.transmit
    }

    /// Keeps `packet`, an original this stream made and the caller then SRTP-protected, for
    /// NACKs (``cachesProtectedPackets``; ignored when that is not set). Its sequence number is
    /// read from the clear header.
    public mutating func cacheProtected(_ packet: ByteBuffer) {
        guard cachesProtectedPackets else { return }
        retransmissionCache.store(packet, now: lastNow ?? .uptimeNanoseconds(0))
    }

    /// The RTX packet (RFC 4588 §4) for `original`, a plain packet of this stream that a NACK
    /// asked for (unprotected from the cache of protected packets), with the next RTX sequence
    /// number; nil when the stream has no RTX or `original` is malformed.
    /// The abs-send-time extension, when sent, says the time it is made.
    public mutating func nextRTXPacket(wrapping original: ByteBuffer) -> ByteBuffer? {
        guard var rtx = retransmissionCache.nextRTXPacket(wrapping: original) else { return nil }
        stampAbsoluteSendTime(&rtx, now: lastNow ?? .uptimeNanoseconds(0))
        return rtx
    }

    /// Writes `now` into the abs-send-time extension of `packet` when the stream sends it.
    private func stampAbsoluteSendTime(_ packet: inout ByteBuffer, now: NIODeadline) {
        guard let offset = template.absoluteSendTimeOffset, offset + 3 <= packet.readableBytes else { return }
        // 6.18 fixed-point seconds: NTP 32.32 shifted right by 14, low 24 bits.
        let value = UInt32(truncatingIfNeeded: ntpClock.ntp(at: now) >> 14) & 0x00FF_FFFF
        packet.withUnsafeMutableReadableBytes { out in
            out[offset] = UInt8(truncatingIfNeeded: value >> 16)
            out[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
            out[offset + 2] = UInt8(truncatingIfNeeded: value)
        }
    }

    /// The next event, or nil.
    public mutating func pollEvent() -> RTPSendStreamEvent? {
        events.popFirst()
    }

    /// When the next sender report is due; nil before the first packet and after ``stop(now:)``.
    public var nextDeadline: NIODeadline? { nextSenderReport }

    /// Sends the sender report (compounded with SDES CNAME) when it is due at `now`, and schedules
    /// the next one ``RTPSendStreamConfiguration/senderReportInterval`` after the one due.
    public mutating func handleTimeout(now: NIODeadline) {
        lastNow = now
        guard let due = nextSenderReport, now >= due else { return }
        queueSenderReport(now: now)
        let interval = max(configuration.senderReportInterval, .milliseconds(10))
        var next = due + interval
        if next <= now { next = now + interval }
        nextSenderReport = next
    }

    /// Stops the stream: queues a last sender report with SDES and an RTCP BYE (RFC 3550 §6.6)
    /// when anything was sent, cancels the report timer and ignores later sends.
    public mutating func stop(now: NIODeadline) {
        guard !isStopped else { return }
        lastNow = now
        isStopped = true
        nextSenderReport = nil
        guard let report = senderReport(at: now) else { return }
        var sources = [configuration.ssrc]
        if let rtx = configuration.retransmission { sources.append(rtx.ssrc) }
        queueCompound(report: report, extra: .goodbye(RTCPGoodbye(sources: sources)))
    }
}
