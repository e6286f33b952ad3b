import CRTCCrypto
import RTCCore
import Testing

/// CRTCCrypto's primitives against published vectors: FIPS-197 Appendix C (AES), SP 800-38A
/// F.5.1 (CTR), the GCM specification's test cases (McGrew & Viega; SP 800-38D), FIPS 180
/// examples (SHA-1) and RFC 2202 (HMAC-SHA1); and the 256-bit (VAES) paths against the 128-bit ones.
@Suite struct CRTCCryptoVectorTests {
    /// The AES and GCM code needs AES-NI and PCLMULQDQ; SHA-1 runs everywhere.
    static let aes = nativeCryptoAvailable

    #if arch(x86_64)
    /// Every x86-64 machine we run on has AES-NI: a detection bug must not silently leave
    /// only the fallback tested.
    @Test func acceleratedPathIsDetectedOnX86() {
        #expect(crtc_cpu_has_aes_gcm() == 1)
    }
    #endif

    static func aesKey(_ bytes: [UInt8]) -> crtc_aes_key {
        var key = crtc_aes_key()
        #expect(crtc_aes_init(&key, bytes, bytes.count) == 0)
        return key
    }

    static func gcmKey(_ bytes: [UInt8]) -> crtc_gcm_key {
        var key = crtc_gcm_key()
        #expect(crtc_gcm_init(&key, bytes, bytes.count) == 0)
        return key
    }

    @Test(.enabled(if: aes)) func aesMatchesFIPS197AppendixC() {
        let plain = hex("00112233445566778899aabbccddeeff")
        var out = [UInt8](repeating: 0, count: 16)
        var k128 = Self.aesKey(hex("000102030405060708090a0b0c0d0e0f"))
        crtc_aes_encrypt_block(&k128, plain, &out)
        #expect(out == hex("69c4e0d86a7b0430d8cdb78070b4c55a"))
        var k256 = Self.aesKey(hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"))
        crtc_aes_encrypt_block(&k256, plain, &out)
        #expect(out == hex("8ea2b7ca516745bfeafc49904b496089"))
        var bad = crtc_aes_key()
        #expect(crtc_aes_init(&bad, plain, 24) == -1)
    }

    @Test(.enabled(if: aes)) func counterModeMatchesSP800_38A_F_5_1() {
        var key = Self.aesKey(hex("2b7e151628aed2a6abf7158809cf4f3c"))
        let counter = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")  // the low bytes carry after the first block
        let plain = hex("""
            6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
            30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710
            """)
        let cipher = hex("""
            874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff
            5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee
            """)
        // Every length up to 64: partial last blocks are the keystream's prefix.
        for length in 0...64 {
            var data = Array(plain[0..<length])
            data.withUnsafeMutableBufferPointer { crtc_aes_ctr_xor(&key, counter, $0.baseAddress, length) }
            #expect(data == Array(cipher[0..<length]), "length \(length)")
        }
    }

    struct GCMCase: Sendable, CustomTestStringConvertible {
        var name: String, key: String, iv: String, plain: String, aad: String, cipher: String, tag: String
        var testDescription: String { name }
    }

    static let k4 = "feffe9928665731c6d6a8f9467308308"
    static let p4 = """
        d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
        """
    static let gcmCases: [GCMCase] = [
        GCMCase(name: "test case 1", key: String(repeating: "00", count: 16), iv: String(repeating: "00", count: 12),
                plain: "", aad: "", cipher: "", tag: "58e2fccefa7e3061367f1d57a4e7455a"),
        GCMCase(name: "test case 2", key: String(repeating: "00", count: 16), iv: String(repeating: "00", count: 12),
                plain: String(repeating: "00", count: 16), aad: "", cipher: "0388dace60b6a392f328c2b971b2fe78",
                tag: "ab6e47d42cec13bdf53a67b21257bddf"),
        GCMCase(name: "test case 3", key: k4, iv: "cafebabefacedbaddecaf888", plain: p4 + "1aafd255", aad: "",
                cipher: """
                    42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                    21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985
                    """, tag: "4d5c2af327cd64a62cf35abd2ba6fab4"),
        GCMCase(name: "test case 4", key: k4, iv: "cafebabefacedbaddecaf888", plain: p4,
                aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                cipher: """
                    42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                    21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091
                    """, tag: "5bc94fbc3221a5db94fae95ae7121a47"),
        GCMCase(name: "test case 13", key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
                plain: "", aad: "", cipher: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        GCMCase(name: "test case 14", key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
                plain: String(repeating: "00", count: 16), aad: "", cipher: "cea7403d4d606b6e074ec5d3baf39d18",
                tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        GCMCase(name: "test case 16", key: k4 + k4, iv: "cafebabefacedbaddecaf888", plain: p4,
                aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                cipher: """
                    522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                    8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
                    """, tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test(.enabled(if: aes), arguments: gcmCases)
    func gcmMatchesTheSpecificationsTestCases(_ c: GCMCase) {
        var key = Self.gcmKey(hex(c.key))
        let iv = hex(c.iv), aad = hex(c.aad)
        // The AAD split at every point gives the same tag (SRTCP passes it in two pieces).
        for split in 0...aad.count {
            var data = hex(c.plain)
            let n = data.count
            var tag = [UInt8](repeating: 0, count: 16)
            crtc_gcm_seal(&key, iv, Array(aad[0..<split]), split, Array(aad[split...]), aad.count - split, &data, n, &tag)
            #expect(data == hex(c.cipher), "split \(split)")
            #expect(tag == hex(c.tag), "split \(split)")
        }
        var data = hex(c.cipher)
        let n = data.count
        #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, n, hex(c.tag)) == 0)
        #expect(data == hex(c.plain))
        // A wrong tag, AAD or ciphertext bit is refused and leaves the bytes as they were.
        var forged = hex(c.tag)
        forged[15] ^= 0x80
        data = hex(c.cipher)
        #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, n, forged) == -1)
        #expect(data == hex(c.cipher))
        if !data.isEmpty {
            data[0] ^= 1
            #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, n, hex(c.tag)) == -1)
            data[0] ^= 1
        }
        let extra: [UInt8] = [0]
        #expect(crtc_gcm_open(&key, iv, aad, aad.count, extra, 1, &data, n, hex(c.tag)) == -1)
    }

    /// The 256-bit VAES path against the 128-bit one, the same key prepared both ways: equal
    /// ciphertexts and tags over random lengths (every one to 300, chunk edges, some long), AADs
    /// and splits; each key opens the other's output; a wrong tag is refused by both and leaves
    /// the ciphertext. On a CPU without VAES both keys take the 128-bit path (the wide flag is
    /// then 0), so this passes there too, comparing that path with itself.
    @Test(.enabled(if: aes)) func wideGCMMatchesNarrow() {
        var rng = SeededRandom(seed: 0x7A35)
        for keyLength in [16, 32] {
            let keyBytes = rng.bytes(keyLength)
            var wide = crtc_gcm_key(), narrow = crtc_gcm_key(), automatic = crtc_gcm_key()
            #expect(crtc_gcm_init_with(&wide, keyBytes, keyLength, 1) == 0)
            #expect(crtc_gcm_init_with(&narrow, keyBytes, keyLength, 0) == 0)
            #expect(crtc_gcm_init(&automatic, keyBytes, keyLength) == 0)
            #expect(wide.aes.wide == crtc_cpu_has_vaes_gcm())
            #expect(automatic.aes.wide == crtc_cpu_has_vaes_gcm())
            #expect(narrow.aes.wide == 0)
            let lengths = Array(0...300) + [383, 384, 385, 511, 512, 513, 1200, 1300, 1500]
                + (0..<40).map { _ in Int.random(in: 0...20_000, using: &rng) }
            for length in lengths {
                let iv = rng.bytes(12)
                let aad = rng.bytes(Int.random(in: 0...64, using: &rng))
                let split = Int.random(in: 0...aad.count, using: &rng)
                let plain = rng.bytes(length)
                var sealed = plain, sealedNarrow = plain
                var tag = [UInt8](repeating: 0, count: 16), tagNarrow = tag
                crtc_gcm_seal(&wide, iv, Array(aad[0..<split]), split, Array(aad[split...]), aad.count - split, &sealed, length, &tag)
                crtc_gcm_seal(&narrow, iv, aad, aad.count, nil, 0, &sealedNarrow, length, &tagNarrow)
                #expect(sealed == sealedNarrow, "length \(length)")
                #expect(tag == tagNarrow, "length \(length)")
                var forged = tag
                forged[Int.random(in: 0..<16, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                for var key in [wide, narrow] {
                    var data = sealed
                    #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, length, tag) == 0, "length \(length)")
                    #expect(data == plain, "length \(length)")
                    data = sealed
                    #expect(crtc_gcm_open(&key, iv, aad, aad.count, nil, 0, &data, length, forged) == -1, "length \(length)")
                    #expect(data == sealed, "length \(length)")
                }
            }
        }
    }

    /// Counter mode on the 256-bit path against the 128-bit one, with the low 32 bits of the
    /// counter often about to wrap (the wide code steps 32-bit words and carries by hand). Both
    /// paths are the 128-bit one on a CPU without VAES.
    @Test(.enabled(if: aes)) func wideCounterModeMatchesNarrow() {
        var rng = SeededRandom(seed: 0xC7A5)
        for keyLength in [16, 32] {
            let keyBytes = rng.bytes(keyLength)
            var wide = crtc_aes_key(), narrow = crtc_aes_key()
            #expect(crtc_aes_init_with(&wide, keyBytes, keyLength, 1) == 0)
            #expect(crtc_aes_init_with(&narrow, keyBytes, keyLength, 0) == 0)
            #expect(wide.wide == crtc_cpu_has_vaes_gcm())
            #expect(narrow.wide == 0)
            for round in 0..<300 {
                var counter = rng.bytes(16)
                if round % 3 == 0 { for i in 12..<16 { counter[i] = 0xFF } }
                if round % 3 == 1 { for i in 4..<16 { counter[i] = 0xFF } }
                counter[15] = UInt8.random(in: 0xC0...0xFF, using: &rng)
                let length = round < 100 ? Int.random(in: 0...300, using: &rng) : Int.random(in: 0...5000, using: &rng)
                let plain = rng.bytes(length)
                var a = plain, b = plain
                a.withUnsafeMutableBufferPointer { crtc_aes_ctr_xor(&wide, counter, $0.baseAddress, length) }
                b.withUnsafeMutableBufferPointer { crtc_aes_ctr_xor(&narrow, counter, $0.baseAddress, length) }
                #expect(a == b, "length \(length), counter \(counter)")
            }
        }
    }

    static func sha1(_ data: [UInt8], accelerate: Bool) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        crtc_sha1(data, data.count, &digest, accelerate ? 1 : 0)
        return digest
    }

    /// The portable code, and SHA-NI when the CPU has it.
    static let shaModes: [Bool] = crtc_cpu_has_sha() == 1 ? [false, true] : [false]

    @Test(arguments: shaModes)
    func sha1MatchesFIPS180Examples(accelerate: Bool) {
        #expect(Self.sha1(Array("abc".utf8), accelerate: accelerate) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        #expect(Self.sha1([], accelerate: accelerate) == hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
        #expect(Self.sha1(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), accelerate: accelerate)
                == hex("84983e441c3bd26ebaae4aa1f95129e5e54670f1"))
        #expect(Self.sha1([UInt8](repeating: 0x61, count: 1_000_000), accelerate: accelerate)
                == hex("34aa973cd4c4daa4f61eeb2bdbad27316534016f"))
    }

    static func hmac(key: [UInt8], data: [UInt8], split: Int, accelerate: Bool) -> [UInt8] {
        var k = crtc_hmac_sha1_key()
        crtc_hmac_sha1_init(&k, key, key.count, accelerate ? 1 : 0)
        var mac = [UInt8](repeating: 0, count: 20)
        crtc_hmac_sha1(&k, Array(data[0..<split]), split, Array(data[split...]), data.count - split, &mac)
        return mac
    }

    @Test(arguments: shaModes)
    func hmacSHA1MatchesRFC2202(accelerate: Bool) {
        let cases: [([UInt8], [UInt8], String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            (hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
             "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
            ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
            ([UInt8](repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            ([UInt8](repeating: 0xaa, count: 80),
             Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
        ]
        for (key, data, expected) in cases {
            // The data split in two at any point (SRTP passes the ROC separately) gives the same MAC.
            for split in 0...data.count {
                #expect(Self.hmac(key: key, data: data, split: split, accelerate: accelerate) == hex(expected))
            }
            var k = crtc_hmac_sha1_key()
            crtc_hmac_sha1_init(&k, key, key.count, accelerate ? 1 : 0)
            let tag = Array(hex(expected)[0..<10])
            #expect(crtc_hmac_sha1_verify(&k, data, data.count, nil, 0, tag, 10) == 1)
            var wrong = tag
            wrong[9] ^= 1
            #expect(crtc_hmac_sha1_verify(&k, data, data.count, nil, 0, wrong, 10) == 0)
        }
    }
}
