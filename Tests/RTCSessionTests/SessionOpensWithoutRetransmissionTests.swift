import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// On a clean link nothing may be lost, so the channel must open without waiting for any
/// retransmission timer (the first DTLS retransmission is 1 s). Virtual time: deterministic.
@Suite struct SessionOpensWithoutRetransmissionTests {
    @Test func channelOpensWellBeforeTheFirstDTLSRetransmission() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: .microseconds(50)))
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let start = pair.now
        try pair.negotiate()
        var openedAt: NIODeadline?
        pair.run(for: .seconds(10)) { p in
            if openedAt == nil, !SessionOpensDataChannelTests.opened(p.eventsA).isEmpty { openedAt = p.now }
            return openedAt != nil
        }
        let elapsed = try #require(openedAt) - start
        #expect(elapsed < .milliseconds(900), "opened after \(elapsed.nanoseconds / 1_000_000) ms of virtual time")
    }

    /// With no loss the open takes a fixed number of one-way trips: ICE check and nomination
    /// (2 round trips), the DTLS handshake without a cookie exchange (ClientHello, server
    /// flight, client flight, server Finished), SCTP INIT/INIT-ACK/COOKIE-ECHO/COOKIE-ACK and
    /// DCEP OPEN/ACK: 12 one-way delays. Nothing may wait on a timer.
    @Test func channelOpensInAFixedNumberOfTripsWithoutWaitingOnTimers() throws {
        let delay = TimeAmount.milliseconds(10)
        var pair = try SessionPair(conditions: LinkConditions(delay: delay))
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let start = pair.now
        try pair.negotiate()
        var openedAt: NIODeadline?
        pair.run(for: .seconds(10)) { p in
            if openedAt == nil, !SessionOpensDataChannelTests.opened(p.eventsA).isEmpty { openedAt = p.now }
            return openedAt != nil
        }
        let trips = Double((try #require(openedAt) - start).nanoseconds) / Double(delay.nanoseconds)
        #expect(trips <= 12.5, "opened after \(trips) one-way delays of virtual time")
    }
}
