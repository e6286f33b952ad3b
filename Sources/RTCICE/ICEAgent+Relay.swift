import NIOCore
import RTCCore
import RTCSTUN
import RTCTURN

/// Relayed candidates (RFC 8445 §5.1.1.2, RFC 8656): one `TURNClient` per configured TURN
/// server, allocating from a host socket. The relayed address is a candidate whose base is
/// itself; pairs on it send through the relay (a Send indication until a channel is bound,
/// ChannelData after), and what peers send to it arrives from the TURN server, wrapped.
///
/// Inside the agent a relay pair is an ordinary pair whose `base` is the relayed address:
/// transmits from such a base are wrapped for the TURN server on their way out
/// (`pollTransmit`, `send(applicationData:now:)`), and peer data the server delivers is
/// unwrapped into a datagram from the peer to the relayed address (`unwrapRelayed`).
extension ICEAgent {
    /// One TURN allocation.
    struct Relay {
        var server: ICERelayServer
        /// The host socket the allocation is made from (and its traffic leaves from).
        var socket: TransportAddress
        var client: TURNClient
        /// The relayed candidate, once allocated.
        var candidate: ICECandidate?
        /// Why it failed, once it has.
        var error: TURNError?

        /// Still allocating: gathering waits for it.
        var isPending: Bool { candidate == nil && error == nil }
    }

    // MARK: Public: relayed datagrams

    /// What the edge does first with every datagram when TURN servers are configured: a
    /// datagram from a TURN server to the socket its allocation uses is the relay's business.
    /// Its responses go to the TURN client (`nil` is returned); peer data it carries (a Data
    /// indication or ChannelData, RFC 8656 §11.6, §12.5) comes back as a datagram from the
    /// peer to the relayed candidate, to be handled like any other (STUN to `handle`, other
    /// data after `acceptsApplicationData(from:)`). Every other datagram is returned unchanged.
    public mutating func unwrapRelayed(_ datagram: ReceivedDatagram, now: NIODeadline) -> ReceivedDatagram? {
        guard !relays.isEmpty, connectionState != .closed,
              let i = relays.firstIndex(where: { $0.server.address == datagram.source && $0.socket == datagram.destination }),
              !Self.isBindingMessage(datagram.payload)
        else { return datagram }
        lastNow = now
        relays[i].client.handle(datagram, now: now)
        guard let data = drainRelayEvents(i, now: now), let relayed = relays[i].candidate?.address else { return nil }
        return ReceivedDatagram(source: data.peer, destination: relayed, payload: data.payload)
    }

    /// The edge's connection to a TURN server over TCP/TLS (from `local`, the allocation's
    /// socket, to `remote`, the server) could not be opened, failed or closed: that relay
    /// fails at once (`candidateError` with `TURNError.connectionClosed`; its pairs fail).
    public mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline) {
        guard let i = relays.firstIndex(where: { $0.server.transport == .stream && $0.server.address == remote && $0.socket == local }) else { return }
        lastNow = now
        relays[i].client.streamClosed(reason: reason, now: now)
        _ = drainRelayEvents(i, now: now)
    }

    /// The relays' allocations (relayed address → TURN server), for statistics and tests.
    public var relayAllocations: [(server: TransportAddress, relayed: TransportAddress?, error: TURNError?)] {
        relays.map { ($0.server.address, $0.candidate?.address, $0.error) }
    }

    // MARK: Internal

    /// A STUN Binding message (RFC 8489 §5: method bits 0x001): a TURN server that is also
    /// the STUN server answers our server-reflexive requests; those are not the TURN client's.
    static func isBindingMessage(_ payload: ByteBuffer) -> Bool {
        guard let type = payload.getInteger(at: payload.readerIndex, as: UInt16.self) else { return false }
        return type & 0xC000 == 0 && type & 0x3EEF == 0x0001
    }

    /// Starts an allocation on every configured TURN server that has none yet and has a local
    /// socket of its family: preferably one whose loopback-ness matches the server's.
    mutating func startRelays(now: NIODeadline) {
        for server in configuration.relayServers where !relays.contains(where: { $0.server.endpoint == server.endpoint }) {
            // A UDP and a stream relay to the same server address must not share a socket: the
            // edge tells their traffic apart only by (server, socket).
            let taken = Set(relays.filter { $0.server.address == server.address }.map(\.socket))
            let family = bases.filter { $0.ip.isIPv4 == server.address.ip.isIPv4 && !taken.contains($0) }
            guard let socket = family.first(where: { $0.ip.isLoopback == server.address.ip.isLoopback }) ?? family.first else { continue }
            let turn = TURNClientConfiguration(server: server.address, username: server.username, password: server.password,
                                               software: configuration.software, initialRTO: configuration.relayRTO,
                                               maxTransmissions: configuration.relayTransmissions, lastWaitMultiplier: 8,
                                               transport: server.transport,
                                               reliableTransactionTimeout: relayGiveUpTime)
            // Transaction ids from the system CSPRNG, or (tests) a generator seeded from ours.
            let child: any RandomNumberGenerator & Sendable = rng is SystemRandomNumberGenerator
                ? SystemRandomNumberGenerator() : SeededRandom(seed: rng.next())
            var client = TURNClient(configuration: turn, rng: child)
            client.allocate(now: now)
            relays.append(Relay(server: server, socket: socket, client: client))
        }
    }

    /// When a TURN request over UDP is given up with `relayRTO` and `relayTransmissions`
    /// (RFC 8489 §6.2.1 with Rm = 8): the same wait applies to a request over a stream.
    var relayGiveUpTime: TimeAmount {
        let sends = max(1, min(configuration.relayTransmissions, 20))
        return .nanoseconds(configuration.relayRTO.nanoseconds * Int64((1 << (sends - 1)) - 1 + 8))
    }

    /// The relay whose relayed candidate is `address`.
    func relayIndex(relayed address: TransportAddress) -> Int? {
        relays.firstIndex { $0.candidate?.address == address }
    }

    /// A pair on a relayed candidate needs a permission for the peer's IP and, for the data
    /// path, a channel (RFC 8656 §9, §12): both are requested when the pair is formed, and the
    /// TURN client keeps them refreshed.
    mutating func prepareRelay(base: TransportAddress, remote: TransportAddress) {
        guard !relays.isEmpty, let i = relayIndex(relayed: base), let now = lastNow else { return }
        do { try relays[i].client.bindChannel(to: remote, now: now) } catch {
            // Channel numbers exhausted: a permission alone still carries Send indications.
            try? relays[i].client.createPermission(for: remote.ip, now: now)
        }
    }

    /// Wraps a transmit whose source is a relayed candidate for its TURN server (leaving from
    /// the allocation's socket); others are returned unchanged. `nil` when the relay cannot
    /// carry it (no allocation any more): dropped and counted.
    mutating func wrapForRelay(_ transmit: Transmit) -> Transmit? {
        guard !relays.isEmpty, let source = transmit.source, let i = relayIndex(relayed: source) else { return transmit }
        do {
            var wrapped = try relays[i].client.send(transmit.payload, to: transmit.destination, now: lastNow ?? .uptimeNanoseconds(0))
            wrapped.source = relays[i].socket
            wrapped.viaStream = relays[i].server.transport == .stream
            return wrapped
        } catch {
            statistics.relayDropped += 1
            return nil
        }
    }

    /// The TURN clients' own requests (Allocate, Refresh, CreatePermission, ChannelBind),
    /// sent from their sockets.
    mutating func pollRelayTransmit() -> Transmit? {
        for i in relays.indices {
            if var t = relays[i].client.pollTransmit() {
                t.source = relays[i].socket
                t.viaStream = relays[i].server.transport == .stream
                return t
            }
        }
        return nil
    }

    /// The earliest TURN client deadline.
    var relayDeadline: NIODeadline? {
        relays.compactMap { $0.client.nextDeadline }.min()
    }

    /// Runs the TURN clients' timers (retransmissions, refreshes of the allocation,
    /// permissions and channels).
    mutating func handleRelayTimeouts(now: NIODeadline) {
        for i in relays.indices {
            guard let d = relays[i].client.nextDeadline, d <= now else { continue }
            relays[i].client.handleTimeout(now: now)
            _ = drainRelayEvents(i, now: now)
        }
    }

    /// Deallocates (RFC 8656 §7.2: Refresh with LIFETIME 0); the requests are in the
    /// transmits, not waited for.
    mutating func closeRelays(now: NIODeadline) {
        for i in relays.indices {
            relays[i].client.close(now: now)
            while let t = pollRelayTransmit() { transmits.append(t) }
        }
    }

    /// Handles what a TURN client reported; returns the peer data, if any.
    mutating func drainRelayEvents(_ i: Int, now: NIODeadline) -> TURNPeerData? {
        var data: TURNPeerData?
        while let event = relays[i].client.pollEvent() {
            switch event {
            case .allocated(let allocation):
                relayAllocated(i, allocation, now: now)
            case .failed(let error):
                relayFailed(i, error, now: now)
            case .peerData(let d):
                data = d
            case .permissionFailed, .channelBindFailed:
                statistics.relayPermissionFailures += 1
            case .refreshed, .permissionInstalled, .channelBound, .closed:
                break
            }
        }
        return data
    }

    /// The relayed candidate (RFC 8445 §5.1.2: type preference 0; its related address is the
    /// server-reflexive one the server reported) is reported and paired.
    mutating func relayAllocated(_ i: Int, _ allocation: TURNAllocation, now: NIODeadline) {
        let relayed = allocation.relayedAddress
        guard !localCandidates.contains(where: { $0.address == relayed }) else { return }
        // Local preference like host candidates: by order of the servers (RFC 8445 §5.1.2.1).
        let localPreference = UInt16(clamping: 65_535 - i * 10)
        var candidate = ICECandidate(foundation: foundation(type: .relayed, base: relays[i].socket.ip, server: relays[i].server.address),
                                     priority: ICECandidate.priority(type: .relayed, localPreference: localPreference),
                                     address: relayed, type: .relayed,
                                     relatedAddress: allocation.serverReflexiveAddress ?? relays[i].socket)
        candidate.relayProtocol = relays[i].server.transport == .stream ? (relays[i].server.usesTLS ? "tls" : "tcp") : "udp"
        relays[i].candidate = candidate
        baseCandidates[relayed] = candidate
        localCandidates.append(candidate)
        events.append(.candidateGathered(candidate))
        for remote in remoteCandidates { pair(local: candidate, base: relayed, remote: remote) }
        updateChecking()
        checkGatheringComplete()
    }

    /// A relay that could not be allocated (wrong or expired credentials, an unreachable
    /// server, …) or was lost (a failed Refresh): a typed `candidateError` event. Pairs on a
    /// lost relay fail; if the selected one was among them, the connection fails (there is no
    /// path to wait for).
    mutating func relayFailed(_ i: Int, _ error: TURNError, now: NIODeadline) {
        guard relays[i].error == nil else { return }
        relays[i].error = error
        statistics.relayGatheringFailures += 1
        events.append(.candidateError(ICECandidateError(server: relays[i].server.address, error: error)))
        if let relayed = relays[i].candidate?.address {
            for p in pairs.indices where pairs[p].base == relayed { pairs[p].state = .failed; pairs[p].valid = false }
            if let s = selectedIndex, pairs[s].base == relayed {
                selectedIndex = nil
                selectedSend = nil
                setState(.failed)
            }
            updateFailure()
        }
        checkGatheringComplete()
    }
}

/// A TURN server the agent gathers a relayed candidate from (RFC 8445 §5.1.1.2, RFC 8656),
/// with long-term credentials (RFC 8489 §9.2; time-limited REST credentials are such a pair
/// too).
///
/// Over `.stream` (TCP or TLS to the server) the agent is the same; the edge carries what the
/// agent sends to `address` from the allocation's socket over one connection to the server,
/// split what it reads with `TURNStreamFramer`, and hands each message back as a datagram
/// from `address` to that socket. The agent marks those transmits `viaStream` (RTCUDP's
/// `UDPDriver` opens the TCP connection for them) and reports the relayed candidate with
/// `relayProtocol` `tcp` (`tls` with `usesTLS`).
public struct ICERelayServer: Sendable, Hashable {
    /// The server's address.
    public var address: TransportAddress
    /// The user name.
    public var username: String
    /// The password.
    public var password: String
    /// UDP (the default), or a TCP/TLS stream the edge frames.
    public var transport: TURNTransport
    /// The stream is TLS (`turns:`): the agent does not care, the edge does, and the relayed
    /// candidate's `relayProtocol` is `tls`.
    public var usesTLS: Bool

    /// What identifies the server apart from its credentials: its address, and how it is
    /// reached (UDP, a TCP stream, TLS). New credentials for the same endpoint are the same
    /// server (``ICEAgent/updateServers(stun:relay:)``).
    public var endpoint: Endpoint { Endpoint(address: address, transport: transport, usesTLS: usesTLS) }

    /// A server's identity without credentials (see ``endpoint``).
    public struct Endpoint: Sendable, Hashable {
        /// The server's address.
        public var address: TransportAddress
        /// UDP or a stream.
        public var transport: TURNTransport
        /// The stream is TLS.
        public var usesTLS: Bool
    }

    /// Creates a server entry.
    public init(address: TransportAddress, username: String, password: String, transport: TURNTransport = .udp, usesTLS: Bool = false) {
        self.address = address
        self.username = username
        self.password = password
        self.transport = transport
        self.usesTLS = usesTLS
    }
}

/// A relayed candidate that could not be gathered, or a relay that was lost (W3C
/// `RTCPeerConnectionIceErrorEvent`): which server, and why.
public struct ICECandidateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TURN server.
    public var server: TransportAddress
    /// What went wrong (RFC 8656 §19 error codes, RFC 8489 timeouts and authentication).
    public var error: TURNError

    /// Creates an error record.
    public init(server: TransportAddress, error: TURNError) {
        self.server = server
        self.error = error
    }

    /// The STUN error code as W3C reports it: the server's code, or 701 when it could not be
    /// reached (or its answer made no sense).
    public var errorCode: Int {
        switch error {
        case .tryAlternate: return 300
        case .badRequest(let c), .unauthenticated(let c), .forbidden(let c), .serverError(let c): return Int(c.code)
        case .unknownAttribute: return 420
        case .allocationMismatch: return 437
        case .staleNonceRepeated: return 438
        case .addressFamilyNotSupported: return 440
        case .wrongCredentials: return 441
        case .unsupportedTransportProtocol: return 442
        case .peerAddressFamilyMismatch: return 443
        case .allocationQuotaReached: return 486
        case .insufficientCapacity: return 508
        default: return 701
        }
    }

    /// A sentence for logs.
    public var description: String { "TURN server \(server): \(error)" }
}
