import NIOCore

/// One item of a handshake flight: a whole handshake message, or our ChangeCipherSpec.
enum DTLSFlightItem: Equatable {
    /// A handshake message with its message sequence number, sent in `epoch`.
    case handshake(type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16)
    /// The ChangeCipherSpec record (RFC 5246 §7.1).
    case changeCipherSpec

    /// Writes the item into `records`.
    func write(into records: inout DTLSRecordLayer) {
        switch self {
        case .handshake(let type, let seq, let body, let epoch):
            records.writeHandshake(type: type, seq: seq, body: body, epoch: epoch)
        case .changeCipherSpec:
            records.writeChangeCipherSpec()
        }
    }
}

/// Flight retransmission (RFC 6347 §4.2.4): remembers our last flight, runs the retransmission
/// timer with exponential back-off (§4.2.4.1), retransmits when the peer repeats its previous
/// flight, and bounds the whole handshake in time.
struct DTLSFlightRetransmission {
    private let initialTimeout: TimeAmount
    private let maxTimeout: TimeAmount
    private let handshakeTimeout: TimeAmount

    /// Our last flight, as sent.
    private(set) var lastFlight: [DTLSFlightItem] = []
    /// The first message sequence number of the peer's flight that our last flight answers:
    /// a message below it means the peer did not get our flight.
    private var peerFlightStartSeq: UInt16 = 0
    private var retransmitDeadline: NIODeadline?
    private var currentTimeout: TimeAmount
    private var handshakeStart: NIODeadline?
    /// At most one triggered retransmission per received datagram.
    private var retransmittedInThisDatagram = false

    init(configuration: DTLSConfiguration) {
        initialTimeout = configuration.initialRetransmitTimeout
        maxTimeout = configuration.maxRetransmitTimeout
        handshakeTimeout = configuration.handshakeTimeout
        currentTimeout = configuration.initialRetransmitTimeout
    }

    /// The handshake (re)started at `now`: it must finish within the handshake timeout.
    mutating func handshakeStarted(now: NIODeadline) { handshakeStart = now }

    /// Remembers `flight` as our last one, answering the peer's messages before
    /// `peerNextSeq`, and arms the timer (from the initial timeout) if a reply is expected.
    mutating func start(_ flight: [DTLSFlightItem], peerNextSeq: UInt16, expectsReply: Bool, now: NIODeadline) {
        lastFlight = flight
        peerFlightStartSeq = peerNextSeq
        currentTimeout = initialTimeout
        retransmitDeadline = expectsReply ? now + currentTimeout : nil
    }

    /// Moves the retransmission timer to `deadline` if it would fire later (or not at all).
    mutating func retransmit(by deadline: NIODeadline) {
        guard !lastFlight.isEmpty else { return }
        if let current = retransmitDeadline, current <= deadline { return }
        retransmitDeadline = deadline
    }

    /// Disarms the retransmission timer (handshake over, closed or failed).
    mutating func stop() { retransmitDeadline = nil }

    /// A new datagram arrived: it may trigger one retransmission.
    mutating func datagramArrived() { retransmittedInThisDatagram = false }

    /// The earliest of the retransmission timer and the handshake deadline.
    var nextDeadline: NIODeadline? {
        let overall = handshakeStart.map { $0 + handshakeTimeout }
        switch (retransmitDeadline, overall) {
        case let (r?, o?): return min(r, o)
        case let (r?, nil): return r
        case let (nil, o?): return o
        default: return nil
        }
    }

    /// What the timer decided at `now`.
    enum Timeout: Equatable {
        /// Nothing is due.
        case none
        /// Send the last flight again (the timeout has doubled, capped at the maximum).
        case retransmit
        /// The handshake took too long.
        case handshakeExpired
    }

    /// Runs the timers due at `now`.
    mutating func timeout(now: NIODeadline) -> Timeout {
        if let start = handshakeStart, now >= start + handshakeTimeout { return .handshakeExpired }
        guard let deadline = retransmitDeadline, now >= deadline else { return .none }
        let doubled = TimeAmount.nanoseconds(currentTimeout.nanoseconds &* 2)
        currentTimeout = doubled > maxTimeout ? maxTimeout : doubled
        retransmitDeadline = now + currentTimeout
        return .retransmit
    }

    /// A message of the peer's flight we already processed arrived again (sequence `seq`):
    /// `true` if it belongs to the flight before our last one, so the peer lost our flight and
    /// we send it again (RFC 6347 §4.2.4) — once per datagram.
    mutating func peerRepeated(seq: UInt16) -> Bool {
        guard seq < peerFlightStartSeq, !lastFlight.isEmpty, !retransmittedInThisDatagram else { return false }
        retransmittedInThisDatagram = true
        return true
    }

    /// Writes the last flight into `records`.
    func transmit(into records: inout DTLSRecordLayer) {
        for item in lastFlight { item.write(into: &records) }
    }
}
