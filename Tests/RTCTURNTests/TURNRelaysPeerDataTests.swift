import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Data to and from peers: Send/Data indications without a channel (RFC 8656 §11) and
/// ChannelData once bound (RFC 8656 §12.4–12.5).
@Suite struct TURNRelaysPeerDataTests {
    static let peer = TransportAddress(ip: .v4(0x0A00_0063), port: 5000)

    @Test func sendUsesSendIndicationUntilAChannelIsBound() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        #expect(throws: TURNError.noPermission(Self.peer.ip)) {
            _ = try h.client.send(ByteBuffer(bytes: [1]), to: Self.peer, now: h.now)
        }
        try h.client.createPermission(for: Self.peer.ip, now: h.now)
        h.pump()
        let t = try h.client.send(ByteBuffer(bytes: [9, 8, 7]), to: Self.peer, now: h.now)
        #expect(t.destination == FakeTURNServer.address)
        let indication = try STUNParsedMessage(t.payload).message
        #expect(indication.type == STUNMessageType(method: .send, messageClass: .indication))
        #expect(try indication.xorAddress(.xorPeerAddress) == Self.peer)
        #expect(indication.attribute(.data)?.value == [9, 8, 7])

        try h.client.bindChannel(to: Self.peer, now: h.now)
        h.pump()
        let c = try h.client.send(ByteBuffer(bytes: [9, 8, 7]), to: Self.peer, now: h.now)
        #expect(Array(c.payload.readableBytesView) == [0x40, 0x00, 0x00, 0x03, 9, 8, 7])
    }

    @Test func dataIndicationsAndChannelDataArriveAsPeerData() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let viaIndication = h.receive(FakeTURNServer.dataIndication(from: Self.peer, [1, 2, 3]), from: FakeTURNServer.address)
        #expect(viaIndication == TURNPeerData(peer: Self.peer, payload: ByteBuffer(bytes: [1, 2, 3]), channel: nil))
        try h.client.bindChannel(to: Self.peer, now: h.now)
        h.pump()
        for bytes: [UInt8] in [[0x40, 0x00, 0x00, 0x03, 4, 5, 6], [0x40, 0x00, 0x00, 0x03, 4, 5, 6, 0]] {
            let got = h.receive(ByteBuffer(bytes: bytes), from: FakeTURNServer.address)
            #expect(got == TURNPeerData(peer: Self.peer, payload: ByteBuffer(bytes: [4, 5, 6]), channel: 0x4000))
        }
        #expect(h.receive(ByteBuffer(bytes: [0x40, 0x07, 0x00, 0x01, 1]), from: FakeTURNServer.address) == nil)
        #expect(h.client.statistics.unknownChannels == 1)
    }

    @Test func dataIndicationWithoutPeerAddressIsIgnored() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let m = STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: STUNTransactionID(high: 1, low: 1),
                            attributes: [STUNAttribute(type: .data, value: [1])])
        #expect(h.receive(m.encoded(), from: FakeTURNServer.address) == nil)
        #expect(h.client.statistics.ignoredMessages == 1)
    }

    @Test func oversizedPayloadIsRefused() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        try h.client.createPermission(for: Self.peer.ip, now: h.now)
        h.pump()
        #expect(throws: TURNError.payloadTooLarge(70_000)) {
            _ = try h.client.send(ByteBuffer(repeating: 0, count: 70_000), to: Self.peer, now: h.now)
        }
    }
}
