import NIOCore
import RTCCore
import RTCDataChannel
import RTCSCTP
import RTCTestSupport

/// A DTLS-client manager (A) and a DTLS-server manager (B) on RTCTestSupport's generic
/// virtual-time harness: SCTP packets cross a `SimulatedLink` unchanged. By default neither
/// knows its role until `connect()` calls `start(role:now:)`, as in a session.
typealias DataChannelPair = VirtualTimePair<DataChannelManager, DataChannelManager>

extension VirtualTimePair where A == DataChannelManager, B == DataChannelManager {
    init(configA: DataChannelConfiguration = .init(), configB: DataChannelConfiguration = .init(),
         conditions: LinkConditions = .perfect, seed: UInt64 = 1) {
        self.init(DataChannelManager(configuration: configA, rng: SeededRandom(seed: seed &+ 100)),
                  DataChannelManager(configuration: configB, rng: SeededRandom(seed: seed &+ 200)),
                  conditions: conditions, seed: seed,
                  aToB: { $0 }, bToA: { $0 }, sizeOfA: \.readableBytes, sizeOfB: \.readableBytes)
    }

    /// DTLS is up: A is the DTLS client (sends INIT), B the server. Runs until both are established.
    mutating func connect() -> Bool {
        withA { a, now in a.start(role: .dtlsClient, now: now) }
        withB { b, now in b.start(role: .dtlsServer, now: now) }
        return run(until: { $0.eventsA.contains(.associationEstablished) && $0.eventsB.contains(.associationEstablished) },
                   for: .seconds(10))
    }

    /// B's handle for the channel A knows as `handleA` (same stream id).
    func peerHandle(ofA handleA: Int) -> Int? {
        a.streamID(of: handleA).flatMap { b.handle(forStream: $0) }
    }
}

extension Array where Element == DataChannelManagerEvent {
    func messages(on handle: Int?) -> [DataChannelMessage] {
        compactMap { if case .message(handle, let m) = $0 { m } else { nil } }
    }
    var peerOpened: [DataChannelInfo] {
        compactMap { if case .peerOpened(let i) = $0 { i } else { nil } }
    }
    var opened: [DataChannelInfo] {
        compactMap { if case .opened(let i) = $0 { i } else { nil } }
    }
    var protocolErrors: [DataChannelProtocolError] {
        compactMap { if case .protocolError(_, let e) = $0 { e } else { nil } }
    }
}
