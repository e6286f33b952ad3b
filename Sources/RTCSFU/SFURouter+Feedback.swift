import NIOCore
import RTCRTP
import RTCRTPStreams

extension SFURouter {
    // MARK: Subscribers' feedback (RFC 4585 §6.2.1, §6.3.1; RFC 5104 §4.3.1)

    /// A subscriber asked for a key frame (PLI or FIR): the publisher of what it receives — and
    /// of what it waits to switch to — is asked, at most once per
    /// ``SFURouterConfiguration/keyFrameRequestInterval`` per source, however many ask; a request
    /// that finds the interval not yet passed goes out when it has. Unknown ids are ignored.
    public mutating func handleKeyFrameRequest(from id: SFUSubscriptionID, now: NIODeadline) {
        guard let leg = legs[id] else { return }
        statistics.keyFrameRequestsReceived += 1
        if let current = leg.current { requestKeyFrame(current, now: now) }
        if let target = leg.target, target != leg.current { requestKeyFrame(target, now: now) }
    }

    /// A subscriber lost these sequence numbers (of its own numbering; a Generic NACK's list):
    /// each is resent from the leg's cache when it has it (not more often than once per
    /// `roundTripTime`, or ``SFURouterConfiguration/retransmissionInterval`` when unknown), and
    /// otherwise asked of the publisher in its own numbering — once per interval for a sequence
    /// number, however many subscribers lost it. Numbers from before the leg's remembered
    /// switches are ignored. Unknown ids are ignored.
    public mutating func handleNACK(_ sequenceNumbers: [UInt16], from id: SFUSubscriptionID, roundTripTime: TimeAmount? = nil,
                                    now: NIODeadline) {
        guard legs[id] != nil else { return }
        let interval = roundTripTime.map { max($0, .milliseconds(5)) } ?? configuration.retransmissionInterval
        var upstream: [SFUSource: [UInt16]] = [:]
        for sequenceNumber in sequenceNumbers {
            statistics.nackedSequenceNumbers += 1
            if legs[id]!.cache != nil {
                switch legs[id]!.cache!.lookup(sequenceNumber, now: now, minimumInterval: interval) {
                case .cached(let bytes):
                    statistics.retransmissionsFromCache += 1
                    legs[id]!.statistics.retransmittedPackets += 1
                    outputs.append(.retransmit(id, bytes))
                    continue
                case .tooSoon:
                    continue
                case .notCached:
                    break
                }
            }
            guard let output = legs[id]!.extendedOutput(sequenceNumber),
                  let segment = legs[id]!.segments.last(where: { $0.firstOutput <= output }),
                  tracks[segment.source.track]?.layers.indices.contains(segment.source.layer) == true
            else { continue }
            upstream[segment.source, default: []].append(UInt16(truncatingIfNeeded: output - segment.offset))
        }
        for (source, lost) in upstream.sorted(by: { ($0.key.track.rawValue, $0.key.layer) < ($1.key.track.rawValue, $1.key.layer) }) {
            var layer = tracks[source.track]!.layers[source.layer]
            layer.recentRequests.removeAll { now - $0.at >= interval }
            var asked: [UInt16] = []
            for sequenceNumber in lost where !layer.recentRequests.contains(where: { $0.sequenceNumber == sequenceNumber }) {
                if layer.recentRequests.count >= 1_024 { layer.recentRequests.removeFirst() }
                layer.recentRequests.append((sequenceNumber, now))
                asked.append(sequenceNumber)
            }
            tracks[source.track]!.layers[source.layer] = layer
            guard !asked.isEmpty else { continue }
            statistics.retransmissionsRequested += asked.count
            outputs.append(.requestRetransmission(source, sequenceNumbers: asked))
        }
    }

    /// Asks `source`'s publisher for a key frame, throttled, and queues the request if it may go now.
    mutating func requestKeyFrame(_ source: SFUSource, now: NIODeadline) {
        guard tracks[source.track]?.layers.indices.contains(source.layer) == true else { return }
        tracks[source.track]!.layers[source.layer].keyFrames.request(now: now)
        drainKeyFrameRequest(source)
    }

    /// Moves a due key-frame request of `source` to the outputs.
    mutating func drainKeyFrameRequest(_ source: SFUSource) {
        guard tracks[source.track]?.layers[source.layer].keyFrames.pollRequest() == true else { return }
        statistics.keyFrameRequestsSent += 1
        outputs.append(.requestKeyFrame(source))
    }
}
