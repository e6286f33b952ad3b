import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// Flight retransmission timers (RFC 6347 §4.2.4) on virtual time.
@Suite struct DTLSRetransmissionTests {
    @Test func backOffDoublesUpToTheMaximum() throws {
        var config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        config.handshakeTimeout = .seconds(1000)
        config.maxRetransmitTimeout = .seconds(8)
        var client = DTLSConnection(role: .client, configuration: config, rng: SeededRandom(seed: 1))
        let t0 = NIODeadline.virtualStart
        client.startHandshake(now: t0)
        let sent = client.pollTransmit()
        let first = try #require(sent)
        #expect(client.pollTransmit() == nil)
        var now = t0
        var gaps: [Int64] = []
        for _ in 0..<6 {
            let deadline = try #require(client.nextDeadline)
            gaps.append((deadline - now).nanoseconds / 1_000_000_000)
            now = deadline
            client.handleTimeout(now: now)
            let resent = client.pollTransmit()
            let again = try #require(resent)
            // Same ClientHello message, new record sequence number.
            #expect(again.getSlice(at: again.readerIndex + 13, length: again.readableBytes - 13) ==
                    first.getSlice(at: first.readerIndex + 13, length: first.readableBytes - 13))
            #expect(again.getSlice(at: again.readerIndex + 5, length: 6) != first.getSlice(at: first.readerIndex + 5, length: 6))
        }
        #expect(gaps == [1, 2, 4, 8, 8, 8])
        #expect(client.statistics.timeoutRetransmissions == 6)
    }

    @Test func configurableInitialTimeout() throws {
        var config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        config.initialRetransmitTimeout = .milliseconds(250)
        var client = DTLSConnection(role: .client, configuration: config)
        client.startHandshake(now: .virtualStart)
        #expect(client.nextDeadline == .virtualStart + .milliseconds(250))
        client.handleTimeout(now: .virtualStart + .milliseconds(100))
        #expect(client.statistics.timeoutRetransmissions == 0)
    }

    @Test func givesUpWithHandshakeTimeout() throws {
        var config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        config.handshakeTimeout = .seconds(20)
        var client = DTLSConnection(role: .client, configuration: config)
        client.startHandshake(now: .virtualStart)
        var now = NIODeadline.virtualStart
        var rounds = 0
        while let deadline = client.nextDeadline, rounds < 100 {
            now = deadline
            client.handleTimeout(now: now)
            rounds += 1
        }
        #expect(client.state == .failed)
        #expect(now == .virtualStart + .seconds(20))
        var events: [DTLSEvent] = []
        while let e = client.pollEvent() { events.append(e) }
        #expect(events == [.failed(.handshakeTimeout)])
    }

    @Test func lostFinalFlightIsResentWhenThePeerRetransmits() throws {
        // Drop the server's last flight (CCS + Finished) once: the client times out and resends
        // its flight, and the server answers by retransmitting its final flight.
        var pair = DTLSPair()
        var droppedServerFinal = false
        pair.tamper = { side, d in
            if side == .b, !droppedServerFinal, d.readableBytesView.first == 20 { droppedServerFinal = true; return nil }
            return d
        }
        let ok = pair.handshake()
        #expect(ok)
        #expect(droppedServerFinal)
        #expect(pair.client.statistics.timeoutRetransmissions == 1)
        #expect(pair.server.statistics.triggeredRetransmissions == 1)
        #expect(pair.client.state == .connected)
    }
}
