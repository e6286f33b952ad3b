import NIOCore
@testable import RTCDataChannel
import RTCSCTP
import Testing

/// The peer's association (driven directly, under the manager) sends what a broken or hostile
/// peer might: every case becomes a typed `.protocolError` event, nothing is delivered, and
/// the association and the other channels keep working.
@Suite struct DataChannelMalformedInputTests {
    /// Sends raw bytes from A's association on `stream` with `ppid`.
    static func inject(_ pair: inout DataChannelPair, stream: UInt16, ppid: UInt32, _ bytes: [UInt8]) throws {
        try pair.a.association.send(stream: stream, ppid: ppid, payload: ByteBuffer(bytes: bytes), now: pair.now)
    }

    @Test func malformedOpenMessagesAreReportedAndOpenNothing() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        // Label length 9 but one byte of label.
        try Self.inject(&pair, stream: 4, ppid: DataChannelPPID.dcep, [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x41])
        // Label that is not UTF-8.
        try Self.inject(&pair, stream: 6, ppid: DataChannelPPID.dcep, [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28])
        // Unknown DCEP message type; an empty-ish message.
        try Self.inject(&pair, stream: 8, ppid: DataChannelPPID.dcep, [0x09, 1, 2])
        pair.run(for: .seconds(1))
        #expect(pair.eventsB.protocolErrors == [
            .malformedDCEP(stream: 4, .lengthsExceedMessage(labelLength: 9, protocolLength: 0, available: 1)),
            .malformedDCEP(stream: 6, .labelNotUTF8),
            .malformedDCEP(stream: 8, .unknownMessageType(0x09)),
        ])
        #expect(pair.eventsB.contains(.protocolError(handle: nil, .malformedDCEP(stream: 8, .unknownMessageType(0x09)))))
        #expect(pair.eventsB.peerOpened.isEmpty && pair.b.handles.isEmpty)
        // A well-formed channel still opens and carries messages afterwards.
        let id = try pair.a.createChannel(label: "fine", now: pair.now)
        try pair.a.send(.text("ok"), on: id, now: pair.now)
        pair.run(for: .seconds(1))
        #expect(pair.eventsB.messages(on: pair.peerHandle(ofA: id)) == [.text("ok")])
        #expect(pair.b.association.state == .established)
    }

    @Test func textThatIsNotUTF8IsAnErrorOnItsChannel() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "text", now: pair.now)
        pair.run(for: .seconds(1))
        let stream = try #require(pair.a.streamID(of: id))
        let atB = try #require(pair.peerHandle(ofA: id))
        try Self.inject(&pair, stream: stream, ppid: DataChannelPPID.string, [0x61, 0xC3, 0x28])       // bad continuation
        try Self.inject(&pair, stream: stream, ppid: DataChannelPPID.string, [0xED, 0xA0, 0x80])       // a surrogate
        try Self.inject(&pair, stream: stream, ppid: DataChannelPPID.string, [0xF0, 0x9F, 0x98])       // truncated
        try Self.inject(&pair, stream: stream, ppid: DataChannelPPID.string, Array("après".utf8))
        pair.run(for: .seconds(1))
        #expect(pair.eventsB.protocolErrors == [
            .invalidUTF8(stream: stream, length: 3), .invalidUTF8(stream: stream, length: 3), .invalidUTF8(stream: stream, length: 3),
        ])
        #expect(pair.eventsB.contains(.protocolError(handle: atB, .invalidUTF8(stream: stream, length: 3))))
        #expect(pair.eventsB.messages(on: atB) == [.text("après")])
        #expect(pair.b.state(of: atB) == .open)
    }

    @Test func duplicateOpensUnknownPPIDsAndUnknownStreamsAreHandled() throws {
        var pair = DataChannelPair()
        let connected = pair.connect()
        #expect(connected)
        let id = try pair.a.createChannel(label: "first", now: pair.now)
        pair.run(for: .seconds(1))
        let stream = try #require(pair.a.streamID(of: id))
        let atB = try #require(pair.peerHandle(ofA: id))
        let again = DCEPMessage.open(channelType: .reliable, unordered: false, priority: 0, label: "second", protocol: "")
        try Self.inject(&pair, stream: stream, ppid: DataChannelPPID.dcep, Array(again.serialized().readableBytesView))
        try Self.inject(&pair, stream: stream, ppid: 52, [1, 2, 3])
        try Self.inject(&pair, stream: 40, ppid: DataChannelPPID.binary, [1])    // no channel there
        try Self.inject(&pair, stream: 42, ppid: DataChannelPPID.dcep, [0x02])  // ACK for no channel
        pair.run(for: .seconds(1))
        #expect(pair.eventsB.protocolErrors == [.duplicateOpen(stream: stream), .unknownPPID(stream: stream, ppid: 52)])
        #expect(pair.eventsB.peerOpened.map(\.label) == ["first"])
        #expect(pair.b.droppedMessages == 2)
        #expect(pair.eventsB.messages(on: atB).isEmpty)
    }
}
