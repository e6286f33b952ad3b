import NIOCore
import RTCCore

/// The state of a candidate pair in the checklist (RFC 8445 §6.1.2.6, W3C
/// `RTCStatsIceCandidatePairState`).
public enum ICECandidatePairState: String, Sendable, Hashable {
    /// Not checked yet, waiting for a pair of its foundation to succeed.
    case frozen
    /// Ready to be checked.
    case waiting
    /// A check is in flight.
    case inProgress = "in-progress"
    /// A check succeeded.
    case succeeded
    /// Checks failed.
    case failed
}

/// Counters of one candidate pair, kept by the agent as checks and data pass (W3C
/// `RTCIceCandidatePairStats`). Times are the agent's `now` values; the edge turns them into
/// wall-clock timestamps.
public struct ICECandidatePairCounters: Sendable, Hashable {
    /// Connectivity-check and consent requests sent (first transmissions, RFC 8445 §7.2.4).
    public var requestsSent = 0
    /// Check requests received from the peer on this pair.
    public var requestsReceived = 0
    /// Success responses sent to the peer's checks.
    public var responsesSent = 0
    /// Success responses received to our checks and consent requests.
    public var responsesReceived = 0
    /// Consent-freshness requests sent (RFC 7675), a subset of `requestsSent`.
    public var consentRequestsSent = 0
    /// Application datagrams (DTLS, SRTP, SRTCP) sent on the pair.
    public var packetsSent = 0
    /// Application datagrams received on the pair.
    public var packetsReceived = 0
    /// Bytes of those datagrams sent (UDP payload; what a TURN server wraps around them not included).
    public var bytesSent = 0
    /// Bytes of those datagrams received.
    public var bytesReceived = 0
    /// The round-trip time of the last answered request.
    public var currentRoundTripTime: TimeAmount?
    /// The sum of every measured round-trip time.
    public var totalRoundTripTime: TimeAmount = .zero
    /// How many round-trip times were measured.
    public var roundTripTimeMeasurements = 0
    /// When application data last left on the pair.
    public var lastPacketSentAt: NIODeadline?
    /// When application data last arrived on the pair.
    public var lastPacketReceivedAt: NIODeadline?
    /// When a request was last sent on the pair.
    public var lastRequestSentAt: NIODeadline?

    /// Zero counters.
    public init() {}
}

/// One candidate pair as `ICEAgent.candidatePairStatistics` reports it.
public struct ICECandidatePairStatistics: Sendable, Hashable {
    /// The local candidate, the base it sends from and the remote candidate.
    public var pair: ICECandidatePair
    /// Where the pair is in the checklist.
    public var state: ICECandidatePairState
    /// Whether the pair was nominated (RFC 8445 §8.1.1).
    public var nominated: Bool
    /// Whether this is the selected pair that carries application data.
    public var isSelected: Bool
    /// The pair priority for the current role (RFC 8445 §6.1.2.3).
    public var priority: UInt64
    /// The pair's counters.
    public var counters: ICECandidatePairCounters
}

extension ICEAgent {
    /// Every pair of the current ICE generation, in the order they were formed, with their
    /// counters (read on demand: nothing is logged per packet).
    public var candidatePairStatistics: [ICECandidatePairStatistics] {
        pairs.indices.map { i in
            let p = pairs[i]
            let state: ICECandidatePairState = switch p.state {
            case .frozen: .frozen
            case .waiting: .waiting
            case .inProgress: .inProgress
            case .succeeded: .succeeded
            case .failed: .failed
            }
            return ICECandidatePairStatistics(pair: p.public_, state: state, nominated: p.nominated, isSelected: selectedIndex == i,
                                              priority: priority(of: p), counters: p.counters)
        }
    }

    /// Application data sent and received over the agent's life, on every pair and across ICE
    /// restarts (only the packet and byte counters are kept).
    public var applicationDataCounters: ICECandidatePairCounters { applicationTotals }

    /// The TURN server each relayed local candidate was allocated on, by the candidate's address
    /// (W3C `url` and `relayProtocol` of a relayed local candidate).
    public var relayServersByCandidate: [TransportAddress: ICERelayServer] {
        var servers: [TransportAddress: ICERelayServer] = [:]
        for relay in relays { if let candidate = relay.candidate { servers[candidate.address] = relay.server } }
        return servers
    }

    /// How many times a pair was selected (W3C `selectedCandidatePairChanges`).
    public var selectedPairChanges: Int { selectedPairChangeCount }

    /// Counts an application datagram (DTLS, SRTP) that arrived from `source` on local address
    /// `destination` and was accepted (``acceptsApplicationData(from:)``) against its pair.
    public mutating func countApplicationData(from source: TransportAddress, to destination: TransportAddress, bytes: Int,
                                              now: NIODeadline) {
        applicationTotals.packetsReceived += 1
        applicationTotals.bytesReceived += bytes
        let index: Int
        if let s = selectedIndex, pairs[s].remote.address == source, pairs[s].base == destination {
            index = s
        } else if let i = pairIndex[PairKey(base: destination, remote: source)] {
            index = i
        } else {
            return
        }
        pairs[index].counters.packetsReceived += 1
        pairs[index].counters.bytesReceived += bytes
        pairs[index].counters.lastPacketReceivedAt = now
    }

    /// Records a round-trip time measured on pair `index`: a response to a request last sent at `sentAt`.
    mutating func recordResponse(on index: Int, sentAt: NIODeadline?, now: NIODeadline) {
        guard pairs.indices.contains(index) else { return }
        pairs[index].counters.responsesReceived += 1
        guard let sentAt, now >= sentAt else { return }
        let rtt = now - sentAt
        pairs[index].counters.currentRoundTripTime = rtt
        pairs[index].counters.totalRoundTripTime = pairs[index].counters.totalRoundTripTime + rtt
        pairs[index].counters.roundTripTimeMeasurements += 1
    }

    /// Records a request sent for the first time on pair `index`.
    mutating func recordRequest(on index: Int, consent: Bool, now: NIODeadline) {
        guard pairs.indices.contains(index) else { return }
        pairs[index].counters.requestsSent += 1
        if consent { pairs[index].counters.consentRequestsSent += 1 }
        pairs[index].counters.lastRequestSentAt = now
    }
}
