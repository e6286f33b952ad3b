import NIOCore
import RTCDataChannel
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

    @Test func parsingStartsAtTheReaderIndex() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF])
        buffer.moveReaderIndex(forwardBy: 2)
        buffer.writeImmutableBuffer(DCEPMessage.open(channelType: .reliable, unordered: false, priority: 0, label: "l", protocol: "").serialized())
        #expect(try DCEPMessage.parse(buffer) == .open(channelType: .reliable, unordered: false, priority: 0, label: "l", protocol: ""))
    }

    @Test func malformedMessagesThrowTypedErrors() {
        #expect(throws: DCEPParseError.empty) { try DCEPMessage.parse(ByteBuffer()) }
        #expect(throws: DCEPParseError.openTooShort(length: 4)) { try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0])) }
        // Label length runs past the message.
        #expect(throws: DCEPParseError.lengthsExceedMessage(labelLength: 9, protocolLength: 0, available: 1)) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x41]))
        }
        // Both lengths at their maximum: no overflow, just an error.
        #expect(throws: DCEPParseError.lengthsExceedMessage(labelLength: 65535, protocolLength: 65535, available: 0)) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]))
        }
        #expect(throws: DCEPParseError.unknownMessageType(0x07)) { try DCEPMessage.parse(ByteBuffer(bytes: [0x07])) }
        #expect(throws: DCEPParseError.unknownChannelType(0x05)) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        }
        #expect(throws: DCEPParseError.labelNotUTF8) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28]))
        }
        #expect(throws: DCEPParseError.protocolNotUTF8) {
            try DCEPMessage.parse(ByteBuffer(bytes: [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x41, 0xFF]))
        }
    }
}
