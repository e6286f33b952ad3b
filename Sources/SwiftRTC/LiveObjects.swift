import NIOConcurrencyHelpers

/// Counts the long-lived objects one `WebRTCClient` has made that are still alive, so tests
/// can prove that closing a connection releases everything it made (deinit counters, not
/// timing).
package final class LiveObjects: Sendable {
    /// The kinds of object counted.
    package enum Kind: Sendable, Hashable, CaseIterable {
        case peerConnection
        case dataChannel
        case socketHandler
    }

    private let counts = NIOLockedValueBox([Kind: Int]())

    package init() {}

    func created(_ kind: Kind) {
        counts.withLockedValue { $0[kind, default: 0] += 1 }
    }

    func destroyed(_ kind: Kind) {
        counts.withLockedValue { $0[kind, default: 0] -= 1 }
    }

    /// How many objects of `kind` are alive now.
    package func count(_ kind: Kind) -> Int {
        counts.withLockedValue { $0[kind, default: 0] }
    }
}
