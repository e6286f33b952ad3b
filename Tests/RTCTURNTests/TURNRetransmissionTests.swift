import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Requests are retransmitted on virtual time with RFC 8489 §6.2.1's back-off
/// (RTO 500 ms doubling, Rc = 7 sends, then Rm × RTO = 8 s) and fail with a timeout.
@Suite struct TURNRetransmissionTests {
    @Test func retransmitsOnTheRFC8489ScheduleThenTimesOut() {
        var h = TURNHarness()
        h.server.dropNext = 1000
        h.client.allocate(now: h.now)
        h.pump()
        h.advance(by: .seconds(39))
        #expect(h.client.state == .allocating)
        let times = h.server.requests(.allocate).map { h.elapsed($0.time) }
        #expect(times == [0, 500, 1500, 3500, 7500, 15500, 31500])
        #expect(Set(h.server.requests(.allocate).map(\.message.transactionID)).count == 1)
        h.advance(by: .milliseconds(499))
        #expect(h.client.state == .allocating)
        h.advance(by: .milliseconds(1))
        #expect(h.client.state == .failed(.timedOut(method: .allocate)))
        #expect(h.events == [.failed(.timedOut(method: .allocate))])
        #expect(h.client.statistics.retransmissions == 6)
        #expect(h.client.nextDeadline == nil)
    }

    @Test func lostRequestsAreRecoveredByRetransmission() throws {
        var h = TURNHarness()
        h.server.dropNext = 2 // the unauthenticated Allocate twice
        h.client.allocate(now: h.now)
        h.pump()
        #expect(h.client.state == .allocating)
        h.advance(by: .seconds(2))
        #expect(h.client.state == .allocated)
        #expect(h.client.statistics.retransmissions == 2)
        #expect(h.server.requests(.allocate).map { h.elapsed($0.time) } == [0, 500, 1500, 1500])
    }

    @Test func lostAuthenticatedRequestIsResentByteForByte() {
        var h = TURNHarness()
        h.client.allocate(now: h.now)
        let first = h.client.pollTransmit()!
        let challenge = h.server.handle(first.payload, now: h.now)!
        _ = h.receive(challenge, from: FakeTURNServer.address)
        h.server.dropNext = 1
        h.pump()
        #expect(h.client.state == .allocating)
        h.advance(by: .milliseconds(500))
        #expect(h.client.state == .allocated)
        let authenticated = h.server.requests(.allocate).dropFirst()
        #expect(authenticated.count == 2)
        #expect(authenticated.first?.parsed.bytes == authenticated.last?.parsed.bytes)
    }

    @Test func closeSendsRefreshWithLifetimeZeroAndReportsClosed() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.client.close(now: h.now)
        h.pump()
        let refresh = try #require(h.server.requests(.refresh).last)
        #expect(refresh.message.uint32(.lifetime) == 0)
        #expect(refresh.parsed.verifyIntegrity(h.server.key))
        #expect(h.client.state == .closed)
        #expect(h.events.last == .closed)
        #expect(h.client.nextDeadline == nil)
    }

    @Test func closeCompletesEvenWhenTheServerIsGone() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.server.dropNext = 1000
        h.client.close(now: h.now)
        h.pump()
        #expect(h.client.state == .closing)
        h.advance(by: .seconds(40))
        #expect(h.client.state == .closed)
        #expect(h.server.requests(.refresh).count == 7)
    }
}
