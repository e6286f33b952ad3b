import NIOCore
import Testing
@testable import RTCSCTP

@Suite struct SCTPChecksumTests {
    @Test func crc32cMatchesPublishedVectors() {
        // RFC 3720 §B.4 (iSCSI, same CRC32c) and the classic "123456789" check value.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array((0..<32).map { UInt8($0) })) == 0x46DD_794E)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func slicingMatchesBytewiseForAllLengthsAndAlignments() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in 0..<8 {
            for len in [0, 1, 7, 8, 9, 63, 64, 65, 200] where start + len <= data.count {
                let slice = Array(data[start..<(start + len)])
                var crc: UInt32 = 0xFFFF_FFFF
                for b in slice {
                    crc ^= UInt32(b)
                    for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
                }
                #expect(CRC32C.checksum(slice) == ~crc)
            }
        }
    }

    @Test func hardwareAndTablesAgreeForAllLengthsAndAlignments() {
        #expect(CRC32C.usesHardware, "this CPU has SSE4.2's CRC32 instruction")
        let data = (0..<1300).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        data.withUnsafeBytes { raw in
            for start in 0..<9 {
                for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1140, 1200, 1291] where start + len <= data.count {
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<(start + len)])
                    for initial: UInt32 in [0xFFFF_FFFF, 0, 0x1234_5678] {
                        #expect(CRC32C.update(initial, bytes) == CRC32C.updateWithTables(initial, bytes), "start \(start) length \(len)")
                    }
                }
            }
        }
    }

    @Test func packetChecksumIsStoredLittleEndianAndVerified() throws {
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: 0x1234_5678, chunks: [.cookieAck])
        var bytes = packet.serialized()
        // Checksum over the packet with a zero checksum field, stored least-significant byte first.
        var zeroed = Array(bytes.readableBytesView)
        let stored = UInt32(zeroed[8]) | UInt32(zeroed[9]) << 8 | UInt32(zeroed[10]) << 16 | UInt32(zeroed[11]) << 24
        zeroed.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        #expect(stored == CRC32C.checksum(zeroed))
        #expect(try SCTPPacket.parse(bytes) == packet)
        bytes.setInteger(UInt8(0x99), at: 14)
        #expect(throws: SCTPParseError.self) { try SCTPPacket.parse(bytes) }
    }
}
