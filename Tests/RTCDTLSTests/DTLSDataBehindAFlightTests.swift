import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// Application data queued right behind a handshake flight rides in that flight's last
/// datagram when it fits (RFC 6347 §4.1.1: several records per datagram): the client's flight
/// and the data it sends in False Start, the server's Finished and its first data, each leave
/// as one datagram, and the peer reads both. Data that does not fit, or that follows no
/// queued flight, gets a datagram of its own. Driven by hand, one step at a time.
@Suite struct DTLSDataBehindAFlightTests {
    static let now = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func pair() -> (client: DTLSConnection, server: DTLSConnection) {
        var c = DTLSConfiguration(certificate: TestIdentities.client, verification: .fingerprints([TestIdentities.server.fingerprint]))
        var s = DTLSConfiguration(certificate: TestIdentities.server, verification: .fingerprints([TestIdentities.client.fingerprint]))
        // No HelloVerifyRequest round (as the session runs it): ClientHello, server flight, client flight.
        c.cookieExchange = false
        s.cookieExchange = false
        return (DTLSConnection(role: .client, configuration: c, rng: SeededRandom(seed: 1)),
                DTLSConnection(role: .server, configuration: s, rng: SeededRandom(seed: 2)))
    }

    @Test func theFinishedFlightsCarryTheDataBehindThem() throws {
        var (client, server) = Self.pair()
        client.startHandshake(now: Self.now)
        for d in client.drainTransmits() { server.handle(d, now: Self.now) }
        for d in server.drainTransmits() { client.handle(d, now: Self.now) }
        // The client's flight is queued; False Start lets data follow it.
        try #require(client.canSendApplicationData)
        try client.send(applicationData: ByteBuffer(string: "early"), now: Self.now)
        let clientFlight = client.drainTransmits()
        let last = try #require(clientFlight.last)
        #expect(DTLSFalseStartTests.recordTypes(in: last).suffix(2) == [DTLSContentType.handshake.rawValue,
                                                                        DTLSContentType.applicationData.rawValue],
                "the flight's last datagram ends with its Finished and the data: \(clientFlight.map { DTLSFalseStartTests.recordTypes(in: $0) })")
        for d in clientFlight { server.handle(d, now: Self.now) }
        #expect(server.state == .connected)
        #expect(server.drainEvents().contains(.applicationData(ByteBuffer(string: "early"))))
        // The server's Finished flight is queued; its first data joins it.
        try server.send(applicationData: ByteBuffer(string: "reply"), now: Self.now)
        let serverFinished = server.drainTransmits()
        #expect(serverFinished.count == 1)
        #expect(serverFinished.first.map(DTLSFalseStartTests.recordTypes) == [DTLSContentType.changeCipherSpec.rawValue,
                                                                            DTLSContentType.handshake.rawValue,
                                                                            DTLSContentType.applicationData.rawValue])
        for d in serverFinished { client.handle(d, now: Self.now) }
        #expect(client.state == .connected)
        #expect(client.drainEvents().contains(.applicationData(ByteBuffer(string: "reply"))))
        // Once the flight has gone, data travels alone again.
        try server.send(applicationData: ByteBuffer(string: "more"), now: Self.now)
        #expect(server.drainTransmits().map(DTLSFalseStartTests.recordTypes) == [[DTLSContentType.applicationData.rawValue]])
    }

    @Test func dataThatDoesNotFitGetsADatagramOfItsOwn() throws {
        var (client, server) = Self.pair()
        client.startHandshake(now: Self.now)
        for d in client.drainTransmits() { server.handle(d, now: Self.now) }
        for d in server.drainTransmits() { client.handle(d, now: Self.now) }
        let big = ByteBuffer(bytes: [UInt8](repeating: 7, count: 1100))
        try client.send(applicationData: big, now: Self.now)
        let flight = client.drainTransmits()
        let types = flight.map(DTLSFalseStartTests.recordTypes)
        #expect(types.last == [DTLSContentType.applicationData.rawValue], "\(types)")
        #expect(types.dropLast().allSatisfy { !$0.contains(DTLSContentType.applicationData.rawValue) })
        for d in flight { server.handle(d, now: Self.now) }
        #expect(server.drainEvents().contains(.applicationData(big)))
    }
}
