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
    public let configuration: ICEConfiguration
    /// The current role (may change on a role conflict, RFC 8445 §7.3.1.1).
    public private(set) var role: ICERole
    /// Our credentials (change on `restart`).
    public private(set) var localCredentials: ICECredentials
    /// The peer's credentials, once signaled.
    public private(set) var remoteCredentials: ICECredentials?
    /// Connection state.
    public private(set) var connectionState: ICEConnectionState = .new
    /// Gathering state.
    public private(set) var gatheringState: ICEGatheringState = .new
    /// The selected pair (RFC 8445 §8.1.1), if any. After `restart` it is `nil` until a new
    /// pair is selected, while data keeps flowing on the previous one.
    public var selectedPair: ICECandidatePair? { selectedIndex.map { pairs[$0].public_ } }
    /// Counters of dropped and rejected input.
    public private(set) var statistics = ICEAgentStatistics()
    /// Local candidates gathered (host and server-reflexive), in order.
    public private(set) var localCandidates: [ICECandidate] = []
    /// Remote candidates known (signaled or peer-reflexive).
    public private(set) var remoteCandidates: [ICECandidate] = []
    /// What each STUN server reported for each base (base → mapped address), including
    /// answers equal to the base, which RFC 8445 §5.1.3 drops as redundant candidates.
    public private(set) var serverReflexiveAddresses: [TransportAddress: TransportAddress] = [:]
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
    }

    struct PairKey: Hashable {
        var base: TransportAddress
        var remote: TransportAddress
    }

    private var rng: any RandomNumberGenerator & Sendable
    private var localKey: STUNIntegrityKey
    private var remoteKey: STUNIntegrityKey?
    private var bases: [TransportAddress] = []
    private var baseCandidates: [TransportAddress: ICECandidate] = [:]
    private var foundations: [String: String] = [:]
    private var pairs: [Pair] = []
    private var pairIndex: [PairKey: Int] = [:]
    private var triggered: [Int] = []
    private var transactions: [STUNTransactionID: Transaction] = [:]
    private var lastCheckSent: NIODeadline?
    private var firstValidAt: NIODeadline?
    private var selectedIndex: Int?
    private var selectedSend: (base: TransportAddress, remote: TransportAddress)?
    private var lastConsent: NIODeadline?
    private var nextConsent: NIODeadline?
    private var remoteEnded = false
    private var gatheringStarted = false
    private var generation = 0
    private var prflxCounter = 0
    private var transmits: [Transmit] = []
    private var events: [ICEEvent] = []

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

    // MARK: Outputs

    /// The next datagram to send, or `nil`.
    public mutating func pollTransmit() -> Transmit? {
        transmits.isEmpty ? nil : transmits.removeFirst()
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
        }
        return d
    }

    // MARK: Inputs: candidates and credentials

    /// Starts gathering (RFC 8445 §5.1.1): one host candidate per address the edge bound (the
    /// edge filters interfaces; loopback and link-local are skipped unless configured), then
    /// server-reflexive candidates from the configured STUN servers.
    public mutating func startGathering(localAddresses: [TransportAddress], now: NIODeadline) {
        gatheringStarted = true
        setGathering(.gathering)
        for address in localAddresses { addLocalInterface(address, now: now) }
        checkGatheringComplete()
    }

    /// Adds one bound local address as a host candidate and queries STUN servers from it.
    public mutating func addLocalInterface(_ address: TransportAddress, now: NIODeadline) {
        if address.ip.isLoopback && !configuration.includeLoopback { return }
        if address.ip.isLinkLocal && !configuration.includeLinkLocal { return }
        guard !bases.contains(address) else { return }
        if gatheringState == .new { setGathering(.gathering) }
        let index = bases.filter { $0.ip.isIPv4 == address.ip.isIPv4 }.count
        bases.append(address)
        let localPreference = UInt16((address.ip.isIPv4 ? 50_000 : 60_000) - min(index, 1000) * 10)
        let host = ICECandidate(foundation: foundation(type: .host, base: address.ip, server: nil), priority:
                                    ICECandidate.priority(type: .host, localPreference: localPreference),
                                address: address, type: .host)
        baseCandidates[address] = host
        localCandidates.append(host)
        events.append(.candidateGathered(host))
        for remoteIndex in remoteCandidates.indices { pair(local: host, base: address, remote: remoteCandidates[remoteIndex]) }
        for server in configuration.stunServers where server.ip.isIPv4 == address.ip.isIPv4 {
            var request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
            if let s = configuration.software { request.append(.software(s)) }
            let transmit = Transmit(source: address, destination: server, payload: request.encoded(fingerprint: true))
            start(Transaction(kind: .gather(base: address, server: server), transmit: transmit, sent: 0,
                              maxTransmissions: configuration.gatheringTransmissions, rto: configuration.gatheringRTO,
                              next: now, generation: generation), id: request.transactionID, now: now)
        }
        updateChecking()
    }

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
        remoteCandidates.append(candidate)
        for base in bases { if let local = baseCandidates[base] { pair(local: local, base: base, remote: candidate) } }
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
    public mutating func restart(localCredentials newCredentials: ICECredentials? = nil, now: NIODeadline) {
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
        if connectionState == .failed || connectionState == .connected { setState(.checking) }
        for c in localCandidates { events.append(.candidateGathered(c)) }
        if gatheringState == .complete { events.append(.gatheringStateChanged(.complete)) }
    }

    /// Stops the agent: no more transmits, deadlines or data.
    public mutating func close() {
        transactions = [:]
        selectedIndex = nil
        selectedSend = nil
        setState(.closed)
    }

    // MARK: Inputs: data and time

    /// Sends application data on the selected pair; `nil` when there is none or consent has
    /// expired (RFC 7675 §5.1).
    public func send(applicationData: ByteBuffer, now: NIODeadline) -> Transmit? {
        guard let s = selectedSend, connectionState != .failed, connectionState != .closed else { return nil }
        return Transmit(source: s.base, destination: s.remote, payload: applicationData)
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
        // Consent freshness (RFC 7675 §5.1).
        if let selected = selectedIndex {
            if let last = lastConsent, now >= last + configuration.consentTimeout {
                pairs[selected].state = .failed
                pairs[selected].valid = false
                selectedIndex = nil
                selectedSend = nil
                setState(.failed)
            } else if let next = nextConsent, now >= next {
                sendConsent(pair: selected, now: now)
                scheduleConsent(now: now)
            }
        }
    }

    // MARK: Private: gathering

    private mutating func foundation(type: ICECandidateType, base: IPAddress, server: TransportAddress?) -> String {
        let key = "\(type.rawValue)|\(base)|\(server.map(\.description) ?? "")"
        if let f = foundations[key] { return f }
        let f = String(foundations.count + 1)
        foundations[key] = f
        return f
    }

    private mutating func setGathering(_ s: ICEGatheringState) {
        guard gatheringState != s else { return }
        gatheringState = s
        events.append(.gatheringStateChanged(s))
    }

    private mutating func checkGatheringComplete() {
        guard gatheringStarted, gatheringState == .gathering else { return }
        if !transactions.values.contains(where: { if case .gather = $0.kind { return true } else { return false } }) {
            setGathering(.complete)
        }
    }

    // MARK: Private: pairs and checks

    /// Adds the pair `base` → `remote` to the checklist. Pairs are formed within one address
    /// family (RFC 8445 §6.1.2.2) and, by our own rule, loopback only with loopback — unless
    /// `provenByPeer`: the peer's check arrived on exactly this path.
    private mutating func pair(local: ICECandidate, base: TransportAddress, remote: ICECandidate, provenByPeer: Bool = false) {
        guard base.ip.isIPv4 == remote.address.ip.isIPv4 else { return }
        guard provenByPeer || base.ip.isLoopback == remote.address.ip.isLoopback else { return }
        let key = PairKey(base: base, remote: remote.address)
        guard pairIndex[key] == nil, pairs.count < 100 else { return }
        var p = Pair(local: local, base: base, remote: remote)
        // Unfreeze the first pair of each foundation (RFC 8445 §6.1.2.6).
        if !pairs.contains(where: { $0.foundation == p.foundation }) { p.state = .waiting }
        pairIndex[key] = pairs.count
        pairs.append(p)
    }

    private func priority(of p: Pair) -> UInt64 {
        role == .controlling
            ? ICECandidatePair.priority(controlling: p.local.priority, controlled: p.remote.priority)
            : ICECandidatePair.priority(controlling: p.remote.priority, controlled: p.local.priority)
    }

    private var hasCheckWork: Bool {
        guard remoteCredentials != nil, connectionState != .closed else { return false }
        if !triggered.isEmpty { return true }
        if role == .controlling && selectedIndex != nil { return false }
        return pairs.contains { $0.state == .waiting || $0.state == .frozen }
    }

    private mutating func nextPairToCheck() -> Int? {
        while !triggered.isEmpty {
            let i = triggered.removeFirst()
            if pairs.indices.contains(i), pairs[i].state != .inProgress { return i }
        }
        if role == .controlling && selectedIndex != nil { return nil }
        let ordered = pairs.indices.sorted { priority(of: pairs[$0]) > priority(of: pairs[$1]) }
        if let w = ordered.first(where: { pairs[$0].state == .waiting }) { return w }
        return ordered.first(where: { pairs[$0].state == .frozen })
    }

    private mutating func bindingRequest(pair index: Int, useCandidate: Bool) -> (STUNMessage, Transmit)? {
        guard let remote = remoteCredentials, let key = remoteKey else { return nil }
        let p = pairs[index]
        var m = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
        m.append(.username("\(remote.ufrag):\(localCredentials.ufrag)"))
        m.append(.priority(ICECandidate.priority(type: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: p.local.priority >> 8))))
        m.append(role == .controlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker))
        if useCandidate { m.append(.useCandidate) }
        if let s = configuration.software { m.append(.software(s)) }
        let transmit = Transmit(source: p.base, destination: p.remote.address, payload: m.encoded(integrity: key, fingerprint: true))
        return (m, transmit)
    }

    private mutating func sendCheck(pair index: Int, useCandidate: Bool, now: NIODeadline) {
        guard let (m, transmit) = bindingRequest(pair: index, useCandidate: useCandidate) else {
            triggered.append(index)
            return
        }
        // Cancel an older check on this pair (RFC 8445 §7.3.1.4 re-check).
        transactions = transactions.filter {
            if case .check(let p, _) = $0.value.kind { return p != index } else { return true }
        }
        pairs[index].state = .inProgress
        if useCandidate { pairs[index].useCandidateSent = true }
        start(Transaction(kind: .check(pair: index, useCandidate: useCandidate), transmit: transmit, sent: 0,
                          maxTransmissions: configuration.checkTransmissions, rto: configuration.checkRTO,
                          next: now, generation: generation), id: m.transactionID, now: now)
    }

    private mutating func sendConsent(pair index: Int, now: NIODeadline) {
        guard let (m, transmit) = bindingRequest(pair: index, useCandidate: false) else { return }
        start(Transaction(kind: .consent(pair: index), transmit: transmit, sent: 0, maxTransmissions: 1,
                          rto: configuration.consentInterval, next: now, generation: generation), id: m.transactionID, now: now)
    }

    private mutating func start(_ t: Transaction, id: STUNTransactionID, now: NIODeadline) {
        var t = t
        transmits.append(t.transmit)
        if case .check = t.kind { statistics.checksSent += 1 }
        t.sent = 1
        t.next = now + t.rto
        t.rto = min(t.rto * 2, configuration.maxCheckRTO)
        transactions[id] = t
    }

    private mutating func scheduleConsent(now: NIODeadline) {
        let base = configuration.consentInterval.nanoseconds
        let jitter = Int64(rng.next() % UInt64(max(1, base * 2 / 5))) - base / 5
        nextConsent = now + .nanoseconds(base + jitter)
    }

    private mutating func transactionFailed(_ t: Transaction, now: NIODeadline) {
        guard t.generation == generation || { if case .gather = t.kind { return true } else { return false } }() else { return }
        switch t.kind {
        case .check(let index, _):
            pairs[index].state = .failed
            updateFailure()
            nominateIfDue(now: now)
        case .consent:
            break // consent is judged by time since the last response
        case .gather:
            checkGatheringComplete()
        }
    }

    /// Whether the best valid pair not yet nominated has at least the priority of every pair
    /// whose check is still pending (frozen, waiting or in progress): no check still to come
    /// can produce a better pair, so waiting for them gains nothing.
    private var bestValidPairIsUnbeatable: Bool {
        var best: UInt64?
        for p in pairs where p.valid && !p.useCandidateSent { best = max(best ?? 0, priority(of: p)) }
        guard let best else { return false }
        return !pairs.contains { p in
            (p.state == .frozen || p.state == .waiting || (p.state == .inProgress && !p.useCandidateSent)) && priority(of: p) > best
        }
    }

    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent nominates as soon as a valid
    /// pair exists that no pending check could beat, and otherwise `nominationDelay` after the
    /// first valid pair (so a lost check on a better pair cannot hold the connection up).
    private mutating func nominateIfDue(now: NIODeadline) {
        guard role == .controlling, selectedIndex == nil, let f = firstValidAt else { return }
        if now >= f + configuration.nominationDelay || bestValidPairIsUnbeatable { nominate(now: now) }
    }

    private mutating func nominate(now: NIODeadline) {
        let candidates = pairs.indices.filter { pairs[$0].valid && !pairs[$0].useCandidateSent }
        guard let best = candidates.max(by: { priority(of: pairs[$0]) < priority(of: pairs[$1]) }) else { return }
        guard !pairs.contains(where: { $0.useCandidateSent && $0.state == .inProgress }) else { return }
        pairs[best].nominateOnSuccess = true
        sendCheck(pair: best, useCandidate: true, now: now)
    }

    private mutating func select(_ index: Int, now: NIODeadline) {
        pairs[index].nominated = true
        if let current = selectedIndex, current == index { return }
        if let current = selectedIndex, priority(of: pairs[current]) > priority(of: pairs[index]) { return }
        selectedIndex = index
        selectedSend = (pairs[index].base, pairs[index].remote.address)
        lastConsent = now
        scheduleConsent(now: now)
        events.append(.selectedPairChanged(pairs[index].public_))
        setState(.connected)
    }

    private mutating func setState(_ s: ICEConnectionState) {
        guard connectionState != s else { return }
        connectionState = s
        events.append(.connectionStateChanged(s))
    }

    private mutating func updateChecking() {
        if connectionState == .new, remoteCredentials != nil, !pairs.isEmpty { setState(.checking) }
    }

    private mutating func updateFailure() {
        guard selectedIndex == nil, remoteEnded, !pairs.isEmpty, connectionState == .checking else { return }
        if pairs.allSatisfy({ $0.state == .failed }) { setState(.failed) }
    }

    // MARK: Private: STUN requests (RFC 8445 §7.3)

    private mutating func respond(to request: STUNMessage, _ datagram: ReceivedDatagram, error: STUNErrorCode? = nil,
                                  extra: [STUNAttribute] = [], integrity: Bool) {
        var m = STUNMessage(type: STUNMessageType(method: .binding, messageClass: error == nil ? .successResponse : .errorResponse),
                            transactionID: request.transactionID)
        if let error { m.append(.errorCode(error)) } else { m.append(.xorMappedAddress(datagram.source, transactionID: request.transactionID)) }
        m.attributes += extra
        if let s = configuration.software { m.append(.software(s)) }
        transmits.append(Transmit(source: datagram.destination, destination: datagram.source,
                                  payload: m.encoded(integrity: integrity ? localKey : nil, fingerprint: true)))
    }

    private mutating func handleRequest(_ parsed: STUNParsedMessage, _ datagram: ReceivedDatagram, now: NIODeadline) {
        let m = parsed.message
        statistics.checksReceived += 1
        // RFC 8445 §7.3: FINGERPRINT is required on checks; a bad one means "not ours": drop.
        guard parsed.verifyFingerprint() else { statistics.badFingerprintDropped += 1; return }
        // RFC 8489 §9.1.3: missing USERNAME or MESSAGE-INTEGRITY → 400; wrong → 401.
        guard let username = m.username, parsed.hasIntegrity else {
            statistics.unauthenticatedRejected += 1
            respond(to: m, datagram, error: .badRequest, integrity: false)
            return
        }
        guard username.hasPrefix(localCredentials.ufrag + ":"), parsed.verifyIntegrity(localKey) else {
            statistics.unauthenticatedRejected += 1
            respond(to: m, datagram, error: .unauthenticated, integrity: false)
            return
        }
        let unknown = m.unknownComprehensionRequired()
        guard unknown.isEmpty else {
            statistics.unknownAttributeRejected += 1
            respond(to: m, datagram, error: .unknownAttribute, extra: [.unknownAttributes(unknown)], integrity: true)
            return
        }
        guard bases.contains(datagram.destination) else { return }
        // Role conflict (RFC 8445 §7.3.1.1).
        if role == .controlling, let theirs = m.iceControlling {
            statistics.roleConflicts += 1
            if tieBreaker >= theirs {
                respond(to: m, datagram, error: .roleConflict, integrity: true)
                return
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let theirs = m.iceControlled {
            statistics.roleConflicts += 1
            if tieBreaker >= theirs {
                switchRole(to: .controlling)
            } else {
                respond(to: m, datagram, error: .roleConflict, integrity: true)
                return
            }
        }
        // Peer-reflexive remote candidate (RFC 8445 §7.3.1.3).
        if !remoteCandidates.contains(where: { $0.address == datagram.source }) {
            prflxCounter += 1
            let prflx = ICECandidate(foundation: "prflx\(prflxCounter)", priority: m.priority ?? 0,
                                     address: datagram.source, type: .peerReflexive)
            remoteCandidates.append(prflx)
        }
        // The request proves this path works, so the pair joins the checklist even where our
        // own pairing would have skipped it (a loopback base with a non-loopback remote): the
        // peer may nominate it, and a pair we answer but never check could never be selected.
        if pairIndex[PairKey(base: datagram.destination, remote: datagram.source)] == nil,
           let local = baseCandidates[datagram.destination],
           let remote = remoteCandidates.first(where: { $0.address == datagram.source }) {
            pair(local: local, base: datagram.destination, remote: remote, provenByPeer: true)
        }
        respond(to: m, datagram, integrity: true)
        guard let index = pairIndex[PairKey(base: datagram.destination, remote: datagram.source)] else { return }
        // Triggered check (RFC 8445 §7.3.1.4).
        switch pairs[index].state {
        case .succeeded:
            break
        case .inProgress:
            break
        case .frozen, .waiting, .failed:
            pairs[index].state = .waiting
            if !triggered.contains(index) { triggered.append(index) }
        }
        updateChecking()
        // Nomination by the controlling peer (RFC 8445 §7.3.1.5).
        if role == .controlled && m.useCandidate {
            if pairs[index].valid { select(index, now: now) } else { pairs[index].nominateOnSuccess = true }
        }
        if selectedIndex == index { lastConsent = max(lastConsent ?? now, now) }
    }

    private mutating func switchRole(to newRole: ICERole) {
        role = newRole
        events.append(.roleChanged(newRole))
    }

    // MARK: Private: STUN responses

    private mutating func handleResponse(_ parsed: STUNParsedMessage, _ datagram: ReceivedDatagram, now: NIODeadline) {
        let m = parsed.message
        guard let t = transactions[m.transactionID] else { statistics.unmatchedResponsesDropped += 1; return }
        switch t.kind {
        case .gather(let base, let server):
            guard datagram.source == server, datagram.destination == base else { statistics.unmatchedResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            if m.type.messageClass == .successResponse, let mapped = m.xorMappedAddress ?? m.mappedAddress {
                serverReflexiveAddresses[base] = mapped
            }
            if m.type.messageClass == .successResponse, let mapped = m.xorMappedAddress ?? m.mappedAddress,
               mapped != base, !localCandidates.contains(where: { $0.address == mapped }) {
                let host = baseCandidates[base]
                let localPreference = UInt16(truncatingIfNeeded: (host?.priority ?? 0) >> 8)
                let srflx = ICECandidate(foundation: foundation(type: .serverReflexive, base: base.ip, server: server),
                                         priority: ICECandidate.priority(type: .serverReflexive, localPreference: localPreference),
                                         address: mapped, type: .serverReflexive, relatedAddress: base)
                localCandidates.append(srflx)
                events.append(.candidateGathered(srflx))
            }
            checkGatheringComplete()
        case .check(let index, let useCandidate):
            guard let key = remoteKey, parsed.verifyIntegrity(key) else { statistics.badIntegrityResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            guard t.generation == generation else { return }
            // Non-symmetric addresses fail the check (RFC 8445 §7.2.5.2.1).
            guard datagram.source == pairs[index].remote.address, datagram.destination == pairs[index].base else {
                pairs[index].state = .failed
                updateFailure()
                return
            }
            if m.type.messageClass == .errorResponse {
                if m.errorCode?.code == 487 {
                    // Role conflict (RFC 8445 §7.2.5.1): switch and retry.
                    statistics.roleConflicts += 1
                    switchRole(to: role == .controlling ? .controlled : .controlling)
                    pairs[index].state = .waiting
                    pairs[index].useCandidateSent = false
                    triggered.append(index)
                } else {
                    pairs[index].state = .failed
                    updateFailure()
                }
                return
            }
            checkSucceeded(index, mapped: m.xorMappedAddress, useCandidate: useCandidate, now: now)
        case .consent(let index):
            guard let key = remoteKey, parsed.verifyIntegrity(key) else { statistics.badIntegrityResponsesDropped += 1; return }
            transactions[m.transactionID] = nil
            if m.type.messageClass == .successResponse, t.generation == generation, selectedIndex == index,
               datagram.source == pairs[index].remote.address {
                lastConsent = now
            }
        }
    }

    private mutating func checkSucceeded(_ index: Int, mapped: TransportAddress?, useCandidate: Bool, now: NIODeadline) {
        // A mapped address that is no local candidate is a peer-reflexive local candidate
        // (RFC 8445 §7.2.5.3.1); it shares the base, so the pair sends the same way.
        if let mapped, mapped != pairs[index].base, !localCandidates.contains(where: { $0.address == mapped }) {
            if pairs[index].local.type == .host {
                pairs[index].local = ICECandidate(foundation: foundation(type: .peerReflexive, base: pairs[index].base.ip, server: nil),
                                                  priority: ICECandidate.priority(type: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: pairs[index].local.priority >> 8)),
                                                  address: mapped, type: .peerReflexive, relatedAddress: pairs[index].base)
            }
        }
        pairs[index].state = .succeeded
        pairs[index].valid = true
        if firstValidAt == nil { firstValidAt = now }
        // Unfreeze pairs with the same foundation (RFC 8445 §7.2.5.3.3).
        let f = pairs[index].foundation
        for i in pairs.indices where pairs[i].state == .frozen && pairs[i].foundation == f { pairs[i].state = .waiting }
        if selectedIndex == index { lastConsent = now }
        if role == .controlling && useCandidate {
            select(index, now: now)
        } else if role == .controlled && pairs[index].nominateOnSuccess {
            select(index, now: now)
        } else {
            nominateIfDue(now: now)
        }
    }
}
