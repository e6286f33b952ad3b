import NIOCore
import Testing
@testable import RTCSCTP

@Suite struct SCTPChunkCodecTests {
    static let samples: [SCTPChunk] = [
        .data(DataChunk(flags: DataChunk.beginningFlag | DataChunk.endingFlag | DataChunk.unorderedFlag, tsn: 0xFFFF_FFFE,
                        streamIdentifier: 7, streamSequenceNumber: 9, payloadProtocolIdentifier: 51, userData: ByteBuffer(string: "abc"))),
        .initiate(InitChunk(initiateTag: 0xDEAD_BEEF, advertisedReceiverWindowCredit: 131_072, numberOfOutboundStreams: 1024,
                            numberOfInboundStreams: 65535, initialTSN: 42, parameters: SCTPAssociation.extensionParameters)),
        .initiateAck(InitChunk(initiateTag: 1, advertisedReceiverWindowCredit: 2, numberOfOutboundStreams: 3, numberOfInboundStreams: 4,
                               initialTSN: 5, parameters: [SCTPParameter(type: SCTPParameter.stateCookie, bytes: [1, 2, 3, 4, 5])])),
        .sack(SelectiveAckChunk(cumulativeTSNAck: 100, advertisedReceiverWindowCredit: 5000,
                                gapAckBlocks: [.init(start: 2, end: 3), .init(start: 5, end: 9)], duplicateTSNs: [99, 98])),
        .heartbeat(HeartbeatChunk(info: ByteBuffer(bytes: [9, 8, 7]))),
        .heartbeatAck(HeartbeatChunk(info: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8]))),
        .abort(AbortChunk(reflectedTag: true, causes: [SCTPErrorCause(code: SCTPErrorCause.userInitiatedAbort, value: ByteBuffer(string: "bye"))])),
        .shutdown(ShutdownChunk(cumulativeTSNAck: 77)),
        .shutdownAck,
        .error(ErrorChunk(causes: [SCTPErrorCause(code: SCTPErrorCause.staleCookie, value: ByteBuffer(bytes: [0, 0, 1, 0]))])),
        .cookieEcho(CookieEchoChunk(cookie: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6]))),
        .cookieAck,
        .shutdownComplete(reflectedTag: true),
        .forwardTSN(ForwardTSNChunk(newCumulativeTSN: 500, streams: [.init(stream: 1, sequenceNumber: 4), .init(stream: 3, sequenceNumber: 0)])),
        .reconfig(ReconfigChunk(parameters: [
            .outgoingReset(requestSequence: 10, responseSequence: 9, senderLastTSN: 400, streams: [1, 3, 5]),
            .response(responseSequence: 20, result: ReconfigChunk.Result.successPerformed),
        ])),
        .reconfig(ReconfigChunk(parameters: [.incomingReset(requestSequence: 11, streams: [2])])),
        .unknown(UnknownChunk(type: 0xBF, flags: 0x5A, value: ByteBuffer(bytes: [1, 2, 3, 4, 5]))),
    ]

    @Test(arguments: samples)
    func chunkRoundTripsThroughAPacket(_ chunk: SCTPChunk) throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5001, verificationTag: 0x0102_0304, chunks: [chunk, .cookieAck])
        let bytes = packet.serialized()
        #expect(bytes.readableBytes % 4 == 0)
        let parsed = try SCTPPacket.parse(bytes)
        #expect(parsed == packet)
        #expect(parsed.serialized() == bytes)
    }

    @Test func dataChunkHeaderMatchesRFC9260Layout() {
        var b = ByteBuffer()
        SCTPChunk.data(DataChunk(flags: 0x03, tsn: 0x0102_0304, streamIdentifier: 0x0506, streamSequenceNumber: 0x0708,
                                 payloadProtocolIdentifier: 0x090A_0B0C, userData: ByteBuffer(bytes: [0xAA]))).write(to: &b)
        #expect(Array(b.readableBytesView) == [0x00, 0x03, 0x00, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xAA, 0, 0, 0])
    }

    @Test func sackLayoutMatchesRFC9260() {
        var b = ByteBuffer()
        SelectiveAckChunk(cumulativeTSNAck: 1, advertisedReceiverWindowCredit: 2, gapAckBlocks: [.init(start: 3, end: 4)],
                          duplicateTSNs: [5]).write(to: &b)
        #expect(Array(b.readableBytesView) == [3, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 3, 0, 4, 0, 0, 0, 5])
    }

    @Test func lastChunkWithoutPaddingIsAccepted() throws {
        var bytes = SCTPPacket(sourcePort: 1, destinationPort: 2, verificationTag: 3,
                               chunks: [.data(DataChunk(flags: 3, tsn: 1, streamIdentifier: 0, streamSequenceNumber: 0,
                                                        payloadProtocolIdentifier: 0, userData: ByteBuffer(bytes: [1])))]).serialized()
        bytes.moveWriterIndex(to: bytes.writerIndex - 3)
        SCTPPacket.finalizeChecksum(&bytes, packetStart: 0)
        let parsed = try SCTPPacket.parse(bytes)
        guard case .data(let d) = parsed.chunks.first else { Issue.record("no DATA"); return }
        #expect(Array(d.userData.readableBytesView) == [1])
    }

    @Test func malformedLengthsThrowTypedErrors() {
        func packet(_ chunkBytes: [UInt8]) -> ByteBuffer {
            var b = ByteBuffer(bytes: [0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0] + chunkBytes)
            SCTPPacket.finalizeChecksum(&b, packetStart: 0)
            return b
        }
        #expect(throws: SCTPParseError.packetTooShort(length: 4)) { try SCTPPacket.parse(ByteBuffer(bytes: [1, 2, 3, 4])) }
        #expect(throws: SCTPParseError.badChunkLength(type: 0x0B, offset: 12, length: 3)) { try SCTPPacket.parse(packet([0x0B, 0, 0, 3])) }
        #expect(throws: SCTPParseError.badChunkLength(type: 0x0B, offset: 12, length: 40)) { try SCTPPacket.parse(packet([0x0B, 0, 0, 40])) }
        #expect(throws: SCTPParseError.chunkTooShort(type: 0, length: 8, minimum: 16)) {
            try SCTPPacket.parse(packet([0, 3, 0, 8, 0, 0, 0, 1]))
        }
        #expect(throws: SCTPParseError.self) { try SCTPPacket.parse(packet([3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 9, 0, 0])) }
        #expect(throws: SCTPParseError.self) { try SCTPPacket.parse(packet([1, 0, 0, 24] + [UInt8](repeating: 1, count: 16) + [0, 7, 0, 99])) }
        #expect(throws: SCTPParseError.self) { try SCTPPacket.parse(packet([192, 0, 0, 6, 0, 0])) }
    }
}

extension SCTPChunk: CustomTestStringConvertible {
    public var testDescription: String { "chunk type \(type)" }
}
