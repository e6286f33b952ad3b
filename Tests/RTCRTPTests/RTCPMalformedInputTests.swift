import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

@Suite struct RTCPMalformedInputTests {
    private func parse(_ hex: String) throws(RTCPParseError) -> RTCPCompoundPacket {
        try RTCPCompoundPacket(parsing: Hex.decode(hex)!)
    }

    @Test func headerProblemsAreTypedWithTheirOffset() {
        #expect(throws: RTCPParseError.empty) { try parse("") }
        #expect(throws: RTCPParseError.truncatedHeader(offset: 0, available: 3)) { try parse("80c900") }
        #expect(throws: RTCPParseError.unsupportedVersion(1, offset: 0)) { try parse("40c9000100000001") }
        // Second packet claims 3 words but only 1 follows.
        #expect(throws: RTCPParseError.lengthBeyondDatagram(offset: 8, declared: 16, available: 8)) {
            try parse("80c9000100000001" + "80c9000300000002")
        }
        #expect(throws: RTCPParseError.invalidPadding(offset: 0, declared: 0, packetLength: 8)) { try parse("a0c9000100000000") }
        #expect(throws: RTCPParseError.invalidPadding(offset: 0, declared: 9, packetLength: 8)) { try parse("a0c9000100000009") }
        #expect(throws: RTCPParseError.truncatedHeader(offset: 8, available: 2)) { try parse("80c9000100000001" + "80c9") }
    }

    @Test func bodyProblemsNameThePacketType() {
        // RR announcing one report block with only the SSRC present.
        #expect(throws: RTCPParseError.malformedBody(packetType: 201, offset: 8, reason: "1 report blocks need 24 bytes, have 0")) {
            try parse("81c9000100000001")
        }
        // NACK whose P-bit padding leaves 2 bytes after the last entry.
        #expect(throws: RTCPParseError.malformedBody(packetType: 205, offset: 16, reason: "trailing 2 bytes after NACK entries")) {
            try parse("a1cd0004000000010000000200640000" + "00000002")
        }
        // PLI carrying FCI.
        #expect(throws: RTCPParseError.malformedBody(packetType: 206, offset: 12, reason: "PLI carries 4 FCI bytes, expected none")) {
            try parse("81ce00030000000100000002deadbeef")
        }
        // SDES item running past the packet.
        #expect(throws: RTCPParseError.self) { try parse("81ca00020000000101090000") }
        // XR block longer than the packet.
        #expect(throws: RTCPParseError.self) { try parse("80cf00020000000104000005") }
        // REMB whose SSRC count exceeds what follows.
        #expect(throws: RTCPParseError.self) { try parse("8fce0004000000010000000052454d4203000001") }
    }

    @Test func oddLengthRawDataIsCompletedWithPaddingBit() throws {
        let app = RTCPApplicationDefined(subtype: 1, source: 9, name: 0x4142_4344, data: [1, 2, 3])
        let compound = RTCPCompoundPacket(packets: [.applicationDefined(app), .receiverReport(RTCPReceiverReport(ssrc: 9))])
        let bytes = compound.serialized()
        #expect(Array(bytes.readableBytesView)[0..<4] == [0xA1, 204, 0, 3])
        #expect(Array(bytes.readableBytesView)[12..<16] == [1, 2, 3, 1])
        #expect(try RTCPCompoundPacket(parsing: bytes) == compound)
    }

    @Test func mutatedFixturesNeverCrashAndRoundTripWhenTheyParse() throws {
        var rng = SeededRandom(seed: 2024)
        let seeds = try RTPCapturedFixtureTests.fixtures()
        var parsedRTCP = 0
        var parsedRTP = 0
        for _ in 0..<20_000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)].bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0...3, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1 where !bytes.isEmpty: bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &rng))
                case 2: bytes.append(UInt8.random(in: 0...255, using: &rng))
                default: if bytes.count > 4 { bytes[Int.random(in: 0..<4, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                }
            }
            if let compound = try? RTCPCompoundPacket(parsing: bytes) {
                parsedRTCP += 1
                let out = compound.serialized()
                #expect(try RTCPCompoundPacket(parsing: out) == compound)
            }
            if let packet = try? RTPPacket(parsing: bytes) {
                parsedRTP += 1
                #expect(Array(packet.serialized().readableBytesView).count == bytes.count)
                #expect(try RTPPacket(parsing: packet.serialized()) == packet)
            }
        }
        // Both parsers accepted some mutants, so the round-trip checks above actually ran.
        #expect(parsedRTCP > 100)
        #expect(parsedRTP > 100)
    }
}
