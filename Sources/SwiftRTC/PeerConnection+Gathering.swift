import RTCCore
import RTCUDP

/// The host sockets a connection gathers on: bound at creation
/// (``ConnectionConfiguration/bindsSocketsAtCreation``) or by the first local description, and
/// kept in step with the host's interfaces (the first gathering after a stale creation, and
/// before every description that may restart ICE, `PeerConnection+Restart.swift`).
extension PeerConnection {
    /// The host's addresses that candidates are gathered on.
    func hostAddresses() throws -> [TransportAddress] {
        try LocalInterfaces.hostAddresses(includeLoopback: configuration.includeLoopbackCandidates, includeIPv6: configuration.includeIPv6)
    }

    /// The first gathering on the loop: binds what the interfaces need (keeping what was bound
    /// at creation) and hands the addresses to the session.
    func startGathering() async throws {
        let bound = try await bindHostSockets()
        guard !driver.isClosed else { return }
        if bound.isEmpty { throw WebRTCError.noUsableNetworkInterface }
        driver.core.addLocalAddresses(bound, now: .now())
        driver.pump()
    }

    /// Reads the interfaces and binds a socket on each address that has none (keeping what was
    /// bound at creation where its address is still there); returns the addresses in
    /// interface order.
    private func bindHostSockets() async throws -> [TransportAddress] {
        let addresses = try hostAddresses()
        let kept = gathering.withLock { state in
            defer { state.early = nil }
            return state.early?.addresses ?? []
        }
        let change = await reconcileSockets(bound: kept, with: addresses)
        let usable = kept.filter { !change.lost.contains($0) } + change.added
        let bound = addresses.compactMap { address in usable.first { $0.ip == address.ip } }
        events.log.ice.debug("bound host sockets", metadata: ["bound": "\(bound)", "unbindable": "\(addresses.count - bound.count)"])
        return bound
    }

    /// Makes the sockets in `bound` match `addresses`: closes those whose IP is no longer
    /// there and binds one on each address whose IP has none (not awaiting a bind when nothing
    /// is new). Returns what was closed, what needed a socket, and what got one.
    func reconcileSockets(bound: [TransportAddress], with addresses: [TransportAddress]) async
        -> (lost: [TransportAddress], new: [TransportAddress], added: [TransportAddress]) {
        let wanted = Set(addresses.map(\.ip))
        let boundIPs = Set(bound.map(\.ip))
        let lost = bound.filter { !wanted.contains($0.ip) }
        let new = addresses.filter { !boundIPs.contains($0.ip) }
        driver.closeSockets(on: lost)
        let added = new.isEmpty ? [] : await driver.bind(new)
        return (lost, new, added)
    }
}

/// The host sockets bound when a connection was created, in interface order, and when.
struct EarlySockets: Sendable {
    var addresses: [TransportAddress]
    var at: ContinuousClock.Instant
}

/// Where a connection's first gathering is: not started (with the sockets bound at creation,
/// if any), or started.
struct GatheringStart: Sendable {
    /// Whether the first local description started gathering.
    var started = false
    /// The host sockets bound at creation, until the first gathering takes them.
    var early: EarlySockets?

    /// Starts gathering on the sockets bound at creation if they are fresh and nothing started
    /// yet: marks it started and hands them over; `nil` otherwise (the loop's path decides).
    mutating func startOnEarlySockets(freshness: Duration) -> EarlySockets? {
        guard !started, let early, !early.addresses.isEmpty, ContinuousClock.now - early.at < freshness else { return nil }
        started = true
        self.early = nil
        return early
    }

    /// Undoes ``startOnEarlySockets(freshness:)`` when the description could not be applied.
    mutating func giveBack(_ taken: EarlySockets) {
        started = false
        early = taken
    }
}
