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

/// A client and a server connected by a `SimulatedLink`, driven on virtual time.
struct DTLSPair {
    var client: DTLSConnection
    var server: DTLSConnection
    var link: SimulatedLink<ByteBuffer>
    var now = NIODeadline.virtualStart
    var clientEvents: [DTLSEvent] = []
    var serverEvents: [DTLSEvent] = []
    /// Optional hook that may rewrite or drop datagrams before they enter the link.
    var tamper: ((LinkSide, ByteBuffer) -> ByteBuffer?)?

    init(conditions: LinkConditions = .perfect, seed: UInt64 = 1,
         clientConfig: ((inout DTLSConfiguration) -> Void)? = nil, serverConfig: ((inout DTLSConfiguration) -> Void)? = nil) {
        var c = DTLSConfiguration(certificate: TestIdentities.client, verification: .fingerprints([TestIdentities.server.fingerprint]))
        var s = DTLSConfiguration(certificate: TestIdentities.server, verification: .fingerprints([TestIdentities.client.fingerprint]))
        clientConfig?(&c)
        serverConfig?(&s)
        client = DTLSConnection(role: .client, configuration: c, rng: SeededRandom(seed: seed &+ 100))
        server = DTLSConnection(role: .server, configuration: s, rng: SeededRandom(seed: seed &+ 200))
        link = SimulatedLink(conditions: conditions, seed: seed)
    }

    mutating func drain() {
        while let d = client.pollTransmit() {
            if let d = tamper.map({ $0(.a, d) }) ?? d { link.send(d, size: d.readableBytes, from: .a, now: now) }
        }
        while let d = server.pollTransmit() {
            if let d = tamper.map({ $0(.b, d) }) ?? d { link.send(d, size: d.readableBytes, from: .b, now: now) }
        }
        while let e = client.pollEvent() { clientEvents.append(e) }
        while let e = server.pollEvent() { serverEvents.append(e) }
    }

    /// Runs until `done` holds or virtual time passes `limit`; returns whether `done` held.
    @discardableResult
    mutating func run(until limit: TimeAmount = .seconds(120), _ done: (DTLSPair) -> Bool) -> Bool {
        let end = NIODeadline.virtualStart + limit
        drain()
        while !done(self) {
            let candidates = [client.nextDeadline, server.nextDeadline, link.nextDeliveryTime].compactMap { $0 }
            guard let next = candidates.min(), next <= end else { return done(self) }
            if next > now { now = next }
            for (to, packet) in link.deliver(upTo: now) {
                if to == .a { client.handle(packet, now: now) } else { server.handle(packet, now: now) }
                drain()
            }
            if let d = client.nextDeadline, d <= now { client.handleTimeout(now: now) }
            if let d = server.nextDeadline, d <= now { server.handleTimeout(now: now) }
            drain()
        }
        return true
    }

    mutating func handshake(limit: TimeAmount = .seconds(120)) -> Bool {
        client.startHandshake(now: now)
        return run(until: limit) { $0.client.state != .handshaking && $0.server.state != .handshaking }
    }
}
