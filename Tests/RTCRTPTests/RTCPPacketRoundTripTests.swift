import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

@Suite struct RTCPPacketRoundTripTests {
    private func roundTrip(_ packets: [RTCPPacket], sourceLocation: SourceLocation = #_sourceLocation) throws -> ByteBuffer {
        let compound = RTCPCompoundPacket(packets: packets)
        let bytes = compound.serialized()
        #expect(bytes.readableBytes == compound.serializedSize, sourceLocation: sourceLocation)
        #expect(bytes.readableBytes % 4 == 0, sourceLocation: sourceLocation)
        let parsed = try RTCPCompoundPacket(parsing: bytes)
        #expect(parsed == compound, sourceLocation: sourceLocation)
        #expect(parsed.serialized() == bytes, sourceLocation: sourceLocation)
        return bytes
    }

    private let report = RTCPReceptionReport(ssrc: 0x1111_1111, fractionLost: 25, cumulativeLost: -3,
                                             extendedHighestSequenceNumber: 0x0001_0005, jitter: 77,
                                             lastSenderReport: 0xABCD_0000, delaySinceLastSenderReport: 65536)

    @Test func senderReportWithSDESMatchesRFC3550Layout() throws {
        let sr = RTCPSenderReport(ssrc: 0x0102_0304, ntpTimestamp: 0xE000_0000_8000_0000, rtpTimestamp: 90000,
                                  packetCount: 10, octetCount: 1000, reports: [report])
        let sdes = RTCPSourceDescription(chunks: [RTCPSDESChunk(source: 0x0102_0304, items: [RTCPSDESItem(type: RTCPSDESItem.cname, text: "abc")])])
        let bytes = try roundTrip([.senderReport(sr), .sourceDescription(sdes)])
        let b = Array(bytes.readableBytesView)
        #expect(Array(b[0..<4]) == [0x81, 200, 0x00, 0x0C])  // RC=1, 13 words
        // Cumulative lost -3 is 24-bit two's complement 0xFFFFFD after the fraction.
        #expect(Array(b[32..<36]) == [25, 0xFF, 0xFF, 0xFD])
        #expect(Array(b[52..<56]) == [0x81, 202, 0x00, 0x03])
        // SSRC, CNAME "abc" (5 bytes), END; padded to 12 bytes.
        #expect(Array(b[60..<68]) == [1, 3, 0x61, 0x62, 0x63, 0, 0, 0])
        #expect(sdes.cname(of: 0x0102_0304) == "abc")
    }

    @Test func receiverReportGoodbyeAndApplicationDefined() throws {
        let rr = RTCPReceiverReport(ssrc: 5, reports: [report, RTCPReceptionReport(ssrc: 6)], profileExtension: [1, 2, 3, 4])
        let bye = RTCPGoodbye(sources: [5, 6], reason: "done")
        let app = RTCPApplicationDefined(subtype: 3, source: 5, name: 0x5445_5354, data: [1, 2, 3, 4, 5, 6, 7, 8])
        let bytes = try roundTrip([.receiverReport(rr), .goodbye(bye), .applicationDefined(app)])
        let parsed = try RTCPCompoundPacket(parsing: bytes)
        guard case .goodbye(let g) = parsed.packets[1] else { Issue.record("expected BYE"); return }
        #expect(g.reasonText == "done")
        #expect(try roundTrip([.goodbye(RTCPGoodbye(sources: []))]).readableBytes == 4)
    }

    @Test func feedbackMessagesRoundTrip() throws {
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: [100, 101, 116, 117, 200])
        let pli = RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)
        let fir = RTCPFullIntraRequest(senderSSRC: 1, entries: [RTCPFIREntry(ssrc: 2, sequenceNumber: 9), RTCPFIREntry(ssrc: 3, sequenceNumber: 255)])
        let remb = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 2_500_000, ssrcs: [2, 3])
        let raw = RTCPFeedbackMessage(format: 5, senderSSRC: 1, mediaSSRC: 2, fci: [1, 2, 3, 4])
        let bytes = try roundTrip([
            .transportFeedback(.genericNACK(nack)), .payloadSpecificFeedback(.pictureLossIndication(pli)),
            .payloadSpecificFeedback(.fullIntraRequest(fir)), .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(remb)),
            .payloadSpecificFeedback(.other(raw)), .transportFeedback(.other(raw)),
        ])
        let b = Array(bytes.readableBytesView)
        // NACK: FMT 1, PT 205, 2 + 3 FCI words (100 with 101 and 116 in its bitmask, 117, 200).
        #expect(Array(b[0..<4]) == [0x81, 205, 0, 5])
        #expect(Array(b[12..<16]) == [0, 100, 0x80, 0x01])
        // PLI: FMT 1, PT 206, 2 words.
        #expect(Array(b[24..<28]) == [0x81, 206, 0, 2])
        #expect(remb.bitrate <= 2_500_000 && remb.bitrate > 2_499_000)
    }

    @Test func rembEncodesMantissaAndExponent() throws {
        // draft-alvestrand-rmcat-remb §2.2: exponent 6 bits, mantissa 18 bits.
        let remb = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0x10CC_7580, bitrate: 1_000_000_000, ssrcs: [0x1DC9_5583])
        #expect(remb.mantissa <= 0x3_FFFF)
        #expect(remb.bitrate == UInt64(remb.mantissa) << UInt64(remb.exponent))
        #expect(1_000_000_000 - remb.bitrate < 1 << UInt64(remb.exponent))
        let bytes = try roundTrip([.payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(remb))])
        #expect(Array(bytes.readableBytesView)[12..<16] == [0x52, 0x45, 0x4D, 0x42])
        let huge = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, exponent: 63, mantissa: 0x3_FFFF, ssrcs: [])
        #expect(huge.bitrate == UInt64.max)
    }

    @Test func extendedReportsReceiverReferenceTimeAndDLRR() throws {
        let xr = RTCPExtendedReport(ssrc: 7, blocks: [
            .receiverReferenceTime(ntpTimestamp: 0x0102_0304_0506_0708),
            .dlrr([RTCPDLRRSubBlock(ssrc: 8, lastReceiverReport: 0x0304_0506, delaySinceLastReceiverReport: 100),
                   RTCPDLRRSubBlock(ssrc: 9, lastReceiverReport: 1, delaySinceLastReceiverReport: 2)]),
            .other(blockType: 42, typeSpecific: 1, contents: [1, 2, 3, 4]),
        ])
        let bytes = try roundTrip([.extendedReport(xr)])
        let b = Array(bytes.readableBytesView)
        #expect(Array(b[0..<4]) == [0x80, 207, 0, 13])
        #expect(Array(b[8..<12]) == [4, 0, 0, 2])  // BT 4, 2 words
        #expect(Array(b[20..<24]) == [5, 0, 0, 6])  // BT 5, 6 words
    }

    @Test func unknownPacketTypesAreKeptRaw() throws {
        let unknown = RTCPUnknownPacket(count: 3, packetType: 195, body: [9, 9, 9, 9, 8, 8, 8, 8])
        let bytes = try roundTrip([.unknown(unknown), .receiverReport(RTCPReceiverReport(ssrc: 1))])
        #expect(Array(bytes.readableBytesView)[0..<4] == [0x83, 195, 0, 2])
    }

    @Test func stripsPaddingAnnouncedByThePBit() throws {
        // RR with no blocks, P=1 and 4 octets of padding (count 4).
        let parsed = try RTCPCompoundPacket(parsing: Hex.decode("a0c900020000000100000004")!)
        #expect(parsed.packets == [.receiverReport(RTCPReceiverReport(ssrc: 1))])
    }
}
