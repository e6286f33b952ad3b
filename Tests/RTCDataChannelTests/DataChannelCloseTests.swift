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
        let doomedStream = try #require(pair.a.streamID(of: doomed))
        pair.run(until: { $0.peerHandle(ofA: doomed) != nil }, for: .seconds(1))
        let doomedAtB = try #require(pair.peerHandle(ofA: doomed))
        pair.a.close(doomed, now: pair.now)
        #expect(pair.a.state(of: doomed) == .closing)
        pair.run(until: { $0.eventsA.contains(.closed(doomed)) && $0.eventsB.contains(.closed(doomedAtB)) }, for: .seconds(5))
        #expect(pair.eventsA.contains(.closed(doomed)))
        #expect(pair.eventsB.contains(.closing(doomedAtB)) && pair.eventsB.contains(.closed(doomedAtB)))
        // Everything queued before close still arrived.
        #expect(pair.eventsB.messages(on: doomedAtB) == (0..<5).map { .text("d\($0)") })
        #expect(pair.a.state(of: doomed) == nil && pair.b.state(of: doomedAtB) == nil)
        #expect(pair.a.handle(forStream: doomedStream) == nil && pair.b.handle(forStream: doomedStream) == nil)
        #expect(throws: DataChannelError.unknownChannel(doomed)) { try pair.a.send(.text("late"), on: doomed, now: pair.now) }
        // The other channel keeps working in both directions.
        let survivorAtB = try #require(pair.peerHandle(ofA: survivor))
        try pair.a.send(.text("still here"), on: survivor, now: pair.now)
        try pair.b.send(.text("me too"), on: survivorAtB, now: pair.now)
        pair.run(for: .seconds(2))
        #expect(pair.eventsB.messages(on: survivorAtB) == (0..<5).map { .text("s\($0)") } + [.text("still here")])
        #expect(pair.eventsA.messages(on: survivor) == [.text("me too")])
        // The freed id can be reused by a new channel, whose sequence numbers restart.
        let reopened = try pair.a.createChannel(label: "again", options: DataChannelOptions(negotiatedID: doomedStream), now: pair.now)
        let reopenedAtB = try pair.b.createChannel(label: "again", options: DataChannelOptions(negotiatedID: doomedStream), now: pair.now)
        try pair.a.send(.text("fresh"), on: reopened, now: pair.now)
        pair.run(for: .seconds(2))
        #expect(pair.eventsB.messages(on: reopenedAtB) == [.text("fresh")])
    }

    @Test func peerInitiatedCloseIsReportedOnBothSides() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "c", now: pair.now)
        pair.run(for: .seconds(1))
        let atB = try #require(pair.peerHandle(ofA: id))
        pair.b.close(atB, now: pair.now)
        pair.run(until: { $0.eventsA.contains(.closed(id)) && $0.eventsB.contains(.closed(atB)) }, for: .seconds(5))
        #expect(pair.eventsA.contains(.closing(id)) && pair.eventsA.contains(.closed(id)))
        #expect(pair.eventsB.contains(.closed(atB)))
    }

    @Test func closingBeforeTheAssociationIsUpClosesAtOnce() throws {
        var pair = DataChannelPair()
        let id = try pair.a.createChannel(label: "never", now: pair.now)
        pair.a.close(id, now: pair.now)
        pair.flush()
        #expect(pair.eventsA == [.closed(id)])
        let connected = pair.connect()
        #expect(connected)
        pair.run(for: .seconds(1))
        #expect(pair.eventsB.peerOpened.isEmpty)
    }

    @Test func closeAllReportsEveryChannelClosed() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let one = try pair.a.createChannel(label: "1", now: pair.now)
        let two = try pair.a.createChannel(label: "2", now: pair.now)
        pair.a.closeAll(now: pair.now)
        pair.flush()
        #expect(pair.eventsA.suffix(2) == [.closed(one), .closed(two)])
        #expect(pair.a.handles.isEmpty)
    }

    @Test func shutdownClosesEveryChannel() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "c", now: pair.now)
        pair.run(for: .seconds(1))
        let atB = try #require(pair.peerHandle(ofA: id))
        pair.a.shutdown(now: pair.now)
        pair.run(until: { $0.eventsA.contains(.associationClosed) && $0.eventsB.contains(.associationClosed) }, for: .seconds(5))
        #expect(pair.eventsA.contains(.closed(id)) && pair.eventsB.contains(.closed(atB)))
        #expect(pair.a.association.state == .closed && pair.b.association.state == .closed)
    }
}
