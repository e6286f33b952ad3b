import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// AES-GCM record protection on CRTCCrypto (in place, no allocation per record) against
/// swift-crypto's: the same bytes out, each opens what the other sealed, and a forged record
/// is refused without touching its bytes (RFC 5288 §3, RFC 6347 §4.1.2.1).
@Suite struct DTLSRecordProtectionTests {
    static let suites: [DTLSCipherSuite] = [.ecdheECDSAWithAES128GCMSHA256, .ecdheECDSAWithAES256GCMSHA384]
    static let sizes = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1140, 4097, 16384]

    static func protections(_ suite: DTLSCipherSuite, seed: UInt64) -> (native: DTLSRecordProtection, portable: DTLSRecordProtection) {
        var rng = SeededRandom(seed: seed)
        let key = (0..<suite.keyLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let iv = (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return (DTLSRecordProtection(suite: suite, key: key, fixedIV: iv),
                DTLSRecordProtection(suite: suite, key: key, fixedIV: iv, native: false))
    }

    static func seal(_ p: DTLSRecordProtection, _ plaintext: [UInt8], sequence: UInt64) throws -> ByteBuffer {
        var out = ByteBuffer()
        try plaintext.withUnsafeBytes { try p.seal($0, epoch: 1, sequence: sequence, type: 23, version: DTLSRecord.version12, into: &out) }
        return out
    }

    @Test func nativeAndSwiftCryptoSealTheSameBytesAndOpenEachOther() throws {
        for suite in Self.suites {
            let (native, portable) = Self.protections(suite, seed: UInt64(suite.rawValue))
            try #require(native.native != nil, "this CPU runs CRTCCrypto's AES-GCM (AES-NI, PCLMULQDQ)")
            #expect(portable.native == nil)
            for (i, size) in Self.sizes.enumerated() {
                var rng = SeededRandom(seed: UInt64(size))
                let plaintext = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let sequence = UInt64(0xA0_0000_0000) + UInt64(i)
                let a = try Self.seal(native, plaintext, sequence: sequence)
                let b = try Self.seal(portable, plaintext, sequence: sequence)
                #expect(a == b, "\(suite) \(size) bytes")
                #expect(a.readableBytes == size + 24)
                // swift-crypto opens the native record …
                let opened = portable.open(Array(a.readableBytesView)[...], epoch: 1, sequence: sequence, type: 23, version: DTLSRecord.version12)
                #expect(opened == plaintext)
                // … and the native code opens swift-crypto's, in place, after a prefix.
                var buffer = ByteBuffer(bytes: [9, 9, 9])
                buffer.writeImmutableBuffer(b)
                buffer.moveReaderIndex(forwardBy: 1)
                let range = native.openInPlace(&buffer, offset: 2, length: b.readableBytes, epoch: 1, sequence: sequence,
                                               type: 23, version: DTLSRecord.version12)
                let r = try #require(range)
                #expect(r.offset == 10 && r.length == size)
                #expect(buffer.getBytes(at: buffer.readerIndex + r.offset, length: r.length) == plaintext)
            }
        }
    }

    @Test func aForgedRecordIsRefusedAndLeftAsItWas() throws {
        let (native, _) = Self.protections(.ecdheECDSAWithAES128GCMSHA256, seed: 7)
        let record = try Self.seal(native, Array(repeating: 0x55, count: 100), sequence: 3)
        for flip in [0, 8, 50, record.readableBytes - 1] {  // explicit nonce, ciphertext, tag
            var forged = record
            forged.setInteger(forged.getInteger(at: flip, as: UInt8.self)! ^ 1, at: flip)
            let before = forged
            #expect(native.openInPlace(&forged, offset: 0, length: forged.readableBytes, epoch: 1, sequence: 3,
                                       type: 23, version: DTLSRecord.version12) == nil)
            #expect(forged == before)
        }
        var good = record
        // The additional data binds sequence, type and length.
        #expect(native.openInPlace(&good, offset: 0, length: good.readableBytes, epoch: 1, sequence: 4, type: 23, version: DTLSRecord.version12) == nil)
        #expect(native.openInPlace(&good, offset: 0, length: good.readableBytes, epoch: 1, sequence: 3, type: 22, version: DTLSRecord.version12) == nil)
        #expect(native.openInPlace(&good, offset: 0, length: 23, epoch: 1, sequence: 3, type: 23, version: DTLSRecord.version12) == nil)
        #expect(native.openInPlace(&good, offset: 0, length: good.readableBytes, epoch: 1, sequence: 3, type: 23, version: DTLSRecord.version12) != nil)
    }

    @Test func aDatagramOfApplicationRecordsThenOtherRecordsIsReadWhole() throws {
        var pair = try DTLSRecordLayerTests.connected()
        let a = try DTLSRecordLayerTests.appData(&pair.client, "one")
        let b = try DTLSRecordLayerTests.appData(&pair.client, "two")
        // Two application records in one datagram, then a truncated record the general path
        // counts as malformed.
        var datagram = a
        datagram.writeImmutableBuffer(b)
        datagram.writeBytes([23, 0xFE, 0xFD, 0, 1])
        pair.server.handle(datagram, now: pair.now)
        #expect(DTLSRecordLayerTests.received(&pair.server) == ["one", "two"])
        #expect(pair.server.statistics.applicationRecordsReceived == 2)
        #expect(pair.server.statistics.recordsDroppedMalformed == 1)
        // The caller's buffer is not changed by opening in place.
        #expect(datagram.readableBytes == a.readableBytes + b.readableBytes + 5)
        #expect(datagram.getSlice(at: datagram.readerIndex, length: a.readableBytes) == a)
    }
}
