import CRTCCrypto
import Crypto
import CryptoExtras
import Foundation
import NIOCore
import RTCCore
import Testing
@testable import RTCSRTP

/// Seeded differential tests: CRTCCrypto against swift-crypto over random lengths 0…1500, for
/// the primitives and for whole SRTP/SRTCP packets of every profile.
@Suite(.enabled(if: nativeCryptoAvailable))
struct SRTPDifferentialTests {
    /// Random lengths 0…1500, with the block edges always included.
    static func lengths(_ rng: inout SeededRandom, count: Int) -> [Int] {
        [0, 1, 15, 16, 17, 127, 128, 129, 1500] + (0..<count).map { _ in Int.random(in: 0...1500, using: &rng) }
    }

    @Test func counterModeMatchesSwiftCrypto() throws {
        var rng = SeededRandom(seed: 0xC7E)
        for length in Self.lengths(&rng, count: 150) {
            let keyBytes = rng.bytes(Bool.random(using: &rng) ? 16 : 32)
            var counter = rng.bytes(16)
            // Sometimes make the low bytes carry mid-packet.
            if Bool.random(using: &rng) { for i in 12..<16 { counter[i] = 0xFF } }
            let plain = rng.bytes(length)
            let expected = Array(try AES._CTR.encrypt(plain, using: SymmetricKey(data: keyBytes), nonce: AES._CTR.Nonce(nonceBytes: counter)))
            var key = crtc_aes_key()
            #expect(crtc_aes_init(&key, keyBytes, keyBytes.count) == 0)
            var data = plain
            data.withUnsafeMutableBufferPointer { crtc_aes_ctr_xor(&key, counter, $0.baseAddress, length) }
            #expect(data == expected, "length \(length)")
        }
    }

    @Test func gcmMatchesSwiftCrypto() throws {
        var rng = SeededRandom(seed: 0x6C3)
        for length in Self.lengths(&rng, count: 150) {
            let keyBytes = rng.bytes(Bool.random(using: &rng) ? 16 : 32)
            let iv = rng.bytes(12)
            let aad = rng.bytes(Int.random(in: 0...80, using: &rng))
            let split = Int.random(in: 0...aad.count, using: &rng)
            let plain = rng.bytes(length)
            let box = try AES.GCM.seal(plain, using: SymmetricKey(data: keyBytes), nonce: AES.GCM.Nonce(data: iv), authenticating: aad)
            var key = crtc_gcm_key()
            #expect(crtc_gcm_init(&key, keyBytes, keyBytes.count) == 0)
            var data = plain
            var tag = [UInt8](repeating: 0, count: 16)
            crtc_gcm_seal(&key, iv, Array(aad[0..<split]), split, Array(aad[split...]), aad.count - split, &data, length, &tag)
            #expect(data == Array(box.ciphertext), "length \(length)")
            #expect(tag == Array(box.tag), "length \(length)")
            #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, length, tag) == 0)
            #expect(data == plain)
        }
    }

    @Test func hmacSHA1MatchesSwiftCrypto() {
        var rng = SeededRandom(seed: 0x4AC)
        let modes = crtc_cpu_has_sha() == 1 ? [Int32(0), 1] : [0]
        for length in Self.lengths(&rng, count: 150) {
            let keyBytes = rng.bytes(Int.random(in: 0...100, using: &rng))
            let data = rng.bytes(length)
            let trailer = rng.bytes(Int.random(in: 0...4, using: &rng))
            var reference = HMAC<Insecure.SHA1>(key: SymmetricKey(data: keyBytes))
            reference.update(data: data)
            reference.update(data: trailer)
            let expected = Array(reference.finalize())
            for accelerate in modes {
                var key = crtc_hmac_sha1_key()
                crtc_hmac_sha1_init(&key, keyBytes, keyBytes.count, accelerate)
                var mac = [UInt8](repeating: 0, count: 20)
                crtc_hmac_sha1(&key, data, data.count, trailer, trailer.count, &mac)
                #expect(mac == expected, "length \(length), SHA-NI \(accelerate)")
            }
        }
    }

    /// Whole packets: both implementations produce the same SRTP and SRTCP bytes and open
    /// each other's packets.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func packetsMatchBetweenImplementations(profile: SRTPProtectionProfile) throws {
        var rng = SeededRandom(seed: 0x5A7 &+ UInt64(profile.rawValue))
        let master = testMaster(profile, seed: 0xD1FF)
        var nativeOut = try using(.automatic) { try SRTPContext(profile: profile, master: master) }
        var portableOut = try using(.swiftCrypto) { try SRTPContext(profile: profile, master: master) }
        var nativeIn = try using(.automatic) { try SRTPContext(profile: profile, master: master) }
        var portableIn = try using(.swiftCrypto) { try SRTPContext(profile: profile, master: master) }
        #expect(nativeOut.usesNativeCrypto && !portableOut.usesNativeCrypto)
        var seq = UInt16.random(in: 0...UInt16.max, using: &rng)
        for (i, length) in Self.lengths(&rng, count: 120).enumerated() {
            let plain = rtpPacket(seq: seq, ssrc: 0x5151_0000 | UInt32(i % 3), csrcs: i % 4 == 0 ? [1, 2] : [],
                                  extensionWords: i % 3, payload: rng.bytes(length))
            seq &+= UInt16.random(in: 1...3, using: &rng)
            var a = ByteBuffer(bytes: plain), b = ByteBuffer(bytes: plain)
            try nativeOut.protect(&a)
            try portableOut.protect(&b)
            #expect(bytes(a) == bytes(b), "packet \(i), payload \(length)")
            // Cross over: each side opens the other's packet.
            try portableIn.unprotect(&a)
            try nativeIn.unprotect(&b)
            #expect(bytes(a) == plain && bytes(b) == plain)
        }

        var rtcpNative = try using(.automatic) { try SRTCPContext(profile: profile, master: master) }
        var rtcpPortable = try using(.swiftCrypto) { try SRTCPContext(profile: profile, master: master) }
        var rtcpIn = try using(.swiftCrypto) { try SRTCPContext(profile: profile, master: master) }
        var rtcpNativeIn = try using(.automatic) { try SRTCPContext(profile: profile, master: master) }
        for (i, length) in Self.lengths(&rng, count: 60).enumerated() {
            let encrypts = i % 5 != 0
            rtcpNative.encrypts = encrypts
            rtcpPortable.encrypts = encrypts
            let plain: [UInt8] = [0x80, 200, 0, 0, 0x0B, 0xAD, 0xF0, 0x0D] + rng.bytes(length)
            var a = ByteBuffer(bytes: plain), b = ByteBuffer(bytes: plain)
            try rtcpNative.protect(&a)
            try rtcpPortable.protect(&b)
            #expect(bytes(a) == bytes(b), "RTCP \(i), length \(length)")
            try rtcpIn.unprotect(&a)
            try rtcpNativeIn.unprotect(&b)
            #expect(bytes(a) == plain && bytes(b) == plain)
        }
    }

    /// A packet whose tag fails leaves the buffer's bytes as they were on both paths.
    @Test(arguments: SRTPProtectionProfile.allCases, implementations)
    func forgedPacketsAreLeftUntouched(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            let master = testMaster(profile, seed: 0xF0)
            var sender = try SRTPContext(profile: profile, master: master)
            var receiver = try SRTPContext(profile: profile, master: master)
            var packet = ByteBuffer(bytes: rtpPacket(seq: 9, ssrc: 1, payload: [UInt8](repeating: 0x42, count: 300)))
            try sender.protect(&packet)
            packet.setInteger(packet.getInteger(at: 40, as: UInt8.self)! ^ 0x10, at: 40)
            let forged = bytes(packet)
            #expect(srtpError { try receiver.unprotect(&packet) } == .authenticationFailed)
            #expect(bytes(packet) == forged)
        }
    }
}
