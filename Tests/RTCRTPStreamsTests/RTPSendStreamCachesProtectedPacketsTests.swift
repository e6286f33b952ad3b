import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import Testing

/// `RTPSendStream.cachesProtectedPackets`: the cache keeps what the caller protected, a NACK
/// gets those very bytes back (marked protected, never restamped), and RTX packets are made
/// from the original the caller unprotects.
@Suite struct RTPSendStreamCachesProtectedPacketsTests {
    let t0 = SendFixture.start
    static let extensions = RTPSendStreamConfiguration.HeaderExtensions(transportWideSequenceNumberID: 4, absoluteSendTimeID: 3)

    func nack(_ lost: [UInt16]) -> ByteBuffer {
        SendFixture.compound(.transportFeedback(.genericNACK(
            RTCPGenericNACK(senderSSRC: SendFixture.remoteSSRC, mediaSSRC: SendFixture.mediaSSRC, lost: lost))))
    }

    /// Stands in for SRTP: the packet's bytes with a 4-byte "tag".
    func fakeProtect(_ transmit: RTPSendStreamTransmit) -> ByteBuffer {
        var bytes = transmit.bytes
        bytes.writeBytes([0xEE, 0xEE, 0xEE, 0xEE])
        return bytes
    }

    @Test func withoutRTXANackGetsTheProtectedBytesAsTheyWereSent() throws {
        var stream = SendFixture.stream(SendFixture.config(extensions: Self.extensions) { $0.initialSequenceNumber = 700 })
        stream.cachesProtectedPackets = true
        var sequencer = TransportWideSequencer(firstSequenceNumber: 30)
        stream.sendPayloads([SendFixture.payload([1, 2, 3]), SendFixture.payload([4, 5])], captureTime: t0, now: t0)
        let originals = stream.drain(stampingWith: &sequencer)
        #expect(originals.map(\.transportWideSequenceNumber) == [30, 31])
        #expect(originals.allSatisfy { !$0.isProtected })
        // Polled but not handed back yet: nothing is cached.
        stream.handle(nack([700]), now: t0 + .milliseconds(10))
        #expect(stream.drain(stampingWith: &sequencer).isEmpty)
        #expect(stream.statistics.nackedPacketsNotCached == 1)

        let protected = originals.map(fakeProtect)
        for bytes in protected { stream.cacheProtected(bytes) }
        stream.handle(nack([701, 700]), now: t0 + .milliseconds(200))
        let resent = stream.drain(stampingWith: &sequencer)
        #expect(resent.count == 2)
        #expect(resent.allSatisfy { $0.isProtected && $0.isRetransmission && $0.kind == .rtp })
        // Byte for byte what was sent: no new transport-wide number, no new abs-send-time.
        #expect(resent.map { Array($0.bytes.readableBytesView) } == [protected[1], protected[0]].map { Array($0.readableBytesView) })
        #expect(sequencer.stampedPackets == 2, "the resends took no transport-wide number")
        #expect(stream.statistics.retransmittedPacketsSent == 2)
    }

    @Test func withRTXTheUnprotectedOriginalIsWrappedWithTheNextRTXNumber() throws {
        var stream = SendFixture.stream(SendFixture.config(rtx: true, extensions: Self.extensions) { $0.initialSequenceNumber = 40 })
        stream.cachesProtectedPackets = true
        var sequencer = TransportWideSequencer(firstSequenceNumber: 1)
        stream.sendPayloads([SendFixture.payload([9, 8, 7])], captureTime: t0, now: t0)
        let original = try #require(stream.drain(stampingWith: &sequencer).first)
        stream.cacheProtected(fakeProtect(original))
        stream.handle(nack([40]), now: t0 + .milliseconds(20))
        let resent = try #require(stream.drain(stampingWith: &sequencer).first)
        #expect(resent.isProtected && resent.bytes == fakeProtect(original), "the cached bytes, for the caller to unprotect")

        let rtxNumber = stream.retransmissionCache.nextRTXSequenceNumber
        let wrapped = stream.nextRTXPacket(wrapping: original.bytes)
        let rtx = try RTPPacket(parsing: try #require(wrapped))
        #expect(rtx.header.ssrc == SendFixture.rtxSSRC && rtx.header.payloadType == 97)
        #expect(rtx.header.sequenceNumber == rtxNumber)
        #expect(Array(rtx.payload.readableBytesView) == [0, 40, 9, 8, 7], "OSN, then the original payload")
        #expect(stream.retransmissionCache.nextRTXSequenceNumber == rtxNumber &+ 1)
        // A malformed original uses no RTX number.
        #expect(stream.nextRTXPacket(wrapping: ByteBuffer(bytes: [0x80, 96])) == nil)
        #expect(stream.retransmissionCache.nextRTXSequenceNumber == rtxNumber &+ 1)
    }

    @Test func headersAreWrittenAsThePacketModelSerializesThem() throws {
        // The stream writes headers from its template; RTPPacket must read back what it meant.
        let ext = RTPSendStreamConfiguration.HeaderExtensions(midID: 1, mid: "video0", transportWideSequenceNumberID: 4,
                                                              absoluteSendTimeID: 3, audioLevelID: 2)
        var stream = SendFixture.stream(SendFixture.config(extensions: ext) {
            $0.initialSequenceNumber = 0xFFFF
            $0.initialTimestamp = 0xFEDC_BA98
        })
        stream.sendPayload(SendFixture.payload([1, 2, 3, 4, 5]), sequenceNumber: 0xFFFF, timestamp: 0xFEDC_BA98, marker: true,
                           audioLevel: RTPAudioLevel(level: 33, voiceActivity: true), now: t0)
        let sent = try #require(stream.drain().first)
        let packet = try sent.rtp()
        #expect(packet.header.marker && packet.header.payloadType == 96)
        #expect(packet.header.sequenceNumber == 0xFFFF && packet.header.timestamp == 0xFEDC_BA98)
        #expect(packet.header.ssrc == SendFixture.mediaSSRC && packet.header.csrcs.isEmpty)
        #expect(Array(packet.payload.readableBytesView) == [1, 2, 3, 4, 5])
        let elements = try #require(packet.header.headerExtension?.elements)
        #expect(elements.map(\.id) == [1, 4, 3, 2])
        #expect(String(buffer: elements[0].value) == "video0")
        #expect(elements[3].value.getInteger(at: elements[3].value.readerIndex, as: UInt8.self) == UInt8(0x80 | 33))
        #expect(sent.bytes.writableBytes >= 16, "room for the SRTP tag without new storage")
    }
}
