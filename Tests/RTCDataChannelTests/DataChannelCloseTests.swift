import NIOCore
import RTCDataChannel
import RTCSCTP
import Testing

@Suite struct DataChannelCloseTests {
    @Test func closingAChannelResetsOnlyItsStreamAndClosesBothSides() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let doomed = try pair.a.createChannel(label: "doomed", now: pair.now)
        let survivor = try pair.a.createChannel(label: "survivor", now: pair.now)
        for i in 0..<5 {
            try pair.a.send(.text("d\(i)"), on: doomed, now: pair.now)
            try pair.a.send(.text("s\(i)"), on: survivor, now: pair.now)
        }
        pair.a.close(doomed, now: pair.now)
        #expect(pair.a.channel(doomed)?.state == .closing)
        pair.run(for: .seconds(5)) { $0.eventsA.contains(.closed(doomed)) && $0.eventsB.contains(.closed(doomed)) }
        #expect(pair.eventsA.contains(.closed(doomed)))
        #expect(pair.eventsB.contains(.closing(doomed)) && pair.eventsB.contains(.closed(doomed)))
        // Everything queued before close still arrived.
        #expect(pair.eventsB.messages(on: doomed) == (0..<5).map { .text("d\($0)") })
        #expect(pair.a.channel(doomed) == nil && pair.b.channel(doomed) == nil)
        #expect(throws: DataChannelError.unknownChannel(doomed)) { try pair.a.send(.text("late"), on: doomed, now: pair.now) }
        // The other channel keeps working in both directions.
        try pair.a.send(.text("still here"), on: survivor, now: pair.now)
        try pair.b.send(.text("me too"), on: survivor, now: pair.now)
        pair.run(for: .seconds(2))
        #expect(pair.eventsB.messages(on: survivor) == (0..<5).map { .text("s\($0)") } + [.text("still here")])
        #expect(pair.eventsA.messages(on: survivor) == [.text("me too")])
        // The freed id can be reused by a new channel, whose sequence numbers restart.
        let reopened = try pair.a.createChannel(label: "again", options: DataChannelOptions(negotiatedID: doomed), now: pair.now)
        _ = try pair.b.createChannel(label: "again", options: DataChannelOptions(negotiatedID: doomed), now: pair.now)
        try pair.a.send(.text("fresh"), on: reopened, now: pair.now)
        pair.run(for: .seconds(2))
        #expect(pair.eventsB.messages(on: doomed).last == .text("fresh"))
    }

    @Test func peerInitiatedCloseIsReportedOnBothSides() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "c", now: pair.now)
        pair.run(for: .seconds(1))
        pair.b.close(id, now: pair.now)
        pair.run(for: .seconds(5)) { $0.eventsA.contains(.closed(id)) && $0.eventsB.contains(.closed(id)) }
        #expect(pair.eventsA.contains(.closing(id)) && pair.eventsA.contains(.closed(id)))
        #expect(pair.eventsB.contains(.closed(id)))
    }

    @Test func shutdownClosesEveryChannel() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "c", now: pair.now)
        pair.run(for: .seconds(1))
        pair.a.shutdown(now: pair.now)
        pair.run(for: .seconds(5)) { $0.eventsA.contains(.associationClosed) && $0.eventsB.contains(.associationClosed) }
        #expect(pair.eventsA.contains(.closed(id)) && pair.eventsB.contains(.closed(id)))
        #expect(pair.a.association.state == .closed && pair.b.association.state == .closed)
    }
}
