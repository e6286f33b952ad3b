import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCTestSupport

/// Two sessions on the generic virtual-time harness: A at 10.0.0.1:5000, B at 10.0.0.2:6000.
typealias SessionPair = VirtualTimePair<RTCSession, RTCSession>

extension VirtualTimePair where A == RTCSession, B == RTCSession {
    /// Where session A's socket is.
    static var addressA: TransportAddress { TransportAddress("10.0.0.1:5000")! }
    /// Where session B's socket is.
    static var addressB: TransportAddress { TransportAddress("10.0.0.2:6000")! }

    /// Two sessions that gather loopback too, seeded from `seed`, over a link under `conditions`.
    init(conditions: LinkConditions = .perfect, seed: UInt64 = 1) throws {
        var config = SessionConfiguration()
        config.includeLoopback = true
        let a = RTCSession(configuration: config, certificate: try DTLSCertificate.generateSelfSigned(now: Date()), rng: SeededRandom(seed: seed))
        let b = RTCSession(configuration: config, certificate: try DTLSCertificate.generateSelfSigned(now: Date()), rng: SeededRandom(seed: seed + 100))
        self.init(a, at: Self.addressA, b, at: Self.addressB, conditions: conditions, seed: seed)
    }

    /// Non-trickle offer/answer: A offers, B answers, each after gathering.
    mutating func negotiate() throws {
        try withA { a, now in
            try a.setLocalDescription(try a.createOffer(), now: now)
            a.addLocalAddresses([Self.addressA], now: now)
        }
        let offer = a.localDescription!
        try withB { b, now in
            try b.setRemoteDescription(offer, now: now)
            try b.setLocalDescription(try b.createAnswer(), now: now)
            b.addLocalAddresses([Self.addressB], now: now)
        }
        let answer = b.localDescription!
        try withA { a, now in try a.setRemoteDescription(answer, now: now) }
    }

    /// Moves datagrams and time until `done` holds or `limit` of virtual time passes.
    mutating func run(for limit: TimeAmount, until done: (Self) -> Bool) {
        run(until: done, for: limit)
    }

    /// Moves what the sessions produced after a direct call onto the link and into the event logs.
    mutating func drain() { flush() }
}
