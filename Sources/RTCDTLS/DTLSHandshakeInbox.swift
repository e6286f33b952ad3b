/// The peer's handshake messages on their way in: reassembles fragments (RFC 6347 §4.2.3) and
/// hands out whole messages in message-sequence order (RFC 6347 §4.2.2).
struct DTLSHandshakeInbox {
    /// The message sequence number expected next.
    private(set) var nextReceiveSeq: UInt16 = 0
    private var pending: [UInt16: DTLSReassembly] = [:]

    /// What became of one fragment.
    enum Added: Equatable {
        /// Kept (or completed a message now available from `nextMessage()`).
        case accepted
        /// A message already delivered: the peer repeats itself.
        case old
        /// Too far ahead or too large to keep.
        case unexpected
        /// Inconsistent with earlier fragments of the same message.
        case malformed
    }

    /// Expects the peer's next message at `seq`, forgetting partial messages.
    mutating func restart(at seq: UInt16) {
        pending.removeAll()
        nextReceiveSeq = seq
    }

    /// Expects the peer's next message at `seq`.
    mutating func expect(_ seq: UInt16) { nextReceiveSeq = seq }

    /// Forgets partial messages (the handshake is over).
    mutating func clear() { pending.removeAll() }

    /// Adds a fragment received in `epoch`.
    mutating func add(_ f: DTLSHandshakeFragment, epoch: UInt16) -> Added {
        if f.messageSeq < nextReceiveSeq { return .old }
        guard f.messageSeq - nextReceiveSeq < 16, f.length <= 65536 else { return .unexpected }
        var entry = pending[f.messageSeq] ?? DTLSReassembly(type: f.messageType, length: f.length, epoch: epoch)
        guard entry.epoch == epoch, entry.add(f) else { return .malformed }
        pending[f.messageSeq] = entry
        return .accepted
    }

    /// The next whole message in order, if it is complete.
    mutating func nextMessage() -> (type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16)? {
        guard let m = pending[nextReceiveSeq], m.isComplete else { return nil }
        pending[nextReceiveSeq] = nil
        let seq = nextReceiveSeq
        nextReceiveSeq &+= 1
        return (m.messageType, seq, m.body, m.epoch)
    }
}

/// Reassembles one handshake message from fragments (RFC 6347 §4.2.3).
struct DTLSReassembly {
    let messageType: UInt8
    let epoch: UInt16
    var body: [UInt8]
    var received: [Bool]
    var missing: Int

    init(type: UInt8, length: Int, epoch: UInt16) {
        messageType = type
        self.epoch = epoch
        body = [UInt8](repeating: 0, count: length)
        received = [Bool](repeating: false, count: length)
        missing = length
    }

    /// Adds a fragment; returns `false` if it is inconsistent with the message so far.
    mutating func add(_ f: DTLSHandshakeFragment) -> Bool {
        guard f.messageType == messageType, f.length == body.count, f.fragmentOffset + f.body.count <= body.count else { return false }
        for (i, b) in f.body.enumerated() {
            let at = f.fragmentOffset + i
            if !received[at] { received[at] = true; missing -= 1; body[at] = b }
        }
        return true
    }

    var isComplete: Bool { missing == 0 }
}
