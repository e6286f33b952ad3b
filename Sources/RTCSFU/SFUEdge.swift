import NIOCore
import NIOPosix
import RTCCore
import RTCSession
import RTCUDP

extension RTCSession: SFUMultiplexedSession {}

/// The UDP edge of an SFU: one socket, many `RTCSession`s behind an ``SFUSessionMultiplexer``,
/// run by RTCUDP's `UDPDriver` on one event loop (this actor's executor, so commands and
/// datagrams share one serial executor with no hop per packet).
///
/// ```swift
/// let edge = SFUEdge { event in … }                       // every session's events, on the loop
/// let local = await edge.bind(TransportAddress(ip: "0.0.0.0", port: 0))
/// let member = edge.addSession(RTCSession(certificate: certificate))
/// let answer = try edge.withSession(member) { s in
///     try s.setRemoteDescription(offer, now: .now())
///     let answer = try s.createAnswer()
///     try s.setLocalDescription(answer, now: .now())
///     return s.localDescription
/// }
/// ```
public actor SFUEdge {
    /// The loop the socket, the timer and every session run on.
    public nonisolated let eventLoop: any EventLoop
    /// Runs the actor on ``eventLoop``.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    /// The bound socket addresses, which every session offers as its host candidates.
    public private(set) var localAddresses: [TransportAddress] = []

    private let driver: UDPDriver<SFUSessionMultiplexer<RTCSession>>

    /// Creates an edge with no socket yet; `onEvent` gets every session's events, tagged with the
    /// session, on ``eventLoop`` in order.
    public init(eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
                onEvent: @escaping @Sendable (SFUSessionEvent<SessionEvent>) -> Void) {
        self.eventLoop = eventLoop
        driver = UDPDriver(core: SFUSessionMultiplexer(), eventLoop: eventLoop, onEvent: onEvent)
    }

    /// Binds the socket on an ephemeral port of `address`'s IP (the driver binds port 0) and
    /// returns the bound address, or nil when it cannot be bound. Sessions added before get it
    /// as a host candidate too.
    public func bind(_ address: TransportAddress) async -> TransportAddress? {
        guard let bound = await driver.bind([address]).first else { return nil }
        localAddresses.append(bound)
        for key in driver.core.sessionKeys {
            driver.core.withSession(key) { $0.addLocalAddresses([bound], now: .now()) }
        }
        driver.pump()
        return bound
    }

    /// Adds a session served on the socket; it gathers the bound addresses as host candidates.
    public func addSession(_ session: RTCSession) -> SFUSessionKey {
        let key = driver.core.addSession(session)
        if !localAddresses.isEmpty {
            let addresses = localAddresses
            driver.core.withSession(key) { $0.addLocalAddresses(addresses, now: .now()) }
        }
        driver.pump()
        return key
    }

    /// Runs a command on one session (descriptions, candidates, data channels, `sendRTP`) and
    /// sends what it produced; nil for an unknown key.
    public func withSession<R: Sendable, E: Error>(_ key: SFUSessionKey, _ body: (inout RTCSession) throws(E) -> R) throws(E) -> R? {
        defer { driver.pump() }
        return try driver.core.withSession(key, body)
    }

    /// Closes one session (its DTLS close_notify and SCTP/RTCP goodbyes go out) and removes it.
    public func removeSession(_ key: SFUSessionKey) {
        driver.core.withSession(key) { $0.close(now: .now()) }
        driver.pump()
        driver.core.removeSession(key)
    }

    /// Datagrams the multiplexer dropped, by reason.
    public var drops: [SFUMultiplexerDropReason: Int] { driver.core.drops }

    /// Closes every session and the socket.
    public func close() async {
        for key in driver.core.sessionKeys { driver.core.withSession(key) { $0.close(now: .now()) } }
        driver.pump()
        await driver.close()
    }
}
