import NIOCore
import RTCDataChannel
import RTCSCTP
import Testing

@Suite struct DCEPMessageTests {
    @Test func openMessageMatchesRFC8832Layout() throws {
        let open = DCEPMessage.open(channelType: .partialReliableRexmit(3), unordered: true, priority: 256, label: "chat", protocol: "p")
        let bytes = Array(open.serialized().readableBytesView)
        #expect(bytes == [0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 4, 0, 1] + Array("chat".utf8) + Array("p".utf8))
        #expect(try DCEPMessage.parse(open.serialized()) == open)
        #expect(Array(DCEPMessage.ack.serialized().readableBytesView) == [0x02])
    }

    @Test func everyChannelTypeRoundTrips() throws {
        for type in [DCEPChannelType.reliable, .partialReliableRexmit(0), .partialReliableTimed(1500)] {
            for unordered in [false, true] {
                let m = DCEPMessage.open(channelType: type, unordered: unordered, priority: 512, label: "ラベル", protocol: "")
                #expect(try DCEPMessage.parse(m.serialized()) == m)
            }
        }
    }

    @Test func malformedMessagesThrowTypedErrors() {
        #expect(throws: SCTPParseError.self) { try DCEPMessage.parse(ByteBuffer()) }
        #expect(throws: SCTPParseError.self) { try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0])) }
        // Label length runs past the message.
        #expect(throws: SCTPParseError.self) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x41]))
        }
        #expect(throws: SCTPParseError.self) { try DCEPMessage.parse(ByteBuffer(bytes: [0x07])) }
        #expect(throws: SCTPParseError.self) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        }
    }
}
