import DequeModule
import NIOCore
import RTCCore
import RTCSTUN

/// A sans-IO TURN client (RFC 8656) for one allocation over UDP or a TCP/TLS stream
/// (`TURNClientConfiguration.transport`; the edge frames the stream with `TURNStreamFramer`
/// and hands each message in as a datagram): Allocate with long-term
/// credentials (RFC 8489 §9.2), Refresh, CreatePermission, ChannelBind, Send/Data indications
/// and ChannelData. The edge gives it datagrams from the server and the time; it returns
/// transmits (all to `configuration.server`), events and its next deadline.
///
/// Contract: after every call that takes `now`, drain `pollTransmit()` and `pollEvent()`, then
/// call `handleTimeout(now:)` no later than `nextDeadline`.
///
/// For ICE (RFC 8445 §5.1.1.2): `.allocated` gives the relayed candidate and its related
/// (server-reflexive) address; `send(_:to:now:)` wraps a datagram for a peer, and
/// `handle(_:now:)` unwraps what peers send to the relayed address into `.peerData` events.
public struct TURNClient: DatagramCore, Sendable {
    /// The configuration (server, credentials, RFC 8489 §6.2.1 timers).
    public let configuration: TURNClientConfiguration
    /// Where the allocation is in its life (RFC 8656 §7).
    public private(set) var state: TURNClientState = .idle
    /// The allocation, once made (RFC 8656 §7.3).
    public private(set) var allocation: TURNAllocation?
    /// Counters of dropped input and retransmissions (RFC 8489 §6.2.1, §9.2.5).
    public private(set) var statistics = TURNClientStatistics()
    /// The REALM the server challenged with (RFC 8489 §14.9), once known.
    public private(set) var realm: String?
    /// The current NONCE (RFC 8489 §14.10), once known.
    public private(set) var nonce: String?

    enum Kind: Hashable {
        case allocate
        case refresh(lifetime: UInt32)
        case createPermission(IPAddress)
        case channelBind(UInt16, TransportAddress)

        var method: STUNMethod {
            switch self {
            case .allocate: return .allocate
            case .refresh: return .refresh
            case .createPermission: return .createPermission
            case .channelBind: return .channelBind
            }
        }
    }

    struct Transaction {
        var kind: Kind
        var payload: ByteBuffer
        var authenticated: Bool
        var sent: Int
        var rto: TimeAmount
        var next: NIODeadline
        var staleNonces: Int
    }

    struct Permission {
        var installed = false
        var inFlight = false
        var refreshAt: NIODeadline?
    }

    struct Channel {
        var number: UInt16
        var bound = false
        var inFlight = false
        var refreshAt: NIODeadline?
    }

    private var rng: any RandomNumberGenerator & Sendable
    private var key: STUNIntegrityKey?
    private var transactions: [STUNTransactionID: Transaction] = [:]
    private var permissions: [IPAddress: Permission] = [:]
    private var channels: [TransportAddress: Channel] = [:]
    private var channelPeers: [UInt16: TransportAddress] = [:]
    private var nextChannel: UInt16 = TURNChannelData.minimumChannel
    /// Numbers whose first ChannelBind failed: the server never bound them, so they may be
    /// reused at once (a number that was bound stays reserved, RFC 8656 §12).
    private var reusableChannels: [UInt16] = []
    private var refreshAt: NIODeadline?
    private var expiresAt: NIODeadline?
    private var refreshInFlight = false
    // Deques: peer data is an event on the data path, and popping an array's head is O(n).
    private var transmits = Deque<Transmit>()
    private var events = Deque<TURNEvent>()

    /// Creates a client. `rng` supplies transaction ids (RFC 8489 §6.3: unpredictable): the
    /// system CSPRNG by default; tests pass a `SeededRandom`.
    public init(configuration: TURNClientConfiguration, rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.configuration = configuration
        self.rng = rng
    }

    // MARK: Outputs

    /// The next datagram to send (to the server, RFC 8656 §3), or `nil`.
    public mutating func pollTransmit() -> Transmit? {
        transmits.popFirst()
    }

    /// The next event (RFC 8656 §7–§12 outcomes), or `nil`.
    public mutating func pollEvent() -> TURNEvent? {
        events.popFirst()
    }

    /// When `handleTimeout(now:)` must be called next (a retransmission, RFC 8489 §6.2.1, or
    /// a refresh of the allocation, a permission or a channel, RFC 8656 §7–§12), or `nil`.
    public var nextDeadline: NIODeadline? {
        var d: NIODeadline? = nil
        func consider(_ t: NIODeadline?) { if let t { d = d.map { min($0, t) } ?? t } }
        for t in transactions.values { consider(t.next) }
        guard state == .allocated else { return d }
        if !refreshInFlight { consider(refreshAt) }
        consider(expiresAt)
        for p in permissions.values where !p.inFlight { consider(p.refreshAt) }
        for c in channels.values where !c.inFlight { consider(c.refreshAt) }
        return d
    }

    /// The peers' IPs with an installed permission (RFC 8656 §9).
    public var installedPermissions: Set<IPAddress> {
        Set(permissions.filter { $0.value.installed }.keys)
    }

    /// The channel bound (confirmed by the server) to `peer`, if any (RFC 8656 §12).
    public func boundChannel(for peer: TransportAddress) -> UInt16? {
        guard let c = channels[peer], c.bound else { return nil }
        return c.number
    }

    // MARK: Inputs

    /// Starts the allocation (RFC 8656 §7.1): an Allocate request without credentials, which
    /// the server answers with a 401 challenge carrying REALM and NONCE (RFC 8489 §9.2.4).
    public mutating func allocate(now: NIODeadline) {
        guard state == .idle else { return }
        state = .allocating
        start(.allocate, now: now)
    }

    /// Refreshes the allocation now (RFC 8656 §7.2) instead of waiting for the scheduled
    /// refresh. No-op unless allocated or while a refresh is in flight.
    public mutating func refresh(now: NIODeadline) {
        guard state == .allocated, !refreshInFlight else { return }
        refreshInFlight = true
        let current = allocation.map { UInt32(clamping: $0.lifetime.nanoseconds / 1_000_000_000) } ?? 600
        start(.refresh(lifetime: configuration.requestedLifetime ?? current), now: now)
    }

    /// Requests a permission for `peer` (RFC 8656 §9.1) and keeps it refreshed. Data from a
    /// peer reaches us, and our Send indications reach it, only with a permission. No-op if
    /// one is installed or pending.
    public mutating func createPermission(for peer: IPAddress, now: NIODeadline) throws(TURNError) {
        guard state == .allocated else { throw .notAllocated }
        guard permissions[peer] == nil else { return }
        permissions[peer] = Permission(inFlight: true)
        start(.createPermission(peer), now: now)
    }

    /// Binds a channel to `peer` (RFC 8656 §12.1) and returns its number; once the server
    /// confirms (`.channelBound`), `send` uses ChannelData. Also requests a permission for
    /// the peer's IP if there is none. Returns the existing number if already bound or pending.
    @discardableResult
    public mutating func bindChannel(to peer: TransportAddress, now: NIODeadline) throws(TURNError) -> UInt16 {
        guard state == .allocated else { throw .notAllocated }
        if let existing = channels[peer] { return existing.number }
        let number: UInt16
        if let reused = reusableChannels.popLast() {
            number = reused
        } else {
            guard nextChannel <= TURNChannelData.maximumChannel else { throw .channelNumbersExhausted }
            number = nextChannel
            nextChannel += 1
        }
        if permissions[peer.ip] == nil {
            try createPermission(for: peer.ip, now: now)
        }
        channels[peer] = Channel(number: number, inFlight: true)
        channelPeers[number] = peer
        start(.channelBind(number, peer), now: now)
        return number
    }

    /// Wraps `payload` for `peer` (RFC 8656 §11.1 Send indication, or §12.4 ChannelData when a
    /// channel is bound) and returns the datagram to send to the server. Requires a permission
    /// for the peer's IP (installed or pending).
    public mutating func send(_ payload: ByteBuffer, to peer: TransportAddress, now: NIODeadline) throws(TURNError) -> Transmit {
        guard state == .allocated else { throw .notAllocated }
        guard payload.readableBytes <= 0xFFFF else { throw .payloadTooLarge(payload.readableBytes) }
        if let c = channels[peer], c.bound {
            return Transmit(destination: configuration.server,
                            payload: TURNChannelData(channel: c.number, data: payload).encoded(pad: configuration.transport == .stream))
        }
        guard permissions[peer.ip] != nil else { throw .noPermission(peer.ip) }
        let tid = STUNTransactionID.random(using: &rng)
        let message = STUNMessage(type: STUNMessageType(method: .send, messageClass: .indication), transactionID: tid,
                                  attributes: [.xorAddress(.xorPeerAddress, peer, transactionID: tid), .data(payload)])
        return Transmit(destination: configuration.server, payload: message.encoded())
    }

    /// Over a stream: the edge's connection to the server failed or closed (`reason` says
    /// how). The allocation is gone with it (RFC 8656 §3.1): `.failed(.connectionClosed)` at
    /// once, instead of waiting for a request to time out. Nothing happens once closed or
    /// failed.
    public mutating func streamClosed(reason: String, now: NIODeadline) {
        fail(.connectionClosed(reason))
    }

    /// Releases the allocation (RFC 8656 §7.2: Refresh with LIFETIME 0). `.closed` follows
    /// the response (or the request's timeout). Closes at once when nothing was allocated.
    public mutating func close(now: NIODeadline) {
        switch state {
        case .allocated:
            state = .closing
            transactions.removeAll()
            start(.refresh(lifetime: 0), now: now)
        case .idle, .allocating:
            transactions.removeAll()
            state = .closed
            events.append(.closed)
        case .closing, .closed, .failed:
            return
        }
    }

    /// Handles a datagram that arrived from `datagram.source`. Peer data it carries (a Data
    /// indication or ChannelData, RFC 8656 §11.6, §12.5) becomes a `.peerData` event; responses
    /// are handled (RFC 8656 §7–§12); anything else is dropped and counted in `statistics`:
    /// datagrams not from the server, malformed ones, responses to transactions we did not send
    /// and unauthenticated responses.
    public mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        if let data = unwrap(datagram.payload, from: datagram.source, now: now) { events.append(.peerData(data)) }
    }

    private mutating func unwrap(_ payload: ByteBuffer, from source: TransportAddress, now: NIODeadline) -> TURNPeerData? {
        guard source == configuration.server else {
            statistics.foreignSources += 1
            return nil
        }
        if TURNChannelData.looksLikeChannelData(payload) {
            guard let message = try? TURNChannelData(parsing: payload) else {
                statistics.malformedDatagrams += 1
                return nil
            }
            guard let peer = channelPeers[message.channel] else {
                statistics.unknownChannels += 1
                return nil
            }
            return TURNPeerData(peer: peer, payload: message.data, channel: message.channel)
        }
        guard STUNParsedMessage.looksLikeSTUN(payload), let parsed = try? STUNParsedMessage(payload) else {
            statistics.malformedDatagrams += 1
            return nil
        }
        let message = parsed.message
        switch message.type.messageClass {
        case .indication:
            guard message.type.method == .data,
                  let peer = try? message.xorAddress(.xorPeerAddress),
                  let data = message.attribute(.data) else {
                statistics.ignoredMessages += 1
                return nil
            }
            var buffer = ByteBufferAllocator().buffer(capacity: data.value.count)
            buffer.writeBytes(data.value)
            return TURNPeerData(peer: peer, payload: buffer, channel: nil)
        case .successResponse, .errorResponse:
            handleResponse(parsed, now: now)
            return nil
        case .request:
            statistics.ignoredMessages += 1
            return nil
        }
    }

    /// Retransmits requests whose RTO expired, fails those out of transmissions (RFC 8489
    /// §6.2.1), and starts the refreshes that are due (RFC 8656 §7.2, §9, §12).
    public mutating func handleTimeout(now: NIODeadline) {
        let due = transactions.filter { $0.value.next <= now }.keys.sorted { ($0.high, $0.low) < ($1.high, $1.low) }
        for tid in due {
            // An earlier timeout in this loop may have failed the client and dropped the rest.
            guard var t = transactions[tid] else { continue }
            // Over a stream nothing is retransmitted: the deadline is Ti (RFC 8489 §6.2.2).
            if t.sent >= configuration.maxTransmissions || configuration.transport == .stream {
                transactions[tid] = nil
                timedOut(t.kind, now: now)
                continue
            }
            transmits.append(Transmit(destination: configuration.server, payload: t.payload))
            statistics.retransmissions += 1
            t.sent += 1
            if t.sent >= configuration.maxTransmissions {
                t.next = now + .nanoseconds(configuration.initialRTO.nanoseconds * Int64(configuration.lastWaitMultiplier))
            } else {
                t.rto = .nanoseconds(t.rto.nanoseconds * 2)
                t.next = now + t.rto
            }
            transactions[tid] = t
        }
        guard state == .allocated else { return }
        if let expiresAt, now >= expiresAt {
            fail(.allocationExpired)
            return
        }
        if let refreshAt, now >= refreshAt, !refreshInFlight {
            refresh(now: now)
        }
        for (ip, p) in permissions where !p.inFlight {
            if let at = p.refreshAt, now >= at {
                permissions[ip]?.inFlight = true
                start(.createPermission(ip), now: now)
            }
        }
        for (peer, c) in channels where !c.inFlight {
            if let at = c.refreshAt, now >= at {
                channels[peer]?.inFlight = true
                start(.channelBind(c.number, peer), now: now)
            }
        }
    }

    // MARK: Requests

    private mutating func start(_ kind: Kind, now: NIODeadline, staleNonces: Int = 0) {
        let tid = STUNTransactionID.random(using: &rng)
        var message = STUNMessage(type: STUNMessageType(method: kind.method, messageClass: .request), transactionID: tid)
        switch kind {
        case .allocate:
            message.append(.requestedTransportUDP)
            if let l = configuration.requestedLifetime { message.append(.uint32(.lifetime, l)) }
        case .refresh(let lifetime):
            message.append(.uint32(.lifetime, lifetime))
        case .createPermission(let ip):
            message.append(.xorAddress(.xorPeerAddress, TransportAddress(ip: ip, port: 0), transactionID: tid))
        case .channelBind(let number, let peer):
            message.append(.channelNumber(number))
            message.append(.xorAddress(.xorPeerAddress, peer, transactionID: tid))
        }
        if let s = configuration.software { message.append(.software(s)) }
        if let key, let realm, let nonce {
            message.append(.username(configuration.username))
            message.append(.realm(realm))
            message.append(.nonce(nonce))
            let payload = message.encoded(integrity: key)
            add(tid, Transaction(kind: kind, payload: payload, authenticated: true, sent: 1, rto: configuration.initialRTO,
                                 next: now + firstWait, staleNonces: staleNonces))
        } else {
            add(tid, Transaction(kind: kind, payload: message.encoded(), authenticated: false, sent: 1,
                                 rto: configuration.initialRTO, next: now + firstWait, staleNonces: staleNonces))
        }
    }

    /// When a new request is first retransmitted (UDP) or given up (a stream, RFC 8489 §6.2.2).
    private var firstWait: TimeAmount {
        configuration.transport == .stream ? configuration.reliableTransactionTimeout : configuration.initialRTO
    }

    private mutating func add(_ tid: STUNTransactionID, _ t: Transaction) {
        transactions[tid] = t
        transmits.append(Transmit(destination: configuration.server, payload: t.payload))
    }

    // MARK: Responses

    /// RFC 8489 §9.2.5: once we hold a key, a response must carry a valid
    /// MESSAGE-INTEGRITY(-SHA256); only 401 and 438 errors (which bring a new nonce) may lack it.
    private func isAuthentic(_ parsed: STUNParsedMessage, transaction: Transaction) -> Bool {
        guard let key, transaction.authenticated else { return true }
        if parsed.hasIntegritySHA256 { return parsed.verifyIntegritySHA256(key) }
        if parsed.hasIntegrity { return parsed.verifyIntegrity(key) }
        if parsed.message.type.messageClass == .errorResponse, let code = parsed.message.errorCode?.code {
            return code == 401 || code == 438
        }
        return false
    }

    private mutating func handleResponse(_ parsed: STUNParsedMessage, now: NIODeadline) {
        let message = parsed.message
        guard let t = transactions[message.transactionID], t.kind.method == message.type.method else {
            statistics.unknownTransactions += 1
            return
        }
        guard isAuthentic(parsed, transaction: t) else {
            // Discarded as if never received: retransmissions continue (RFC 8489 §9.2.5).
            statistics.unauthenticatedResponses += 1
            return
        }
        transactions[message.transactionID] = nil
        if message.type.messageClass == .errorResponse {
            guard let code = message.errorCode else {
                finish(t.kind, .failure(.malformedResponse(method: t.kind.method, reason: "error response without a valid ERROR-CODE")), now: now)
                return
            }
            switch code.code {
            case 401 where !t.authenticated:
                guard let realm = message.realm, let nonce = message.nonce else {
                    finish(t.kind, .failure(.missingRealmOrNonce), now: now)
                    return
                }
                self.realm = realm
                self.nonce = nonce
                key = .longTerm(username: configuration.username, realm: realm, password: configuration.password)
                start(t.kind, now: now, staleNonces: t.staleNonces)
            case 438:
                guard t.staleNonces < configuration.maxStaleNonceRetries, let nonce = message.nonce else {
                    finish(t.kind, .failure(.staleNonceRepeated), now: now)
                    return
                }
                self.nonce = nonce
                if let realm = message.realm, realm != self.realm {
                    self.realm = realm
                    key = .longTerm(username: configuration.username, realm: realm, password: configuration.password)
                }
                start(t.kind, now: now, staleNonces: t.staleNonces + 1)
            default:
                finish(t.kind, .failure(.from(code, response: message)), now: now)
            }
            return
        }
        finish(t.kind, .success(message), now: now)
    }

    enum Outcome {
        case success(STUNMessage)
        case failure(TURNError)
    }

    private mutating func finish(_ kind: Kind, _ outcome: Outcome, now: NIODeadline) {
        switch (kind, outcome) {
        case (.allocate, .success(let m)):
            guard state == .allocating else { return }
            let relayed: TransportAddress?
            do { relayed = try m.xorAddress(.xorRelayedAddress) } catch {
                fail(.malformedResponse(method: .allocate, reason: "bad XOR-RELAYED-ADDRESS: \(error)"))
                return
            }
            guard let relayed else {
                fail(.malformedResponse(method: .allocate, reason: "no XOR-RELAYED-ADDRESS"))
                return
            }
            guard let seconds = m.uint32(.lifetime) else {
                fail(.malformedResponse(method: .allocate, reason: "no LIFETIME"))
                return
            }
            let lifetime = TimeAmount.seconds(Int64(seconds))
            let a = TURNAllocation(relayedAddress: relayed, serverReflexiveAddress: m.xorMappedAddress, lifetime: lifetime)
            allocation = a
            state = .allocated
            schedule(lifetime: seconds, now: now)
            events.append(.allocated(a))
        case (.allocate, .failure(let e)):
            fail(e)
        case (.refresh(let l), .success(let m)):
            if l == 0 {
                deallocated()
                return
            }
            refreshInFlight = false
            guard state == .allocated else { return }
            let seconds = m.uint32(.lifetime) ?? l
            allocation?.lifetime = .seconds(Int64(seconds))
            schedule(lifetime: seconds, now: now)
            events.append(.refreshed(lifetime: .seconds(Int64(seconds))))
        case (.refresh(let l), .failure(let e)):
            if l == 0 {
                deallocated()
                return
            }
            refreshInFlight = false
            fail(e)
        case (.createPermission(let ip), .success):
            guard state == .allocated, permissions[ip] != nil else { return }
            let first = permissions[ip]?.installed == false
            permissions[ip] = Permission(installed: true, inFlight: false, refreshAt: now + configuration.permissionRefreshInterval)
            if first { events.append(.permissionInstalled(ip)) }
        case (.createPermission(let ip), .failure(let e)):
            guard permissions[ip] != nil else { return }
            permissions[ip] = nil
            events.append(.permissionFailed(ip, e))
        case (.channelBind(let number, let peer), .success):
            guard state == .allocated, let c = channels[peer], c.number == number else { return }
            channels[peer] = Channel(number: number, bound: true, inFlight: false, refreshAt: now + configuration.channelRefreshInterval)
            if !c.bound { events.append(.channelBound(channel: number, peer: peer)) }
        case (.channelBind(let number, let peer), .failure(let e)):
            guard let c = channels[peer], c.number == number else { return }
            channels[peer] = nil
            channelPeers[number] = nil
            if !c.bound { reusableChannels.append(number) }
            events.append(.channelBindFailed(peer: peer, e))
        }
    }

    private mutating func timedOut(_ kind: Kind, now: NIODeadline) {
        switch kind {
        case .refresh(lifetime: 0):
            deallocated()
        default:
            finish(kind, .failure(.timedOut(method: kind.method)), now: now)
        }
    }

    /// Refresh a minute before expiry, or at half the lifetime when it is short (RFC 8656 §7.2
    /// leaves the timing to the client).
    private mutating func schedule(lifetime seconds: UInt32, now: NIODeadline) {
        let life = TimeAmount.seconds(Int64(seconds))
        let margin = seconds > 120 ? TimeAmount.seconds(60) : .nanoseconds(life.nanoseconds / 2)
        refreshAt = now + life - margin
        expiresAt = now + life
    }

    private mutating func deallocated() {
        guard state != .closed else { return }
        transactions.removeAll()
        state = .closed
        events.append(.closed)
    }

    private mutating func fail(_ error: TURNError) {
        if case .failed = state { return }
        if state == .closed { return }
        transactions.removeAll()
        state = .failed(error)
        events.append(.failed(error))
    }
}
