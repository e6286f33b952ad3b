import NIOCore

/// Asks the sender for a key frame with PLI (RFC 4585 §6.3.1) when frames were lost, no more
/// often than ``minimumInterval``, and asks again at that interval until a key frame arrives.
public struct KeyFrameRequester: Hashable, Sendable {
    /// Smallest spacing between two requests.
    public var minimumInterval: TimeAmount
    /// Whether a key frame is wanted and has not arrived.
    public private(set) var isOutstanding = false
    private var lastSent: NIODeadline?
    private var due = false
    /// Requests produced.
    public private(set) var requestsSent = 0

    /// Creates a requester.
    public init(minimumInterval: TimeAmount = .milliseconds(500)) {
        self.minimumInterval = minimumInterval
    }

    /// A key frame is needed as of `now`.
    public mutating func request(now: NIODeadline) {
        isOutstanding = true
        handleTimeout(now: now)
    }

    /// A key frame arrived: stop asking.
    public mutating func keyFrameReceived() {
        isOutstanding = false
    }

    /// Sends a (repeated) request if one is outstanding and the interval allows.
    public mutating func handleTimeout(now: NIODeadline) {
        guard isOutstanding, lastSent.map({ now >= $0 + minimumInterval }) ?? true else { return }
        lastSent = now
        due = true
        requestsSent += 1
    }

    /// When a repeated request may go out, or nil when none is outstanding.
    public var nextDeadline: NIODeadline? {
        guard isOutstanding, let lastSent else { return nil }
        return lastSent + minimumInterval
    }

    /// Whether a request is to be sent now (consumes it).
    public mutating func pollRequest() -> Bool {
        defer { due = false }
        return due
    }
}
