import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// TLS False Start (RFC 7918) for the DTLS client: application data may go once its own
/// Finished is out, before the server's arrives. The server reads it only after the client's
/// Finished checked out; one that comes earlier is dropped. Virtual time, 10 ms one way.
@Suite struct DTLSFalseStartTests {
    static let conditions = LinkConditions(delay: .milliseconds(10))

    @Test func theClientSendsOnceItsFinishedIsOutAndTheServerReadsItAfterCompleting() throws {
        var pair = DTLSPair(conditions: Self.conditions)
        pair.pair.withA { client, now in client.startHandshake(now: now) }
        #expect(!pair.client.canSendApplicationData, "not after the ClientHello")
        #expect(pair.run { $0.client.canSendApplicationData })
        #expect(pair.client.state == .handshaking)
        #expect(pair.server.state == .handshaking)
        #expect(!pair.server.canSendApplicationData, "a server never sends early")
        try pair.pair.withA { client, now in try client.send(applicationData: ByteBuffer(string: "early"), now: now) }
        #expect(pair.client.statistics.earlyApplicationRecordsSent == 1)
        let delivered = pair.run { p in p.serverEvents.contains { if case .applicationData = $0 { true } else { false } } }
        #expect(delivered)
        guard case .handshakeCompleted? = pair.serverEvents.first, case .applicationData(let data)? = pair.serverEvents.dropFirst().first else {
            Issue.record("the server's events: \(pair.serverEvents)")
            return
        }
        #expect(String(buffer: data) == "early")
        // The client completes as usual, one trip later.
        #expect(pair.run { $0.client.state == .connected })
        #expect(pair.client.statistics.earlyApplicationRecordsSent == 1)
    }

    @Test func turnedOffTheClientWaitsForTheServersFinished() {
        var pair = DTLSPair(conditions: Self.conditions, clientConfig: { $0.sendsEarlyApplicationData = false })
        pair.pair.withA { client, now in client.startHandshake(now: now) }
        // Until the server read the client's Finished flight; its own is still on the way.
        #expect(pair.run { $0.server.state == .connected })
        #expect(pair.client.state == .handshaking)
        #expect(!pair.client.canSendApplicationData)
        #expect(throws: DTLSError.notConnected) {
            try pair.pair.withA { client, now in try client.send(applicationData: ByteBuffer(string: "early"), now: now) }
        }
        #expect(pair.run { $0.client.canSendApplicationData && $0.client.state == .connected })
    }

    /// The client's Finished flight is lost, its early record is not: the server, still in
    /// the handshake, drops the record (it must not read data before the client's Finished
    /// proved the handshake), and completes once the flight is sent again.
    @Test func aRecordAheadOfTheClientsFinishedIsDroppedByTheServer() throws {
        var pair = DTLSPair(conditions: Self.conditions)
        final class Dropped: @unchecked Sendable { var flight = false }
        let dropped = Dropped()
        // Lose the client's first datagram with a ChangeCipherSpec: its Finished flight.
        pair.tamper = { side, datagram in
            guard side == .a, !dropped.flight, Self.recordTypes(in: datagram).contains(DTLSContentType.changeCipherSpec.rawValue) else {
                return datagram
            }
            dropped.flight = true
            return nil
        }
        pair.pair.withA { client, now in client.startHandshake(now: now) }
        #expect(pair.run { $0.client.canSendApplicationData })
        try pair.pair.withA { client, now in try client.send(applicationData: ByteBuffer(string: "early"), now: now) }
        #expect(pair.run { $0.server.state == .connected && $0.client.state == .connected })
        #expect(dropped.flight)
        #expect(pair.server.statistics.recordsDroppedUnexpected >= 1)
        #expect(!pair.serverEvents.contains { if case .applicationData = $0 { true } else { false } })
    }

    /// The content types of the records in a datagram (RFC 6347 §4.1: 13-byte headers).
    static func recordTypes(in datagram: ByteBuffer) -> [UInt8] {
        var types: [UInt8] = []
        var offset = datagram.readerIndex
        while let type = datagram.getInteger(at: offset, as: UInt8.self),
              let length = datagram.getInteger(at: offset + 11, as: UInt16.self) {
            types.append(type)
            offset += 13 + Int(length)
        }
        return types
    }
}
