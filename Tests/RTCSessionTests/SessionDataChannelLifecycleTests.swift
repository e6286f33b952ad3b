import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// Data channels through the session: created before the DTLS role is known on both sides,
/// stream-id parity from the negotiated role, typed errors, and closing seen on both sides.
@Suite struct SessionDataChannelLifecycleTests {
    static func closed(_ events: [SessionEvent]) -> [Int] {
        events.compactMap { if case .dataChannel(.closed(let h)) = $0 { h } else { nil } }
    }

    @Test func channelsCreatedBeforeNegotiationTakeTheParityOfTheNegotiatedRole() throws {
        var pair = try SessionPair()
        // A offers (actpass); B answers active, so B is the DTLS client (even ids), A the server (odd).
        let fromA = try pair.a.createDataChannel(label: "from-a", options: DataChannelOptions(), now: pair.now)
        let fromB = try pair.b.createDataChannel(label: "from-b", options: DataChannelOptions(ordered: false), now: pair.now)
        #expect(pair.a.streamID(of: fromA) == nil)
        #expect(throws: SessionError.unknownDataChannel(fromA)) { try pair.a.send(.text("early"), on: fromA, now: pair.now) }
        try pair.negotiate()
        pair.run(for: .seconds(10)) {
            SessionOpensDataChannelTests.opened($0.eventsA).count == 2 && SessionOpensDataChannelTests.opened($0.eventsB).count == 2
        }
        #expect(pair.a.streamID(of: fromA) == 1 && pair.b.streamID(of: fromB) == 0)
        let atB = SessionOpensDataChannelTests.opened(pair.eventsB).first { $0.label == "from-a" }
        #expect(atB?.streamID == 1)
        let atA = SessionOpensDataChannelTests.opened(pair.eventsA).first { $0.label == "from-b" }
        #expect(atA?.streamID == 0 && atA?.options.ordered == false)
        // Typed errors: contradictory options, and a message above the peer's max-message-size.
        #expect(throws: SessionError.self) {
            try pair.a.createDataChannel(label: "x", options: DataChannelOptions(maxRetransmits: 1, maxPacketLifeTime: .seconds(1)), now: pair.now)
        }
        #expect(throws: SessionError.messageTooLarge(size: 262_145, limit: 262_144)) {
            try pair.a.send(.binary([UInt8](repeating: 0, count: 262_145)), on: fromA, now: pair.now)
        }
        // A closes its channel; both sides report it closed, and B's channel keeps working.
        let handleAtB = try #require(atB?.handle)
        pair.a.closeDataChannel(fromA, now: pair.now)
        pair.run(for: .seconds(5)) { Self.closed($0.eventsA).contains(fromA) && Self.closed($0.eventsB).contains(handleAtB) }
        #expect(Self.closed(pair.eventsA) == [fromA] && Self.closed(pair.eventsB) == [handleAtB])
        #expect(throws: SessionError.unknownDataChannel(fromA)) { try pair.a.send(.text("late"), on: fromA, now: pair.now) }
        try pair.b.send(.text("still open"), on: fromB, now: pair.now)
        pair.run(for: .seconds(2)) { SessionOpensDataChannelTests.messages($0.eventsA).count == 1 }
        #expect(SessionOpensDataChannelTests.messages(pair.eventsA) == [.text("still open")])
    }

    @Test func closingTheSessionClosesEveryChannel() throws {
        var pair = try SessionPair()
        let handle = try pair.a.createDataChannel(label: "c", options: DataChannelOptions(), now: pair.now)
        try pair.negotiate()
        pair.run(for: .seconds(10)) { !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty }
        pair.a.close(now: pair.now)
        pair.drain()
        #expect(Self.closed(pair.eventsA) == [handle])
    }
}
