/// Where a peer connection is in the offer/answer exchange (RFC 8829 §3.2, W3C `RTCSignalingState`).
public enum SignalingState: String, Sendable, Hashable {
    /// No exchange in progress; both descriptions (if any) are agreed.
    case stable
    /// A local offer is applied and awaits a remote answer.
    case haveLocalOffer = "have-local-offer"
    /// A remote offer is applied and awaits a local answer.
    case haveRemoteOffer = "have-remote-offer"
    /// A remote offer and a local provisional answer are applied.
    case haveLocalPranswer = "have-local-pranswer"
    /// A local offer and a remote provisional answer are applied.
    case haveRemotePranswer = "have-remote-pranswer"
    /// The peer connection is closed.
    case closed
}

/// A session description was applied in a signaling state that does not allow it.
public struct InvalidSignalingStateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted.
    public var operation: String
    /// The description's type.
    public var type: SessionDescriptionType
    /// The state the connection was in.
    public var state: SignalingState

    /// Creates the error.
    public init(operation: String, type: SessionDescriptionType, state: SignalingState) {
        self.operation = operation
        self.type = type
        self.state = state
    }

    /// Says what was wrong and what is allowed instead.
    public var description: String {
        "\(operation)(\(type.rawValue)) is not allowed in signaling state \(state.rawValue); "
            + "allowed here: \(SignalingStateMachine.allowed(in: state).joined(separator: ", "))"
    }
}

/// The JSEP signaling state machine (RFC 8829 §3.2 and §4.1.8–4.1.10), as a pure value.
///
/// `apply` checks a transition and performs it, or throws `InvalidSignalingStateError` and
/// leaves the state unchanged.
public struct SignalingStateMachine: Sendable, Hashable {
    /// The current state.
    public private(set) var state: SignalingState = .stable

    /// A new machine in `stable`.
    public init() {}

    /// Which side a description is applied to.
    public enum Side: String, Sendable { case local, remote }

    /// Applies a local or remote description of `type`, moving to the next state.
    @discardableResult
    public mutating func apply(_ side: Side, _ type: SessionDescriptionType) throws(InvalidSignalingStateError) -> SignalingState {
        guard let next = SignalingStateMachine.next(from: state, side: side, type: type) else {
            throw InvalidSignalingStateError(operation: side == .local ? "setLocalDescription" : "setRemoteDescription", type: type, state: state)
        }
        state = next
        return next
    }

    /// Closes the machine: every later `apply` fails.
    public mutating func close() { state = .closed }

    /// The state after applying `type` on `side` in `state`, or `nil` when not allowed.
    public static func next(from state: SignalingState, side: Side, type: SessionDescriptionType) -> SignalingState? {
        switch (state, side, type) {
        case (.stable, .local, .offer), (.haveLocalOffer, .local, .offer): return .haveLocalOffer
        case (.stable, .remote, .offer), (.haveRemoteOffer, .remote, .offer): return .haveRemoteOffer
        case (.haveLocalOffer, .remote, .answer), (.haveRemotePranswer, .remote, .answer): return .stable
        case (.haveLocalOffer, .remote, .pranswer), (.haveRemotePranswer, .remote, .pranswer): return .haveRemotePranswer
        case (.haveRemoteOffer, .local, .answer), (.haveLocalPranswer, .local, .answer): return .stable
        case (.haveRemoteOffer, .local, .pranswer), (.haveLocalPranswer, .local, .pranswer): return .haveLocalPranswer
        case (.haveLocalOffer, .local, .rollback), (.haveRemoteOffer, .remote, .rollback),
             (.haveLocalPranswer, .local, .rollback), (.haveRemotePranswer, .remote, .rollback):
            return .stable
        default: return nil
        }
    }

    /// The operations allowed in `state`, for error messages.
    public static func allowed(in state: SignalingState) -> [String] {
        var out: [String] = []
        for side in [Side.local, .remote] {
            for type in [SessionDescriptionType.offer, .pranswer, .answer, .rollback] where next(from: state, side: side, type: type) != nil {
                out.append("set\(side == .local ? "Local" : "Remote")Description(\(type.rawValue))")
            }
        }
        return out.isEmpty ? ["nothing (closed)"] : out
    }
}
