import Foundation
import NIOCore
import RTCCore
import RTCTestSupport
@testable import RTCDTLS

/// Shared identities: generating certificates is slow-ish, so tests reuse two.
enum TestIdentities {
    static let client = try! DTLSCertificate.generateSelfSigned(commonName: "client", now: Date())
    static let server = try! DTLSCertificate.generateSelfSigned(commonName: "server", now: Date())
}

/// A client and a server on the generic virtual-time harness (side `.a` is the client).
struct DTLSPair {
    /// Holds the tamper hook so the harness's conversions can reach it after `init`.
    final class Tamper {
        var hook: ((LinkSide, ByteBuffer) -> ByteBuffer?)?
    }

    var pair: VirtualTimePair<DTLSConnection, DTLSConnection>
    private let tamperBox: Tamper

    var client: DTLSConnection {
        get { pair.a }
        _modify { yield &pair.a }
    }
    var server: DTLSConnection {
        get { pair.b }
        _modify { yield &pair.b }
    }
    var link: SimulatedLink<VirtualTimePair<DTLSConnection, DTLSConnection>.Carried> { pair.link }
    var now: NIODeadline { pair.now }
    var clientEvents: [DTLSEvent] { pair.eventsA }
    var serverEvents: [DTLSEvent] { pair.eventsB }
    /// Optional hook that may rewrite or drop datagrams (`nil`) on their way to the peer.
    var tamper: ((LinkSide, ByteBuffer) -> ByteBuffer?)? {
        get { tamperBox.hook }
        nonmutating set { tamperBox.hook = newValue }
    }

    init(conditions: LinkConditions = .perfect, seed: UInt64 = 1,
         clientConfig: ((inout DTLSConfiguration) -> Void)? = nil, serverConfig: ((inout DTLSConfiguration) -> Void)? = nil) {
        var c = DTLSConfiguration(certificate: TestIdentities.client, verification: .fingerprints([TestIdentities.server.fingerprint]))
        var s = DTLSConfiguration(certificate: TestIdentities.server, verification: .fingerprints([TestIdentities.client.fingerprint]))
        clientConfig?(&c)
        serverConfig?(&s)
        let box = Tamper()
        tamperBox = box
        pair = VirtualTimePair(DTLSConnection(role: .client, configuration: c, rng: SeededRandom(seed: seed &+ 100)),
                               DTLSConnection(role: .server, configuration: s, rng: SeededRandom(seed: seed &+ 200)),
                               conditions: conditions, seed: seed,
                               aToB: { d in box.hook.map { $0(.a, d) } ?? d }, bToA: { d in box.hook.map { $0(.b, d) } ?? d },
                               sizeOfA: \.readableBytes, sizeOfB: \.readableBytes)
    }

    mutating func drain() { pair.flush() }

    /// Runs until `done` holds or virtual time passes `limit` from the virtual start; returns
    /// whether `done` held.
    @discardableResult
    mutating func run(until limit: TimeAmount = .seconds(120), _ done: (DTLSPair) -> Bool) -> Bool {
        let box = tamperBox
        return pair.run(until: { done(DTLSPair(pair: $0, tamperBox: box)) }, for: .virtualStart + limit - pair.now)
    }

    private init(pair: VirtualTimePair<DTLSConnection, DTLSConnection>, tamperBox: Tamper) {
        self.pair = pair
        self.tamperBox = tamperBox
    }

    mutating func handshake(limit: TimeAmount = .seconds(120)) -> Bool {
        pair.withA { client, now in client.startHandshake(now: now) }
        return run(until: limit) { $0.client.state != .handshaking && $0.server.state != .handshaking }
    }
}
