import NIOCore

/// The one contract every SwiftRTC protocol core follows (ICE, TURN, DTLS, SCTP, data channels,
/// the composed session).
///
/// A core is a value-type state machine. It never reads a clock, opens a socket or starts a
/// task: the caller hands it input and the current time, then drains what it produced.
///
/// ```swift
/// core.handle(input, now: now)                 // bytes that arrived
/// while let out = core.pollTransmit() { send(out) }
/// while let event = core.pollEvent() { react(event) }
/// if let deadline = core.nextDeadline { arm(timer, at: deadline) }
/// // … when the timer fires:
/// core.handleTimeout(now: now)
/// ```
///
/// Commands specific to a core (`connect(now:)`, `send(…)`, `close(now:)`) take `now` too,
/// and their results are drained the same way. A core remembers the last `now` it was given,
/// so `pollTransmit()` needs no time of its own.
///
/// Randomness is injected the same way everywhere: each core's initializer takes
/// `rng: some RandomNumberGenerator & Sendable`, defaulting to the system CSPRNG
/// (`SystemRandomNumberGenerator`). Tests pass a ``SeededRandom`` to replay a run exactly.
public protocol SansIOCore {
    /// What arrives from the layer below (a datagram, a record, a packet).
    associatedtype Input
    /// What the core wants sent to the layer below.
    associatedtype Output
    /// What the core reports to the layer above.
    associatedtype Event

    /// Feeds one unit of input that arrived at `now`.
    mutating func handle(_ input: Input, now: NIODeadline)
    /// The next unit of output to send, or `nil` when there is none.
    mutating func pollTransmit() -> Output?
    /// The next event, or `nil` when there is none.
    mutating func pollEvent() -> Event?
    /// When `handleTimeout(now:)` must next be called, or `nil` when no timer is armed.
    var nextDeadline: NIODeadline? { get }
    /// Runs the timers that are due at `now`.
    mutating func handleTimeout(now: NIODeadline)
}

/// A core that exchanges addressed UDP datagrams: what a UDP driver can run (ICE, the session).
public protocol DatagramCore: SansIOCore where Input == ReceivedDatagram, Output == Transmit {
    /// The edge's stream connection for `Transmit.viaStream` transmits from `local` to
    /// `remote` (TURN over TCP/TLS) could not be opened, failed or closed, at `now`; `reason`
    /// is the edge's explanation. Cores that send nothing `viaStream` ignore it (the default).
    mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline)
    /// Runs work the core put off so that what it had queued could leave first: a costly step
    /// whose result could not be sent yet anyway (the session's reply to a ClientHello that came
    /// before ICE had a pair) is done while the queued datagrams (its checks) are on the wire.
    /// An edge calls it after writing the transmits; the core also runs it itself before its
    /// next input or timeout, so an edge that never calls it changes only timing. Returns
    /// whether there was any. Cores with nothing to put off return `false` (the default).
    mutating func runDeferredWork(now: NIODeadline) -> Bool
}

extension DatagramCore {
    /// Ignores it: the core sends nothing over a stream.
    public mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline) {}

    /// Nothing is put off.
    public mutating func runDeferredWork(now: NIODeadline) -> Bool { false }
}
