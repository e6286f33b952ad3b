import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport
import Testing

/// Issue 12 item 6: a send and a receive stream engine talk over a seeded `SimulatedLink` on
/// virtual time — 30 fps VP8-shaped video (key frame every 3 s, several packets per frame) and
/// 50 fps Opus, 5 % loss, reordering, 50 ms round trip, sequence numbers that wrap mid-run.
@Suite struct EndToEndMediaTests {
    static let videoSSRC: UInt32 = 0x5649_4430
    static let videoRTXSSRC: UInt32 = 0x5649_4431
    static let audioSSRC: UInt32 = 0x4155_4430
    static let receiverSSRC: UInt32 = 0x5245_4356
    static let twccID: UInt8 = 3
    static let frameInterval = TimeAmount.nanoseconds(1_000_000_000 / 30)

    enum Wire { case rtp(ByteBuffer), rtcp(ByteBuffer) }

    /// What the harness observed, for the assertions.
    struct Outcome {
        var framesSent = 0
        var videoFrames: [ReceivedFrame] = []
        var audioFrames: [ReceivedFrame] = []
        var videoDrops: [FrameDrop] = []
        /// Original video packets by extended sequence number: sent, and when delivered.
        var videoSent: [Int64: NIODeadline] = [:]
        var videoArrival: [Int64: NIODeadline] = [:]
        var audioSentCount = 0
        var audioDelivered = 0
        /// Video RRs as the receiver sent them, with the time.
        var videoReports: [(time: NIODeadline, block: RTCPReceptionReport)] = []
        /// Interarrival jitter of the original video packets as A.8 defines it, computed here
        /// from the link's actual arrival times, sampled at each RR.
        var referenceJitter: [Double] = []
        var keyFrameRequestsAtSender = 0
        var destroyedKeyFrame: (index: Int, sequenceNumber: UInt16)?
        var rtpDelivered = 0
        var twccReported = 0
        var twccLate = 0
        var receiver = RTPReceiveStreamStatistics()
        var senderRTT: TimeAmount?
        var senderRTTs: [TimeAmount] = []
        var firstVideoSequence: UInt16 = 0
        var sequenceWrapped = false
        var audioWrapped = false
        var captureTimeErrors: [Int64] = []
        /// Indices of the frames sent as key frames (every 90th, and those a PLI asked for).
        var keyFrames: Set<Int> = []
    }

    static func frameBytes(index: Int, key: Bool) -> ByteBuffer {
        Recv.vp8Frame(index: index, key: key, size: key ? 7_000 : 1_600 + (index % 7) * 350)
    }

    /// Runs a call of `seconds`; `destroyKeyFrame` names a key frame one of whose packets the
    /// link drops together with every retransmission of it.
    static func runCall(seconds: Int, destroyKeyFrame: Int? = nil, seed: UInt64) -> Outcome {
        let start = NIODeadline.virtualStart
        let ntp = NTPClock(reference: start, unixSeconds: 1_790_000_000)
        var out = Outcome()
        var link = SimulatedLink<Wire>(conditions: LinkConditions(loss: 0.05, reorder: 0.05, delay: .milliseconds(25),
                                                                  reorderDelay: .milliseconds(15)), seed: seed)
        let extensions = RTPSendStreamConfiguration.HeaderExtensions(transportWideSequenceNumberID: twccID)
        var video = RTPSendStream(configuration: .init(ssrc: videoSSRC, payloadType: 96, clockRate: 90_000, cname: "e2e",
                                                       retransmission: .init(ssrc: videoRTXSSRC, payloadType: 97),
                                                       headerExtensions: extensions, initialSequenceNumber: 64_700),
                                  ntpClock: ntp, rng: SeededRandom(seed: seed &+ 1))
        var audio = RTPSendStream(configuration: .init(ssrc: audioSSRC, payloadType: 111, clockRate: 48_000, cname: "e2e",
                                                       headerExtensions: extensions, initialSequenceNumber: 65_200),
                                  ntpClock: ntp, rng: SeededRandom(seed: seed &+ 2))
        var sequencer = TransportWideSequencer()
        var vp8 = VP8PayloadFormat(firstPictureID: 77)
        var opus = OpusPayloadFormat()
        var videoRx = RTPReceiveStream(configuration: .init(localSSRC: receiverSSRC, remoteSSRC: videoSSRC, payloadType: 96,
                                                            format: VP8PayloadFormat.self, rtx: (videoRTXSSRC, 97)))
        var audioRx = RTPReceiveStream(configuration: .init(localSSRC: receiverSSRC, remoteSSRC: audioSSRC, payloadType: 111,
                                                            format: OpusPayloadFormat.self, isAudio: true, nack: nil,
                                                            maxHold: .milliseconds(80)))
        var twcc = TransportWideCCFeedbackGenerator(senderSSRC: receiverSSRC, mediaSSRC: videoSSRC)
        var videoUnwrap = SequenceNumberUnwrapper()
        var jitter = 0.0
        var lastArrival: (time: NIODeadline, timestamp: UInt32)?
        var forceKeyFrame = false
        var destroyedSequence: UInt16?
        out.firstVideoSequence = video.nextSequenceNumber

        let end = start + .seconds(Int64(seconds))
        let drainEnd = end + .seconds(2)
        var now = start
        var nextVideo = start
        var nextAudio = start
        var videoIndex = 0
        var audioIndex = 0

        func nanos(_ t: NIODeadline) -> Double { Double(t.uptimeNanoseconds - start.uptimeNanoseconds) }

        while now <= drainEnd {
            // Media due now.
            if videoIndex < 30 * seconds, now >= nextVideo {
                let key = videoIndex % 90 == 0 || forceKeyFrame
                forceKeyFrame = false
                if key { out.keyFrames.insert(videoIndex) }
                let first = video.nextSequenceNumber
                try? video.sendFrame(frameBytes(index: videoIndex, key: key), format: &vp8, captureTime: nextVideo, now: now)
                if videoIndex == destroyKeyFrame {
                    destroyedSequence = first &+ 1
                    out.destroyedKeyFrame = (videoIndex, first &+ 1)
                }
                out.framesSent += 1
                videoIndex += 1
                nextVideo = start + .nanoseconds(frameInterval.nanoseconds * Int64(videoIndex))
            }
            if audioIndex < 50 * seconds, now >= nextAudio {
                let opusPacket = ByteBuffer(bytes: [0x78] + (0..<60).map { UInt8(truncatingIfNeeded: $0 &+ audioIndex) })
                try? audio.sendFrame(opusPacket, format: &opus, captureTime: nextAudio, marker: audioIndex == 0, now: now)
                audioIndex += 1
                nextAudio = start + .milliseconds(20 * Int64(audioIndex))
            }
            // Timers.
            if let d = video.nextDeadline, d <= now { video.handleTimeout(now: now) }
            if let d = audio.nextDeadline, d <= now { audio.handleTimeout(now: now) }
            if let d = videoRx.nextDeadline, d <= now { videoRx.handleTimeout(now: now) }
            if let d = audioRx.nextDeadline, d <= now { audioRx.handleTimeout(now: now) }
            if let d = twcc.nextDeadline, d <= now { twcc.handleTimeout(now: now) }
            let jitterAtTimers = jitter  // what the reference says at the instant an RR was made
            // Sender → link.
            func sendAll(_ stream: inout RTPSendStream) {
                while let transmit = stream.pollTransmit(stampingWith: &sequencer) {
                    switch transmit.kind {
                    case .rtcp:
                        link.send(.rtcp(transmit.bytes), size: transmit.bytes.readableBytes, from: .a, now: now)
                    case .rtp:
                        guard let packet = try? RTPPacket(parsing: transmit.bytes) else { continue }
                        if packet.header.ssrc == videoSSRC {
                            let ext = videoUnwrap.unwrap(packet.header.sequenceNumber)
                            if out.videoSent[ext] == nil { out.videoSent[ext] = now }
                            if packet.header.sequenceNumber == destroyedSequence { continue }
                            if packet.header.sequenceNumber < out.firstVideoSequence { out.sequenceWrapped = true }
                        } else if packet.header.ssrc == videoRTXSSRC {
                            let osn = packet.payload.getInteger(at: packet.payload.readerIndex, as: UInt16.self)
                            if osn != nil, osn == destroyedSequence { continue }
                        } else if packet.header.ssrc == audioSSRC {
                            out.audioSentCount += 1
                            if packet.header.sequenceNumber < 65_200 { out.audioWrapped = true }
                        }
                        link.send(.rtp(transmit.bytes), size: transmit.bytes.readableBytes, from: .a, now: now)
                    }
                }
            }
            sendAll(&video)
            sendAll(&audio)
            // Link → both ends.
            for (to, wire) in link.deliver(upTo: now) {
                switch (to, wire) {
                case (.b, .rtp(let bytes)):
                    out.rtpDelivered += 1
                    guard let packet = try? RTPPacket(parsing: bytes) else { continue }
                    twcc.handleReceived(packet, extensionID: twccID, now: now)
                    if packet.header.ssrc == audioSSRC {
                        out.audioDelivered += 1
                        audioRx.handle(.rtpPacket(packet), now: now)
                        continue
                    }
                    if packet.header.ssrc == videoSSRC {
                        out.videoArrival[videoUnwrap.extended(packet.header.sequenceNumber)] = now
                        if let last = lastArrival {
                            let d = (nanos(now) - nanos(last.time)) * 90_000 / 1e9
                                - Double(Int32(bitPattern: packet.header.timestamp &- last.timestamp))
                            jitter += (abs(d) - jitter) / 16
                        }
                        lastArrival = (now, packet.header.timestamp)
                    }
                    videoRx.handle(.rtpPacket(packet), now: now)
                case (.b, .rtcp(let bytes)):
                    guard let compound = try? RTCPCompoundPacket(parsing: bytes) else { continue }
                    for packet in compound.packets {
                        videoRx.handle(.rtcpPacket(packet), now: now)
                        audioRx.handle(.rtcpPacket(packet), now: now)
                    }
                case (.a, .rtcp(let bytes)):
                    video.handle(bytes, now: now)
                    audio.handle(bytes, now: now)
                case (.a, .rtp):
                    Issue.record("RTP towards the sender")
                }
            }
            // Receivers → events and link.
            for stream in [0, 1] {
                while let packet = stream == 0 ? videoRx.pollTransmit() : audioRx.pollTransmit() {
                    if case .receiverReport(let rr) = packet, stream == 0, let block = rr.reports.first {
                        out.videoReports.append((now, block))
                        out.referenceJitter.append(jitterAtTimers)
                    }
                    let bytes = RTCPCompoundPacket(packets: [packet]).serialized()
                    link.send(.rtcp(bytes), size: bytes.readableBytes, from: .b, now: now)
                }
            }
            while let feedback = twcc.pollFeedback() {
                out.twccReported += feedback.packets.filter { $0.status != .notReceived }.count
                let bytes = RTCPCompoundPacket(packets: [.transportFeedback(.transportWideCC(feedback))]).serialized()
                link.send(.rtcp(bytes), size: bytes.readableBytes, from: .b, now: now)
            }
            while let event = videoRx.pollEvent() {
                switch event {
                case .frame(let frame):
                    out.videoFrames.append(frame)
                    if let capture = frame.captureTime, let index = Recv.vp8Index(frame.data) {
                        let expected = ntp.ntp(at: start + .nanoseconds(frameInterval.nanoseconds * Int64(index)))
                        out.captureTimeErrors.append(Int64(bitPattern: capture &- expected))
                    }
                case .framesDropped(let drop): out.videoDrops.append(drop)
                case .packet: break  // only with forwardsPackets
                }
            }
            while let event = audioRx.pollEvent() {
                if case .frame(let frame) = event { out.audioFrames.append(frame) }
            }
            // Sender events: key frame requests and the round trip the RRs give.
            while let event = video.pollEvent() {
                switch event {
                case .keyFrameRequested:
                    out.keyFrameRequestsAtSender += 1
                    forceKeyFrame = true
                case .receptionReport(let report):
                    if let rtt = report.roundTripTime {
                        out.senderRTT = rtt
                        out.senderRTTs.append(rtt)
                        videoRx.roundTripTime = rtt
                    }
                default: break
                }
            }
            while audio.pollEvent() != nil {}
            // Advance virtual time.
            var next = [video.nextDeadline, audio.nextDeadline, videoRx.nextDeadline, audioRx.nextDeadline,
                        twcc.nextDeadline, link.nextDeliveryTime].compactMap { $0 }.min() ?? drainEnd + .seconds(1)
            if now < end { next = min(next, nextVideo, nextAudio) }
            now = max(next, now + .microseconds(1))
        }
        out.receiver = videoRx.statistics
        out.twccLate = twcc.lateArrivals
        return out
    }

    @Test(arguments: [2_026, 7, 31_337] as [UInt64])
    func thirtySecondsOfVideoAndAudioAtFivePercentLoss(seed: UInt64) throws {
        let call = Self.runCall(seconds: 30, seed: seed)
        #expect(call.sequenceWrapped && call.audioWrapped)
        #expect(call.framesSent == 900)
        // ≥ 99 % of the video frames, complete (byte-exact), in order.
        let indices = call.videoFrames.compactMap { Recv.vp8Index($0.data) }
        #expect(Double(indices.count) >= 0.99 * Double(call.framesSent), "delivered \(indices.count) of \(call.framesSent)")
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
        for frame in call.videoFrames {
            let index = Recv.vp8Index(frame.data) ?? -1
            let key = call.keyFrames.contains(index)
            #expect(frame.data == Self.frameBytes(index: index, key: key))
            #expect(frame.isKeyFrame == key)
        }
        // The link really lost packets, and NACK/RTX repaired them.
        let lostOriginals = call.videoSent.keys.filter { call.videoArrival[$0] == nil }.count
        #expect(lostOriginals > 100)
        #expect(call.receiver.retransmissionsReceived >= lostOriginals - 20)
        #expect(call.receiver.nacksSent > 50)
        // Capture times from the SR mapping agree with the sender's clock (within 2 ms).
        #expect(call.captureTimeErrors.count > 800)
        #expect(call.captureTimeErrors.allSatisfy { abs($0) < (Int64(1) << 32) / 500 })
        // The round trip the sender measured from our RRs is the link's 50 ms (plus 15 ms for
        // each leg the link reordered).
        let rtts = call.senderRTTs.map(\.nanoseconds)
        #expect(rtts.count >= 25)
        #expect(rtts.allSatisfy { $0 > 49_000_000 && $0 < 81_000_000 })
        #expect(rtts.filter { abs($0 - 50_000_000) < 1_000_000 }.count >= rtts.count * 3 / 4)
        #expect(call.senderRTT != nil)
        // Audio: no NACK, losses skipped; frames in order.
        #expect(Double(call.audioFrames.count) >= 0.9 * Double(call.audioSentCount))
        #expect(Double(call.audioFrames.count) <= Double(call.audioDelivered))
        // TWCC feedback reported every RTP packet that arrived (but those late for their feedback).
        #expect(call.twccReported + call.twccLate == call.rtpDelivered)
        #expect(call.twccReported > 0)
        Self.checkReports(call)
    }

    /// Loss and jitter in the RRs against the link's actual figures.
    static func checkReports(_ call: Outcome) {
        #expect(call.videoReports.count >= 29)
        let base = call.videoSent.keys.min() ?? 0  // the RR base is one later (probation); the first RR is skipped
        var previousHighest: Int64?
        var intervalErrors: [Double] = []
        var lostTotal = 0.0
        var expectedTotal = 0.0
        for (i, report) in call.videoReports.enumerated() {
            let highest = Int64(report.block.extendedHighestSequenceNumber) + (base - Int64(base & 0xFFFF))
            defer { previousHighest = highest }
            guard i > 0, let previous = previousHighest else { continue }
            // What the link had not delivered of [base + 1, highest] when the RR was made.
            func lostByTime(_ upTo: Int64, _ time: NIODeadline) -> Double {
                guard upTo > base else { return 0 }
                return Double(((base + 1)...upTo).filter { call.videoArrival[$0].map { $0 >= time } ?? true }.count)
            }
            let expected = Double(highest - base)
            let actualLost = lostByTime(highest, report.time)
            #expect(abs(Double(report.block.cumulativeLost) - actualLost) / expected <= 0.01,
                    "RR \(i): cumulative \(report.block.cumulativeLost), link lost \(actualLost) of \(expected)")
            // The interval since the previous report (RFC 3550 A.3: losses not yet made up, per expected).
            let intervalExpected = Double(highest - previous)
            let intervalLost = max(0, actualLost - lostByTime(previous, call.videoReports[i - 1].time))
            intervalErrors.append(abs(Double(report.block.fractionLost) / 256 - intervalLost / intervalExpected))
            lostTotal += Double(report.block.fractionLost) / 256 * intervalExpected
            expectedTotal += intervalExpected
            // Jitter: A.8 over the actual arrivals, in 90 kHz units.
            if i >= 2 {
                let reference = call.referenceJitter[i]
                #expect(abs(Double(report.block.jitter) - reference) <= 3 + 0.03 * reference,
                        "RR \(i): jitter \(report.block.jitter), reference \(reference)")
            }
        }
        let linkLost = Double(call.videoSent.keys.filter { call.videoArrival[$0] == nil }.count) / Double(call.videoSent.count)
        #expect(linkLost > 0.03 && linkLost < 0.07)
        #expect(abs(lostTotal / expectedTotal - linkLost) <= 0.01, "RR fractions \(lostTotal / expectedTotal), link \(linkLost)")
        let worst = intervalErrors.max() ?? 0
        #expect(worst <= 0.01, "per-interval errors \(intervalErrors)")
        #expect(call.referenceJitter.last.map { $0 > 5 } == true)  // reordering makes real jitter
    }

    @Test(arguments: [99, 5] as [UInt64])
    func keyFrameThatRetriesCannotSaveIsRecoveredByPLI(seed: UInt64) throws {
        let call = Self.runCall(seconds: 8, destroyKeyFrame: 180, seed: seed)
        let destroyed = try #require(call.destroyedKeyFrame)
        let indices = call.videoFrames.compactMap { Recv.vp8Index($0.data) }
        #expect(!indices.contains(destroyed.index))
        // The drop was reported, a PLI went out, the sender was asked for a key frame …
        #expect(call.videoDrops.contains { $0.reason == .incomplete })
        #expect(call.receiver.nackGiveUps >= 1)
        #expect(call.receiver.pictureLossIndicationsSent >= 1)
        #expect(call.keyFrameRequestsAtSender >= 1)
        // … and the next frame delivered is a fresh key frame, marked not contiguous, long before
        // the scheduled one at frame 270.
        let after = try #require(call.videoFrames.first { (Recv.vp8Index($0.data) ?? 0) > destroyed.index })
        let afterIndex = try #require(Recv.vp8Index(after.data))
        #expect(after.isKeyFrame && !after.isContiguous)
        #expect(afterIndex < destroyed.index + 40, "recovered at frame \(afterIndex)")
        // From there on, every frame arrives.
        let tail = indices.filter { $0 >= afterIndex }
        #expect(tail.count >= (call.framesSent - afterIndex) - 3)
    }
}

extension EndToEndMediaTests.Outcome: CustomTestStringConvertible {
    /// Keeps failure messages short: the whole outcome is hundreds of kilobytes.
    var testDescription: String { "outcome of \(framesSent) frames" }
}
