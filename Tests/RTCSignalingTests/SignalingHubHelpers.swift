import Foundation
import NIOCore
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport

/// Small helpers to drive a hub on virtual time in tests.
struct HubHarness {
    var hub: SignalingHub
    var now = NIODeadline.virtualStart
    var unixTime: Int64 = 1_700_000_000

    init(_ configuration: SignalingHubConfiguration = .init()) {
        hub = SignalingHub(configuration: configuration)
    }

    static func id(_ n: UInt64) -> SignalingConnectionID { SignalingConnectionID(n) }

    mutating func connect(_ n: UInt64) {
        _ = hub.connect(Self.id(n), now: now)
    }

    mutating func send(_ n: UInt64, _ json: String) -> [SignalingOutput] {
        hub.receive(Data(json.utf8), from: Self.id(n), now: now, unixTime: unixTime)
    }

    mutating func send(_ n: UInt64, _ message: SignalingMessage) -> [SignalingOutput] {
        send(n, message.jsonString())
    }

    /// Connects `n` and joins `room` as `peer`, returning the outputs of the join.
    @discardableResult
    mutating func join(_ n: UInt64, _ peer: String, room: String = "r") -> [SignalingOutput] {
        connect(n)
        return send(n, .join(peerID: peer, roomID: room))
    }
}

extension Array where Element == SignalingOutput {
    /// The error code of the single error reply, if that is what this is.
    var errorCode: SignalingErrorCode? {
        guard count == 1, case .send(.error(let code, _), _) = self[0] else { return nil }
        return code
    }
}
