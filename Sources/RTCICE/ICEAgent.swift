import NIOCore
import RTCCore
import RTCSTUN

/// A full ICE agent (RFC 8445) for one data stream with one component (BUNDLE + rtcp-mux),
/// with trickle (RFC 8838) and consent freshness (RFC 7675). Sans-IO: the edge gives it its
/// local addresses, datagrams and the time; it returns transmits, events and its next deadline.
///
/// Contract: after every call that takes `now`, drain `pollTransmit()` and `pollEvent()`, then
/// call `handleTimeout(now:)` no later than `nextDeadline`.
public struct ICEAgent: DatagramCore, Sendable {
    // MARK: Public state

    /// The configuration.
    public internal(set) var configuration: ICEConfiguration
    /// The current role (may change on a role conflict, RFC 8445 §7.3.1.1).
    public internal(set) var role: ICERole
    /// Our credentials (change on `restart`).
    public internal(set) var localCredentials: ICECredentials
    /// The peer's credentials, once signaled.
    public internal(set) var remoteCredentials: ICECredentials?
    /// Connection state.
    public internal(set) var connectionState: ICEConnectionState = .new
    /// Gathering state.
    public internal(set) var gatheringState: ICEGatheringState = .new
    /// The selected pair (RFC 8445 §8.1.1), if any. After `restart` it is `nil` until a new
    /// pair is selected, while data keeps flowing on the previous one.
    public var selectedPair: ICECandidatePair? { selectedIndex.map { pairs[$0].public_ } }
    /// Counters of dropped and rejected input.
    public internal(set) var statistics = ICEAgentStatistics()
    /// Local candidates gathered (host, server-reflexive and relayed), in order.
    public internal(set) var localCandidates: [ICECandidate] = []
    /// Remote candidates known (signaled or peer-reflexive).
    public internal(set) var remoteCandidates: [ICECandidate] = []
    /// What each STUN server reported for each base (base → mapped address), including
    /// answers equal to the base, which RFC 8445 §5.1.3 drops as redundant candidates.
    public internal(set) var serverReflexiveAddresses: [TransportAddress: TransportAddress] = [:]
    /// The tie-breaker sent in ICE-CONTROLLING/ICE-CONTROLLED (RFC 8445 §7.1.3).
    public let tieBreaker: UInt64

    // MARK: Internal state

    enum PairState: Hashable { case frozen, waiting, inProgress, succeeded, failed }

    struct Pair {
        var local: ICECandidate
        var base: TransportAddress
        var remote: ICECandidate
        var state: PairState = .frozen
        var valid = false
        var nominated = false
        var nominateOnSuccess = false
        var useCandidateSent = false
        /// Requests, responses, data and round-trip times (`candidatePairStatistics`).
        var counters = ICECandidatePairCounters()
        var public_: ICECandidatePair { ICECandidatePair(local: local, localBase: base, remote: remote) }
        var foundation: String { local.foundation + "/" + remote.foundation }
    }

    enum TransactionKind {
        case check(pair: Int, useCandidate: Bool)
        case consent(pair: Int)
        case gather(base: TransportAddress, server: TransportAddress)
    }

    struct Transaction {
        var kind: TransactionKind
        var transmit: Transmit
        var sent: Int
        var maxTransmissions: Int
        var rto: TimeAmount
        var next: NIODeadline
        var generation: Int
        /// When the request last went out (a response measures the round-trip time from it).
        var lastSentAt: NIODeadline? = nil
    }

    struct PairKey: Hashable {
        var base: TransportAddress
        var remote: TransportAddress
    }

    var rng: any RandomNumberGenerator & Sendable
    var localKey: STUNIntegrityKey
    var remoteKey: STUNIntegrityKey?
    var bases: [TransportAddress] = []
    var baseCandidates: [TransportAddress: ICECandidate] = [:]
    var foundations: [String: String] = [:]
    var pairs: [Pair] = []
    var pairIndex: [PairKey: Int] = [:]
    var triggered: [Int] = []
    var transactions: [STUNTransactionID: Transaction] = [:]
    var lastCheckSent: NIODeadline?
    var firstValidAt: NIODeadline?
    var selectedIndex: Int?
    var selectedSend: (base: TransportAddress, remote: TransportAddress)?
    var lastConsent: NIODeadline?
    var nextConsent: NIODeadline?
    /// When the current round of checking began (set by the first timeout while checking).
    var checkingSince: NIODeadline?
    var remoteEnded = false
    var gatheringStarted = false
    var generation = 0
    var prflxCounter = 0
    /// How many times a pair was selected (`selectedPairChanges`).
    var selectedPairChangeCount = 0
    /// Application data on every pair of every generation (`applicationDataCounters`).
    var applicationTotals = ICECandidatePairCounters()
    var transmits: [Transmit] = []
    var events: [ICEEvent] = []
    /// TURN allocations, one per configured relay server (ICEAgent+Relay).
    var relays: [Relay] = []
    /// The last `now` given: relay requests made while pairing (which takes no time) use it.
    var lastNow: NIODeadline?

    /// Creates an agent. `rng` supplies credentials, tie-breaker and transaction ids (RFC 8445
    /// §16.1, RFC 8489 §6: they must be unpredictable): the system CSPRNG by default; tests
    /// pass a `SeededRandom`.
    public init(configuration: ICEConfiguration = ICEConfiguration(), role: ICERole,
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        var r: any RandomNumberGenerator & Sendable = rng
        self.configuration = configuration
        self.role = role
        self.localCredentials = configuration.localCredentials ?? ICECredentials.random(using: &r)
        self.tieBreaker = r.next()
        self.rng = r
        self.localKey = .shortTerm(password: localCredentials.password)
    }

    /// Sets the role the agent starts with, before it has any pair (the answerer learns it
    /// from the offer, RFC 8445 §6.1.1). Later changes are role conflicts, resolved by the agent.
    public mutating func setInitialRole(_ newRole: ICERole) {
        guard pairs.isEmpty else { return }
        role = newRole
    }

    // MARK: Outputs

    /// The next datagram to send, or `nil`.
    public mutating func pollTransmit() -> Transmit? {
        while !transmits.isEmpty {
            // Checks and answers on relayed candidates leave wrapped, through the TURN server.
            if let t = wrapForRelay(transmits.removeFirst()) { return t }
        }
        return relays.isEmpty ? nil : pollRelayTransmit()
    }

    /// The next event, or `nil`.
    public mutating func pollEvent() -> ICEEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// When `handleTimeout(now:)` must be called next, or `nil` when nothing is pending.
    public var nextDeadline: NIODeadline? {
        guard connectionState != .closed else { return nil }
        var d: NIODeadline? = nil
        func consider(_ t: NIODeadline?) { if let t { d = d.map { min($0, t) } ?? t } }
        for t in transactions.values { consider(t.next) }
        if !relays.isEmpty { consider(relayDeadline) }
        if hasCheckWork { consider(lastCheckSent.map { $0 + configuration.pacing } ?? .uptimeNanoseconds(0)) }
        // While a nominating check is in flight, its transaction's retransmit time is the
        // deadline; asking for nomination again then would only spin (nominate() waits for it).
        if role == .controlling, selectedIndex == nil, let f = firstValidAt, pairs.contains(where: { $0.valid && !$0.useCandidateSent }),
           !pairs.contains(where: { $0.useCandidateSent && $0.state == .inProgress }) {
            consider(bestValidPairIsUnbeatable ? f : f + configuration.nominationDelay)
        }
        if selectedIndex != nil {
            consider(nextConsent)
            consider(lastConsent.map { $0 + configuration.consentTimeout })
            if connectionState == .connected { consider(lastConsent.map { $0 + configuration.disconnectedTimeout }) }
        }
        if connectionState == .checking && selectedIndex == nil {
            consider(checkingSince.map { $0 + configuration.checkingTimeout } ?? .uptimeNanoseconds(0))
        }
        return d
    }

    // MARK: Inputs: candidates and credentials

    /// Sets the peer's credentials (from its SDP `ice-ufrag`/`ice-pwd`).
    public mutating func setRemoteCredentials(_ credentials: ICECredentials, now: NIODeadline) {
        remoteCredentials = credentials
        remoteKey = .shortTerm(password: credentials.password)
        updateChecking()
    }

    /// Adds a remote candidate (RFC 8838 §11). TCP candidates and candidates of other
    /// components are ignored. Returns `false` when ignored.
    @discardableResult
    public mutating func addRemoteCandidate(_ candidate: ICECandidate, now: NIODeadline) -> Bool {
        guard candidate.transport == "udp", candidate.component == 1, connectionState != .closed else { return false }
        if let existing = remoteCandidates.firstIndex(where: { $0.address == candidate.address }) {
            // A signaled candidate replaces a peer-reflexive one learned earlier (RFC 8445 §7.3.1.3).
            if remoteCandidates[existing].type == .peerReflexive && candidate.type != .peerReflexive {
                remoteCandidates[existing] = candidate
                for i in pairs.indices where pairs[i].remote.address == candidate.address { pairs[i].remote = candidate }
            }
            return true
        }
        lastNow = now
        remoteCandidates.append(candidate)
        for base in bases { if let local = baseCandidates[base] { pair(local: local, base: base, remote: candidate) } }
        for relay in relays { if let local = relay.candidate { pair(local: local, base: local.address, remote: candidate) } }
        updateChecking()
        return true
    }

    /// The peer signaled end-of-candidates (RFC 8838 §13): once every pair failed, the
    /// connection fails instead of waiting for more candidates.
    public mutating func endOfRemoteCandidates(now: NIODeadline) {
        remoteEnded = true
        updateFailure()
    }

    /// ICE restart (RFC 8445 §9): new local credentials (random unless given), remote
    /// credentials and candidates forgotten, checks start over. The previously selected pair
    /// keeps carrying data until a new one is selected. Signal the new credentials and local
    /// candidates to the peer.
    ///
    /// `localAddresses`, when given, are the addresses the edge has sockets on now (see
    /// ``replaceLocalAddresses(_:now:)``): candidates of addresses that went away are not
    /// reported again, and new addresses are gathered on.
    public mutating func restart(localCredentials newCredentials: ICECredentials? = nil, localAddresses: [TransportAddress]? = nil,
                                 now: NIODeadline) {
        if let localAddresses { forget(bases: Set(bases.filter { !localAddresses.contains($0) })) }
        generation += 1
        localCredentials = newCredentials ?? ICECredentials.random(using: &rng)
        localKey = .shortTerm(password: localCredentials.password)
        remoteCredentials = nil
        remoteKey = nil
        remoteCandidates = []
        pairs = []
        pairIndex = [:]
        triggered = []
        transactions = transactions.filter { if case .gather = $0.value.kind { return true } else { return false } }
        selectedIndex = nil
        firstValidAt = nil
        lastCheckSent = nil
        nextConsent = nil
        remoteEnded = false
        checkingSince = nil
        if connectionState == .failed || connectionState == .connected || connectionState == .disconnected { setState(.checking) }
        // A TURN allocation that failed (server unreachable then, a TCP/TLS connection that
        // closed, refused credentials) is tried again: a restart is when a new one is wanted.
        statistics.relayRetries += removeRelays { $0.error != nil }
        releaseUnlistedRelays(now: now)
        for c in localCandidates { events.append(.candidateGathered(c)) }
        if configuration.relayServers.contains(where: { server in !relays.contains { $0.server.endpoint == server.endpoint } }) {
            startRelays(now: now)
            // The caller announced `gathering` with the restart; `complete` follows the allocations.
            if relays.contains(where: \.isPending) { gatheringState = .gathering }
        }
        if gatheringState == .complete { events.append(.gatheringStateChanged(.complete)) }
        if let localAddresses { replaceLocalAddresses(localAddresses, now: now) }
    }

    /// Stops the agent: no more deadlines or data. TURN allocations are released (RFC 8656
    /// §7.2, Refresh with LIFETIME 0): drain `pollTransmit()` once more after closing.
    public mutating func close() {
        if !relays.isEmpty, connectionState != .closed { closeRelays(now: lastNow ?? .uptimeNanoseconds(0)) }
        transactions = [:]
        selectedIndex = nil
        selectedSend = nil
        setState(.closed)
    }

    // MARK: Inputs: data and time

    /// Sends application data on the selected pair or, before one is selected, on the valid
    /// pair of highest priority (RFC 8445 §12.1); `nil` when there is none or consent has
    /// expired (RFC 7675 §5.1). On a relayed pair the datagram is wrapped for the TURN server
    /// (ChannelData once the channel is bound, RFC 8656 §12.4; a Send indication before).
    public mutating func send(applicationData: ByteBuffer, now: NIODeadline) -> Transmit? {
        guard connectionState != .failed, connectionState != .closed else { return nil }
        let s: (base: TransportAddress, remote: TransportAddress)
        let index: Int?
        if let selected = selectedSend {
            (s, index) = (selected, selectedIndex)
        } else if let valid = bestValidPairIndex {
            (s, index) = ((pairs[valid].base, pairs[valid].remote.address), valid)
        } else {
            return nil
        }
        let transmit = Transmit(source: s.base, destination: s.remote, payload: applicationData)
        if let i = index {
            pairs[i].counters.packetsSent += 1
            pairs[i].counters.bytesSent += applicationData.readableBytes
            pairs[i].counters.lastPacketSentAt = now
        }
        applicationTotals.packetsSent += 1
        applicationTotals.bytesSent += applicationData.readableBytes
        if relays.isEmpty { return transmit }
        lastNow = now
        return wrapForRelay(transmit)
    }

    /// Whether application data (DTLS, SRTP…, RFC 7983) from `source` comes from the peer:
    /// the selected pair's remote address or a known remote candidate. The layer above drops
    /// what fails this check.
    public func acceptsApplicationData(from source: TransportAddress) -> Bool {
        if let s = selectedSend, s.remote == source { return true }
        return remoteCandidates.contains(where: { $0.address == source })
    }

    /// Handles a received STUN datagram (connectivity checks, their responses, consent).
    /// Anything that is not STUN is not the agent's business: it is dropped and counted in
    /// `statistics.unknownSourceDropped`; demultiplex first (RFC 7983, `PacketKind`) and check
    /// other packets with ``acceptsApplicationData(from:)``.
    public mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        guard connectionState != .closed else { return }
        lastNow = now
        // From a TURN server: its own responses, or a peer's STUN relayed to us.
        if !relays.isEmpty, relays.contains(where: { $0.server.address == datagram.source && $0.socket == datagram.destination }),
           !Self.isBindingMessage(datagram.payload) {
            guard let unwrapped = unwrapRelayed(datagram, now: now) else { return }
            return handle(unwrapped, now: now)
        }
        guard let first = datagram.payload.readableBytesView.first else { statistics.malformedDropped += 1; return }
        guard PacketKind(firstByte: first) == .stun else {
            statistics.unknownSourceDropped += 1
            return
        }
        let parsed: STUNParsedMessage
        do { parsed = try STUNParsedMessage(datagram.payload) } catch { statistics.malformedDropped += 1; return }
        switch parsed.message.type.messageClass {
        case .request:
            if parsed.message.type.method == .binding { handleRequest(parsed, datagram, now: now) }
        case .successResponse, .errorResponse:
            handleResponse(parsed, datagram, now: now)
        case .indication:
            break // Binding indications are keep-alives (RFC 8445 §11): nothing to do.
        }
    }

    /// Advances time: retransmits, pacing (Ta), nomination and consent.
    public mutating func handleTimeout(now: NIODeadline) {
        guard connectionState != .closed else { return }
        lastNow = now
        if !relays.isEmpty { handleRelayTimeouts(now: now) }
        // Retransmissions and transaction timeouts.
        for (id, t) in transactions where t.next <= now {
            if t.sent >= t.maxTransmissions {
                transactions[id] = nil
                transactionFailed(t, now: now)
            } else {
                var t = t
                transmits.append(t.transmit)
                if t.sent == 0, case .check = t.kind { statistics.checksSent += 1 }
                t.sent += 1
                t.lastSentAt = now
                t.next = now + t.rto
                t.rto = min(t.rto * 2, configuration.maxCheckRTO)
                transactions[id] = t
            }
        }
        // One ordinary or triggered check per Ta (RFC 8445 §6.1.4.2).
        if hasCheckWork, lastCheckSent.map({ now >= $0 + configuration.pacing }) ?? true {
            if let index = nextPairToCheck() {
                sendCheck(pair: index, useCandidate: pairs[index].nominateOnSuccess && role == .controlling, now: now)
                lastCheckSent = now
            }
        }
        // Regular nomination by the controlling agent (RFC 8445 §8.1.1).
        nominateIfDue(now: now)
        // Consent freshness (RFC 7675 §5.1), and silence before it expires.
        if let selected = selectedIndex {
            if let last = lastConsent, now >= last + configuration.consentTimeout {
                pairs[selected].state = .failed
                pairs[selected].valid = false
                selectedIndex = nil
                selectedSend = nil
                setState(.failed)
            } else {
                if connectionState == .connected, let last = lastConsent, now >= last + configuration.disconnectedTimeout {
                    setState(.disconnected)
                }
                if let next = nextConsent, now >= next {
                    sendConsent(pair: selected, now: now)
                    scheduleConsent(now: now)
                }
            }
        }
        // Checking that never selects a pair fails in the end, end-of-candidates or not.
        if connectionState == .checking && selectedIndex == nil {
            if let since = checkingSince {
                if now >= since + configuration.checkingTimeout { setState(.failed) }
            } else {
                checkingSince = now
            }
        } else {
            checkingSince = nil
        }
    }

    /// The peer was heard on the selected pair (a consent response or its own check): consent
    /// is fresh, and a `disconnected` connection is `connected` again.
    mutating func consentRefreshed(now: NIODeadline) {
        lastConsent = max(lastConsent ?? now, now)
        if connectionState == .disconnected { setState(.connected) }
    }
}
