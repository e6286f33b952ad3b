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
            try pair.a.send(.binary(ByteBuffer(repeating: 1, count: limit + 1)), on: id, now: pair.now)
        }
        try pair.a.send(.binary(ByteBuffer(repeating: 2, count: limit)), on: id, now: pair.now)
        pair.run(for: .seconds(30)) { !$0.eventsB.messages(on: id).isEmpty }
        #expect(pair.eventsB.messages(on: id) == [.binary(ByteBuffer(repeating: 2, count: limit))])
    }

    @Test func oversizeReceptionAbortsTheAssociation() throws {
        // A ignores B's limit (misconfigured): B must abort rather than buffer without bound.
        var pair = DataChannelPair(configA: .init(role: .dtlsClient, remoteMaxMessageSize: 1 << 20),
                                   configB: .init(role: .dtlsServer, localMaxMessageSize: 64 * 1024))
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "big", now: pair.now)
        try pair.a.send(.binary(ByteBuffer(repeating: 3, count: 100_000)), on: id, now: pair.now)
        pair.run(for: .seconds(10)) { $0.eventsA.contains { if case .associationFailed = $0 { true } else { false } } }
        #expect(pair.eventsB.oversize > 64 * 1024)
        #expect(pair.eventsA.contains { if case .associationFailed(.peerAborted) = $0 { true } else { false } })
        #expect(pair.eventsB.contains(.closed(id)))
        #expect(pair.eventsB.messages(on: id).isEmpty)
    }

    @Test func bufferedAmountDrainsAndFiresTheLowThresholdEvent() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "buffered", now: pair.now)
        pair.a.setBufferedAmountLowThreshold(10_000, on: id)
        for _ in 0..<10 { try pair.a.send(.binary(ByteBuffer(repeating: 9, count: 20_000)), on: id, now: pair.now) }
        #expect(pair.a.bufferedAmount(id) >= 180_000)
        pair.run(for: .seconds(30)) { $0.eventsB.messages(on: id).count == 10 }
        #expect(pair.a.bufferedAmount(id) == 0)
        #expect(pair.eventsA.filter { $0 == .bufferedAmountLow(id) }.count == 1)
        #expect(pair.eventsB.messages(on: id).count == 10)
    }
}

extension Array where Element == DataChannelEvent {
    var oversize: Int {
        for e in self { if case .associationFailed(.messageTooLarge(let n)) = e { return n } }
        return -1
    }
}
