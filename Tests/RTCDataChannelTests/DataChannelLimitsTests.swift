import NIOCore
import RTCDataChannel
import RTCSCTP
import Testing

@Suite struct DataChannelLimitsTests {
    @Test func oversizeSendThrowsATypedError() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "big", now: pair.now)
        let limit = 256 * 1024
        #expect(throws: DataChannelError.messageTooLarge(size: limit + 1, limit: limit)) {
            try pair.a.send(.binary([UInt8](repeating: 1, count: limit + 1)), on: id, now: pair.now)
        }
        #expect(throws: DataChannelError.messageTooLarge(size: limit + 1, limit: limit)) {
            try pair.a.sendBinary(ByteBuffer(repeating: 1, count: limit + 1), on: id, now: pair.now)
        }
        pair.a.setRemoteMaxMessageSize(10)
        #expect(throws: DataChannelError.messageTooLarge(size: 11, limit: 10)) {
            try pair.a.send(.text(String(repeating: "é", count: 5) + "x"), on: id, now: pair.now)
        }
        pair.a.setRemoteMaxMessageSize(limit)
        try pair.a.send(.binary([UInt8](repeating: 2, count: limit)), on: id, now: pair.now)
        pair.run(until: { !$0.eventsB.messages(on: $0.peerHandle(ofA: id)).isEmpty }, for: .seconds(30))
        #expect(pair.eventsB.messages(on: pair.peerHandle(ofA: id)) == [.binary([UInt8](repeating: 2, count: limit))])
    }

    @Test func oversizeReceptionAbortsTheAssociation() throws {
        // A ignores B's limit (misconfigured): B must abort rather than buffer without bound.
        var pair = DataChannelPair(configA: .init(role: .dtlsClient, remoteMaxMessageSize: 1 << 20),
                                   configB: .init(role: .dtlsServer, localMaxMessageSize: 64 * 1024))
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "big", now: pair.now)
        try pair.a.send(.binary([UInt8](repeating: 3, count: 100_000)), on: id, now: pair.now)
        pair.run(until: { $0.eventsA.contains { if case .associationFailed = $0 { true } else { false } } }, for: .seconds(10))
        #expect(pair.eventsB.oversize > 64 * 1024)
        #expect(pair.eventsA.contains { if case .associationFailed(.peerAborted) = $0 { true } else { false } })
        let atB = try #require(pair.eventsB.peerOpened.first?.handle)
        #expect(pair.eventsB.contains(.closed(atB)))
        #expect(pair.eventsA.contains(.closed(id)))
        #expect(pair.eventsB.messages(on: atB).isEmpty)
    }

    @Test func bufferedAmountDrainsAndFiresTheLowThresholdEvent() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "buffered", now: pair.now)
        pair.a.setBufferedAmountLowThreshold(10_000, on: id)
        for _ in 0..<10 { try pair.a.send(.binary([UInt8](repeating: 9, count: 20_000)), on: id, now: pair.now) }
        #expect(pair.a.bufferedAmount(of: id) >= 180_000)
        pair.run(until: { $0.eventsB.messages(on: $0.peerHandle(ofA: id)).count == 10 }, for: .seconds(30))
        #expect(pair.a.bufferedAmount(of: id) == 0)
        #expect(pair.eventsA.filter { $0 == .bufferedAmountLow(id) }.count == 1)
        #expect(pair.eventsB.messages(on: pair.peerHandle(ofA: id)).count == 10)
    }

    @Test func theConfiguredLowThresholdAppliesToEveryNewChannel() throws {
        var pair = DataChannelPair(configA: .init(bufferedAmountLowThreshold: 50_000))
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "default-threshold", now: pair.now)
        try pair.a.send(.binary([UInt8](repeating: 1, count: 40_000)), on: id, now: pair.now)
        try pair.a.send(.binary([UInt8](repeating: 1, count: 40_000)), on: id, now: pair.now)
        pair.run(until: { $0.eventsA.contains(.bufferedAmountLow(id)) }, for: .seconds(30))
        #expect(pair.eventsA.filter { $0 == .bufferedAmountLow(id) }.count == 1)
    }
}

extension Array where Element == DataChannelManagerEvent {
    var oversize: Int {
        for e in self { if case .associationFailed(.messageTooLarge(let n)) = e { return n } }
        return -1
    }
}
