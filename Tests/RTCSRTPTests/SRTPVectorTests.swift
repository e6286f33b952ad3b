import NIOCore
import RTCCore
import Testing
@testable import RTCSRTP

/// Published test vectors: RFC 3711 Appendix B.2 / B.3, RFC 6188 §7.2, RFC 7714 §16 / §17.
@Suite struct SRTPVectorTests {
    // MARK: RFC 3711 Appendix B.3 (and RFC 6188 §7.2 for AES-256)

    static let b3Key = hex("E1F97A0D3E018BE0D64FA32C06DE4139")
    static let b3Salt = hex("0EC675AD498AFEEBB6960B3AABE6")

    @Test func keyDerivationMatchesRFC3711AppendixB3() throws {
        let keys = try SRTPSessionKeys(profile: .aes128CmHmacSha1_80,
                                       master: SRTPMasterKey(key: Self.b3Key, salt: Self.b3Salt), rtcp: false)
        #expect(keys.encryptionKey == hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(keys.salt == hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(keys.authenticationKey == hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"))
    }

    @Test func keyDerivationRunsPastOneBlockAsInAppendixB3() throws {
        // B.3 lists 94 bytes of the label-1 keystream: the counter runs over six blocks.
        let long = try SRTPKeyDerivation.prf(masterKey: Self.b3Key, masterSalt: Self.b3Salt, label: .srtpAuthentication, length: 94)
        #expect(long == hex("""
            CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2
            """))
    }

    @Test func aes256KeyDerivationMatchesRFC6188() throws {
        let key = hex("F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6")
        let salt = hex("3B04803DE51EE7C96423AB5B78D2")
        #expect(try SRTPKeyDerivation.prf(masterKey: key, masterSalt: salt, label: .srtpEncryption, length: 32)
                == hex("5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4"))
        #expect(try SRTPKeyDerivation.prf(masterKey: key, masterSalt: salt, label: .srtpSalt, length: 14)
                == hex("FA31791685CA444A9E07C6C64E93"))
    }

    @Test func srtcpKeysUseTheirOwnLabels() throws {
        let master = SRTPMasterKey(key: Self.b3Key, salt: Self.b3Salt)
        let rtp = try SRTPSessionKeys(profile: .aes128CmHmacSha1_80, master: master, rtcp: false)
        let rtcp = try SRTPSessionKeys(profile: .aes128CmHmacSha1_80, master: master, rtcp: true)
        #expect(rtcp.encryptionKey == (try SRTPKeyDerivation.prf(masterKey: Self.b3Key, masterSalt: Self.b3Salt, label: .srtcpEncryption, length: 16)))
        #expect(rtcp.encryptionKey != rtp.encryptionKey)
        #expect(rtcp.authenticationKey.count == 20 && rtcp.authenticationKey != rtp.authenticationKey)
        #expect(rtcp.salt.count == 14 && rtcp.salt != rtp.salt)
    }

    @Test func gcmProfilesDeriveTwelveByteSaltsAndNoAuthKey() throws {
        let keys = try SRTPSessionKeys(profile: .aeadAes256Gcm, master: testMaster(.aeadAes256Gcm, seed: 1), rtcp: false)
        #expect(keys.encryptionKey.count == 32 && keys.salt.count == 12 && keys.authenticationKey.isEmpty)
    }

    @Test(arguments: implementations)
    func wrongMasterLengthsAreRejected(implementation: SRTPCipher.Implementation) {
        let short = SRTPMasterKey(key: [UInt8](repeating: 1, count: 15), salt: [UInt8](repeating: 2, count: 14))
        #expect(srtpError { _ = try SRTPSessionKeys(profile: .aes128CmHmacSha1_80, master: short, rtcp: false) } == .invalidKeyLength)
        let gcmSaltOnCM = SRTPMasterKey(key: [UInt8](repeating: 1, count: 16), salt: [UInt8](repeating: 2, count: 12))
        using(implementation) {
            #expect(srtpError { _ = try SRTPContext(profile: .aes128CmHmacSha1_80, master: gcmSaltOnCM) } == .invalidKeyLength)
        }
    }

    // MARK: RFC 5764 §4.2 keying material split

    @Test func keyingMaterialSplitsByDTLSRole() throws {
        for profile in SRTPProtectionProfile.allCases {
            let k = profile.keyLength, s = profile.saltLength
            let material = [UInt8](repeating: 0xC1, count: k) + [UInt8](repeating: 0x5E, count: k)
                + [UInt8](repeating: 0xC2, count: s) + [UInt8](repeating: 0x5F, count: s)
            let client = try #require(profile.splitKeyingMaterial(material, isClient: true))
            let server = try #require(profile.splitKeyingMaterial(material, isClient: false))
            #expect(client.local == SRTPMasterKey(key: .init(repeating: 0xC1, count: k), salt: .init(repeating: 0xC2, count: s)))
            #expect(client.remote == SRTPMasterKey(key: .init(repeating: 0x5E, count: k), salt: .init(repeating: 0x5F, count: s)))
            #expect(server.local == client.remote && server.remote == client.local)
            #expect(profile.splitKeyingMaterial(Array(material.dropLast()), isClient: true) == nil)
        }
    }

    // MARK: RFC 3711 Appendix B.2 (AES-CM keystream)

    @Test(arguments: implementations)
    func counterModeKeystreamMatchesRFC3711AppendixB2(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            let keys = SRTPSessionKeys(encryptionKey: hex("2B7E151628AED2A6ABF7158809CF4F3C"),
                                       authenticationKey: [UInt8](repeating: 0, count: 20),
                                       salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"))
            let cipher = try SRTPCipher(profile: .aes128CmHmacSha1_80, keys: keys)
            let iv = cipher.counterIV(ssrc: 0, index: 0)
            #expect(iv == hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"))
            let blocks = 0xFF02
            var buffer = ByteBuffer(repeating: 0, count: blocks * 16)
            try cipher.applyKeystream(&buffer, range: 0..<(blocks * 16), ssrc: 0, index: 0)
            let stream = bytes(buffer)
            #expect(Array(stream[0..<48]) == hex("""
                E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB
                41E95B3BB0A2E8DD477901E4FCA894C0
                """))
            #expect(Array(stream[(0xFEFF * 16)..<(0xFF02 * 16)]) == hex("""
                EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE
                6A2CC3787889374FBEB4C81B17BA6C44
                """))
        }
    }

    // MARK: libsrtp's reference packets (test/srtp_driver.c, srtp_validate): AES-CM-128-HMAC-SHA1-80

    @Test(arguments: implementations)
    func cmHMAC80MatchesLibsrtpReferencePackets(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            let master = SRTPMasterKey(key: Self.b3Key, salt: Self.b3Salt)
            let plainRTP = hex("800f1234decafbadcafebabe") + [UInt8](repeating: 0xAB, count: 16)
            let srtp = hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb")
            var sender = try SRTPContext(profile: .aes128CmHmacSha1_80, master: master)
            var packet = ByteBuffer(bytes: plainRTP)
            try sender.protect(&packet)
            #expect(bytes(packet) == srtp)
            var receiver = try SRTPContext(profile: .aes128CmHmacSha1_80, master: master)
            try receiver.unprotect(&packet)
            #expect(bytes(packet) == plainRTP)

            // libsrtp numbers SRTCP packets from 1; the receiver takes the index from the packet.
            let plainRTCP = hex("81c8000bcafebabe") + [UInt8](repeating: 0xAB, count: 16)
            let srtcp = hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798")
            var rtcpSender = try SRTCPContext(profile: .aes128CmHmacSha1_80, master: master)
            rtcpSender.setNextSendIndex(1, ssrc: 0xCAFE_BABE)
            var rtcp = ByteBuffer(bytes: plainRTCP)
            try rtcpSender.protect(&rtcp)
            #expect(bytes(rtcp) == srtcp)
            var rtcpReceiver = try SRTCPContext(profile: .aes128CmHmacSha1_80, master: master)
            try rtcpReceiver.unprotect(&rtcp)
            #expect(bytes(rtcp) == plainRTCP)
        }
    }

    // MARK: RFC 7714 §16 (SRTP AES-GCM) and §17 (SRTCP AES-GCM)

    static let gcmKey128 = hex("000102030405060708090a0b0c0d0e0f")
    static let gcmKey256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    static let gcmSalt = hex("517569642070726f2071756f")
    static let rtp = hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
        69736120 696e2070 61727465 73207472 6573
        """)
    static let rtcp = hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """)

    static func keys(_ profile: SRTPProtectionProfile) -> SRTPSessionKeys {
        SRTPSessionKeys(encryptionKey: profile == .aeadAes256Gcm ? gcmKey256 : gcmKey128, authenticationKey: [], salt: gcmSalt)
    }

    @Test(arguments: [
        (SRTPProtectionProfile.aeadAes128Gcm, """
            8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
            0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce
            """),
        (SRTPProtectionProfile.aeadAes256Gcm, """
            8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
            9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13
            """),
    ], implementations)
    func srtpGCMMatchesRFC7714Section16(vector: (SRTPProtectionProfile, String), implementation: SRTPCipher.Implementation) throws {
        try using(implementation) { () throws -> Void in
            let (profile, expected) = vector
            var sender = try SRTPContext(profile: profile, keys: Self.keys(profile))
            var packet = ByteBuffer(bytes: Self.rtp)
            try sender.protect(&packet)
            #expect(bytes(packet) == hex(expected))

            var receiver = try SRTPContext(profile: profile, keys: Self.keys(profile))
            try receiver.unprotect(&packet)
            #expect(bytes(packet) == Self.rtp)
            var again = ByteBuffer(bytes: hex(expected))
            #expect(srtpError { try receiver.unprotect(&again) } == .replayed)
        }
    }

    @Test(arguments: [
        (SRTPProtectionProfile.aeadAes128Gcm, true, """
            81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
            c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4
            """),
        (SRTPProtectionProfile.aeadAes256Gcm, true, """
            81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
            a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4
            """),
        (SRTPProtectionProfile.aeadAes128Gcm, false, """
            81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
            deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4
            """),
        (SRTPProtectionProfile.aeadAes256Gcm, false, """
            81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
            deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4
            """),
    ], implementations)
    func srtcpGCMMatchesRFC7714Section17(vector: (SRTPProtectionProfile, Bool, String), implementation: SRTPCipher.Implementation) throws {
        try using(implementation) { () throws -> Void in
            let (profile, encrypts, expected) = vector
            var sender = try SRTCPContext(profile: profile, keys: Self.keys(profile), encrypts: encrypts)
            sender.setNextSendIndex(0x5d4, ssrc: 0x4d61_7273)
            var packet = ByteBuffer(bytes: Self.rtcp)
            try sender.protect(&packet)
            #expect(bytes(packet) == hex(expected))
            #expect(sender.nextSendIndex(ssrc: 0x4d61_7273) == 0x5d5)

            var receiver = try SRTCPContext(profile: profile, keys: Self.keys(profile))
            try receiver.unprotect(&packet)
            #expect(bytes(packet) == Self.rtcp)
            var again = ByteBuffer(bytes: hex(expected))
            #expect(srtpError { try receiver.unprotect(&again) } == .replayed)
        }
    }
}
