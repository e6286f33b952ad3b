import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCRTP

/// The FuzzRTP and FuzzRTCP invariants without the fuzz build: random valid RTCP compounds
/// (every packet type this module decodes, plus raw ones) serialize to their declared size and
/// parse back equal with stable bytes (random valid RTP packets: RTPPacketRoundTripTests), and
/// random or mutated bytes either fail with a typed error or parse to a value that
/// re-serializes to bytes parsing equal.
@Suite struct RTPAndRTCPParserRoundTripPropertyTests {
    static func u32(_ rng: inout SeededRandom) -> UInt32 { UInt32(truncatingIfNeeded: rng.next()) }

    static func receptionReport(_ rng: inout SeededRandom) -> RTCPReceptionReport {
        RTCPReceptionReport(ssrc: u32(&rng), fractionLost: UInt8(truncatingIfNeeded: rng.next()),
                            cumulativeLost: Int32(rng.next() % 0x100_0000) - 0x80_0000,
                            extendedHighestSequenceNumber: u32(&rng), jitter: u32(&rng),
                            lastSenderReport: u32(&rng), delaySinceLastSenderReport: u32(&rng))
    }

    /// `count` random bytes, a multiple of 4 unless `aligned` is false.
    static func bytes(_ rng: inout SeededRandom, upTo max: Int, aligned: Bool = true) -> [UInt8] {
        let n = Int(rng.next() % UInt64(max + 1))
        return rng.bytes(aligned ? n & ~3 : n)
    }

    static func packet(_ rng: inout SeededRandom) -> RTCPPacket {
        switch rng.next() % 14 {
        case 0:
            return .senderReport(RTCPSenderReport(ssrc: u32(&rng), ntpTimestamp: rng.next(), rtpTimestamp: u32(&rng),
                                                  packetCount: u32(&rng), octetCount: u32(&rng),
                                                  reports: (0..<Int(rng.next() % 4)).map { _ in receptionReport(&rng) },
                                                  profileExtension: bytes(&rng, upTo: 12)))
        case 1:
            return .receiverReport(RTCPReceiverReport(ssrc: u32(&rng), reports: (0..<Int(rng.next() % 32)).map { _ in receptionReport(&rng) },
                                                      profileExtension: bytes(&rng, upTo: 12)))
        case 2:
            let chunks = (0..<Int(rng.next() % 4)).map { _ in
                RTCPSDESChunk(source: u32(&rng), items: (0..<Int(rng.next() % 4)).map { _ in
                    RTCPSDESItem(type: UInt8(1 + rng.next() % 8), value: Array(rng.bytes(Int(rng.next() % 40)).map { 0x20 | ($0 & 0x3F) }))
                })
            }
            return .sourceDescription(RTCPSourceDescription(chunks: chunks))
        case 3:
            return .goodbye(RTCPGoodbye(sources: (0..<Int(rng.next() % 32)).map { _ in u32(&rng) },
                                        reason: rng.next() % 2 == 0 ? nil : String(repeating: "bye ", count: Int(rng.next() % 20))))
        case 4:
            return .applicationDefined(RTCPApplicationDefined(subtype: UInt8(rng.next() % 32), source: u32(&rng), name: u32(&rng),
                                                              data: bytes(&rng, upTo: 40)))
        case 5:
            let lost = (0..<Int(1 + rng.next() % 40)).map { _ in UInt16(truncatingIfNeeded: rng.next() % 300) &+ 65400 }
            return .transportFeedback(.genericNACK(RTCPGenericNACK(senderSSRC: u32(&rng), mediaSSRC: u32(&rng), lost: lost)))
        case 6:
            let arrivals: [RTCPTransportWideCC.Arrival] = (0..<Int(1 + rng.next() % 60)).map { _ in
                switch rng.next() % 4 {
                case 0: .notReceived
                case 1: .received(deltaTicks: Int16(truncatingIfNeeded: rng.next()))
                default: .received(deltaTicks: Int16(rng.next() % 256))
                }
            }
            return .transportFeedback(.transportWideCC(RTCPTransportWideCC(
                senderSSRC: u32(&rng), mediaSSRC: u32(&rng), baseSequenceNumber: UInt16(truncatingIfNeeded: rng.next()),
                referenceTime: Int32(rng.next() % 0x100_0000) - 0x80_0000, feedbackPacketCount: UInt8(truncatingIfNeeded: rng.next()),
                packets: arrivals)))
        case 7:
            return .transportFeedback(.other(RTCPFeedbackMessage(format: UInt8(2 + rng.next() % 13), senderSSRC: u32(&rng),
                                                                 mediaSSRC: u32(&rng), fci: bytes(&rng, upTo: 24))))
        case 8:
            return .payloadSpecificFeedback(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: u32(&rng), mediaSSRC: u32(&rng))))
        case 9:
            return .payloadSpecificFeedback(.fullIntraRequest(RTCPFullIntraRequest(
                senderSSRC: u32(&rng), entries: (0..<Int(1 + rng.next() % 4)).map { _ in
                    RTCPFIREntry(ssrc: u32(&rng), sequenceNumber: UInt8(truncatingIfNeeded: rng.next()))
                })))
        case 10:
            return .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(
                senderSSRC: u32(&rng), exponent: UInt8(rng.next() % 64), mantissa: UInt32(rng.next() % (1 << 18)),
                ssrcs: (0..<Int(rng.next() % 4)).map { _ in u32(&rng) })))
        case 11:
            return .payloadSpecificFeedback(.other(RTCPFeedbackMessage(format: UInt8(5 + rng.next() % 10), senderSSRC: u32(&rng),
                                                                       mediaSSRC: u32(&rng), fci: bytes(&rng, upTo: 24))))
        case 12:
            let blocks: [RTCPExtendedReportBlock] = (0..<Int(rng.next() % 4)).map { _ in
                switch rng.next() % 3 {
                case 0: .receiverReferenceTime(ntpTimestamp: rng.next())
                case 1: .dlrr((0..<Int(1 + rng.next() % 3)).map { _ in
                    RTCPDLRRSubBlock(ssrc: u32(&rng), lastReceiverReport: u32(&rng), delaySinceLastReceiverReport: u32(&rng))
                })
                default: .other(blockType: UInt8(6 + rng.next() % 200), typeSpecific: UInt8(truncatingIfNeeded: rng.next()),
                                contents: bytes(&rng, upTo: 16))
                }
            }
            return .extendedReport(RTCPExtendedReport(ssrc: u32(&rng), blocks: blocks))
        default:
            // A packet type this module keeps raw (RFC 3550 leaves 192–199 and 208–223 to others).
            let type = rng.next() % 2 == 0 ? UInt8(192 + rng.next() % 8) : UInt8(208 + rng.next() % 16)
            return .unknown(RTCPUnknownPacket(count: UInt8(rng.next() % 32), packetType: type, body: bytes(&rng, upTo: 20)))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomValidRTCPCompoundsRoundTrip(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<1000 {
            let compound = RTCPCompoundPacket(packets: (0..<Int(1 + rng.next() % 4)).map { _ in Self.packet(&rng) })
            let bytes = compound.serialized()
            #expect(bytes.readableBytes == compound.serializedSize)
            #expect(bytes.readableBytes % 4 == 0)
            let parsed = try RTCPCompoundPacket(parsing: bytes)
            #expect(parsed == compound, "\(compound)")
            #expect(parsed.serialized() == bytes)
        }
    }

    /// Feeds `inputs` to `parse`: a failure is a typed error (fine); whatever parses must
    /// serialize to its declared `size` and to bytes that parse to an equal value, stably.
    /// Returns how many inputs parsed.
    static func expectWhateverParsesRoundTrips<P: Equatable>(
        _ inputs: [[UInt8]], parse: ([UInt8]) throws -> P, serialized: (P) -> ByteBuffer, size: (P) -> Int
    ) throws -> Int {
        var parsedCount = 0
        for bytes in inputs {
            guard let value = try? parse(bytes) else { continue }
            parsedCount += 1
            let out = serialized(value)
            #expect(out.readableBytes == size(value))
            let again = try parse(Array(out.readableBytesView))
            #expect(again == value, "bytes: \(bytes)")
            #expect(serialized(again) == out)
        }
        return parsedCount
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func randomAndMutatedRTCPFailsTypedOrRoundTrips(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inputs = rng.parserInputs(count: 5000, noiseEvery: 4, whenEmpty: 0x80) { rng in
            [0x80 | UInt8(rng.next() % 64), UInt8(192 + rng.next() % 32)] + rng.bytes(Int(rng.next() % 40))
        } valid: { rng in
            Array(RTCPCompoundPacket(packets: (0..<Int(1 + rng.next() % 3)).map { _ in Self.packet(&rng) }).serialized().readableBytesView)
        }
        let parsedCount = try Self.expectWhateverParsesRoundTrips(inputs, parse: { try RTCPCompoundPacket(parsing: $0) },
                                                                  serialized: { $0.serialized() }, size: \.serializedSize)
        #expect(parsedCount > 250)
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func randomAndMutatedRTPFailsTypedOrRoundTrips(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inputs = try rng.parserInputs(count: 5000, noiseEvery: 4, whenEmpty: 0x80) { rng in
            [0x80 | UInt8(rng.next() % 64)] + rng.bytes(Int(rng.next() % 80))
        } valid: { rng in
            let elements = (0..<Int(rng.next() % 4)).map { _ in
                RTPHeaderExtensionElement(id: UInt8(1 + rng.next() % 14), bytes: rng.bytes(Int(1 + rng.next() % 16)))
            }
            let packet = RTPPacket(
                header: RTPHeader(marker: rng.next() % 2 == 0, payloadType: UInt8(rng.next() % 128),
                                  sequenceNumber: UInt16(truncatingIfNeeded: rng.next()), timestamp: Self.u32(&rng), ssrc: Self.u32(&rng),
                                  csrcs: (0..<Int(rng.next() % 4)).map { _ in Self.u32(&rng) },
                                  headerExtension: elements.isEmpty ? nil : try RTPHeaderExtension(elements: elements)),
                payload: ByteBuffer(bytes: rng.bytes(Int(rng.next() % 64))),
                paddingLength: rng.next() % 3 == 0 ? UInt8(1 + rng.next() % 20) : 0)
            return Array(packet.serialized().readableBytesView)
        }
        let parsedCount = try Self.expectWhateverParsesRoundTrips(inputs, parse: { try RTPPacket(parsing: $0) },
                                                                  serialized: { $0.serialized() }, size: \.serializedSize)
        #expect(parsedCount > 500)
    }
}
