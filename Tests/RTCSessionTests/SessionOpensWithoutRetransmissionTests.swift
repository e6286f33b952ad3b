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
}
