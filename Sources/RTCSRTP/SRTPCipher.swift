import NIOCore
import RTCCore

/// The keyed transforms of one SRTP or SRTCP session: AES counter mode with HMAC-SHA1
/// (RFC 3711 §4.1.1, §4.2.1), or AES-GCM (RFC 7714). All offsets are relative to the buffer's
/// reader index; the buffer is changed in place and grows only by the tag.
///
/// Two implementations: CRTCCrypto (`SRTPNativeCipher`: AES-NI, PCLMULQDQ, SHA-NI; state
/// prepared once, nothing allocated per packet) wherever the CPU supports it, and swift-crypto
/// (`SRTPSwiftCryptoCipher`) elsewhere. Both produce the same bytes.
struct SRTPCipher: Sendable {
    /// Which implementation a new context uses.
    enum Implementation: Sendable, CaseIterable, CustomStringConvertible {
        /// CRTCCrypto when the CPU supports it, otherwise swift-crypto.
        case automatic
        /// Always swift-crypto (the portable fallback).
        case swiftCrypto

        var description: String { self == .automatic ? "automatic" : "swiftCrypto" }
    }

    /// The implementation contexts created in this task use (tests run every case on both).
    @TaskLocal static var implementation: Implementation = .automatic

    let profile: SRTPProtectionProfile
    private let native: SRTPNativeCipher?
    private let portable: SRTPSwiftCryptoCipher?
    /// The session salt padded to 16 bytes, as two big-endian words.
    private let saltHigh: UInt64, saltLow: UInt64

    /// `true` when this cipher runs on CRTCCrypto.
    var isNative: Bool { native != nil }

    init(profile: SRTPProtectionProfile, keys: SRTPSessionKeys,
         implementation: Implementation = SRTPCipher.implementation) throws(SRTPError) {
        guard keys.encryptionKey.count == profile.keyLength, keys.salt.count == profile.saltLength,
              keys.authenticationKey.count == profile.authKeyLength else { throw .invalidKeyLength }
        self.profile = profile
        native = implementation == .automatic ? SRTPNativeCipher(profile: profile, keys: keys) : nil
        portable = native == nil ? SRTPSwiftCryptoCipher(profile: profile, keys: keys) : nil
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, byte) in keys.salt.enumerated() {
            if i < 8 { high |= UInt64(byte) << (56 - 8 * UInt64(i)) } else { low |= UInt64(byte) << (56 - 8 * UInt64(i - 8)) }
        }
        saltHigh = high
        saltLow = low
    }

    // MARK: AES-CM + HMAC-SHA1

    /// The AES-CM IV of RFC 3711 §4.1.1, (k_s·2^16) XOR (SSRC·2^64) XOR (index·2^16), as two
    /// big-endian words.
    @inline(__always)
    private func counterWords(ssrc: UInt32, index: UInt64) -> (UInt64, UInt64) {
        ((saltHigh ^ UInt64(ssrc)).bigEndian, (saltLow ^ (index << 16)).bigEndian)
    }

    /// The AES-CM IV as bytes (tests, and the swift-crypto path).
    func counterIV(ssrc: UInt32, index: UInt64) -> [UInt8] {
        withUnsafeBytes(of: counterWords(ssrc: ssrc, index: index)) { Array($0) }
    }

    /// XORs the AES-CM keystream of packet `index` of `ssrc` over bytes `range` of `buffer`
    /// (encrypts or decrypts).
    func applyKeystream(_ buffer: inout ByteBuffer, range: Range<Int>, ssrc: UInt32, index: UInt64) throws(SRTPError) {
        if let native {
            withUnsafeBytes(of: counterWords(ssrc: ssrc, index: index)) { native.applyKeystream(&buffer, range: range, counter: $0) }
        } else {
            try portable!.applyKeystream(&buffer, range: range, iv: counterIV(ssrc: ssrc, index: index))
        }
    }

    /// Appends the first `tagLength` bytes of HMAC-SHA1 over bytes `0..<length` of `buffer`,
    /// then `trailer` (the ROC for SRTP, RFC 3711 §4.2; nothing for SRTCP).
    func appendTag(_ buffer: inout ByteBuffer, length: Int, trailer: UInt32?, tagLength: Int) {
        if let native {
            native.appendTag(&buffer, length: length, trailer: trailer, tagLength: tagLength)
        } else {
            portable!.appendTag(&buffer, length: length, trailer: trailer, tagLength: tagLength)
        }
    }

    /// `true` if the `tagLength` bytes at `tagOffset` are the HMAC's first bytes over bytes
    /// `0..<length` ‖ `trailer`, compared without an early exit.
    func tagMatches(_ buffer: ByteBuffer, length: Int, trailer: UInt32?, tagOffset: Int, tagLength: Int) -> Bool {
        if let native {
            return native.tagMatches(buffer, length: length, trailer: trailer, tagOffset: tagOffset, tagLength: tagLength)
        }
        return portable!.tagMatches(buffer, length: length, trailer: trailer, tagOffset: tagOffset, tagLength: tagLength)
    }

    // MARK: AES-GCM

    /// The 12-byte AEAD IV of RFC 7714 §8.1 (SRTP: 00 00 ‖ SSRC ‖ ROC ‖ SEQ) and §9.1 (SRTCP:
    /// 00 00 ‖ SSRC ‖ 00 00 ‖ 0 ‖ SRTCP index), XORed with the session salt, in the first 12
    /// bytes of two big-endian words. `middle` is the 48-bit value after the SSRC.
    @inline(__always)
    private func nonceWords(ssrc: UInt32, middle: UInt64) -> (UInt64, UInt64) {
        let high = UInt64(ssrc) << 16 | (middle >> 32) & 0xFFFF
        let low = (middle & 0xFFFF_FFFF) << 32
        return ((saltHigh ^ high).bigEndian, (saltLow ^ low).bigEndian)
    }

    /// The 12-byte AEAD IV as bytes (tests, and the swift-crypto path).
    func gcmNonce(ssrc: UInt32, middle: UInt64) -> [UInt8] {
        withUnsafeBytes(of: nonceWords(ssrc: ssrc, middle: middle)) { Array($0[0..<12]) }
    }

    /// Seals bytes `plaintext` of `buffer` in place and appends the 16-byte tag; the
    /// authenticated data is bytes `aad` of the buffer followed by `extraAAD` (big-endian).
    func seal(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: UInt32?, plaintext: Range<Int>,
              ssrc: UInt32, middle: UInt64) throws(SRTPError) {
        if let native {
            withUnsafeBytes(of: nonceWords(ssrc: ssrc, middle: middle)) {
                native.seal(&buffer, aad: aad, extraAAD: extraAAD, plaintext: plaintext, nonce: $0)
            }
        } else {
            try portable!.seal(&buffer, aad: aad, extraAAD: Self.bytes(extraAAD), plaintext: plaintext,
                               nonce: gcmNonce(ssrc: ssrc, middle: middle))
        }
    }

    /// Opens ciphertext `ciphertext` followed by the 16-byte tag at `tagOffset`, writing the
    /// plaintext back in place; the buffer's length is left to the caller.
    func open(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: UInt32?, ciphertext: Range<Int>, tagOffset: Int,
              ssrc: UInt32, middle: UInt64) throws(SRTPError) {
        if let native {
            let nonce = nonceWords(ssrc: ssrc, middle: middle)
            let ok = withUnsafeBytes(of: nonce) { n in
                native.open(&buffer, aad: aad, extraAAD: extraAAD, ciphertext: ciphertext, tagOffset: tagOffset, nonce: n)
            }
            guard ok else { throw .authenticationFailed }
        } else {
            try portable!.open(&buffer, aad: aad, extraAAD: Self.bytes(extraAAD), ciphertext: ciphertext, tagOffset: tagOffset,
                               nonce: gcmNonce(ssrc: ssrc, middle: middle))
        }
    }

    private static func bytes(_ word: UInt32?) -> [UInt8] {
        guard let word else { return [] }
        return withUnsafeBytes(of: word.bigEndian) { Array($0) }
    }
}

/// Benchmark hooks (scripts/bench-srtp.sh): not API.
@_spi(SRTPBenchmark)
public enum SRTPImplementationSwitch {
    /// `true` when contexts created outside `withSwiftCrypto` run on CRTCCrypto.
    public static var nativeAvailable: Bool { SRTPNativeCipher.isSupported }

    /// Runs `body` with contexts created inside it using swift-crypto instead of CRTCCrypto.
    public static func withSwiftCrypto<R>(_ body: () throws -> R) rethrows -> R {
        try SRTPCipher.$implementation.withValue(.swiftCrypto, operation: body)
    }
}

/// Big-endian helpers on `ByteBuffer` offsets relative to the reader index.
extension ByteBuffer {
    func srtpUInt16(at offset: Int) -> UInt16? { getInteger(at: readerIndex + offset, as: UInt16.self) }
    func srtpUInt32(at offset: Int) -> UInt32? { getInteger(at: readerIndex + offset, as: UInt32.self) }
    func srtpByte(at offset: Int) -> UInt8? { getInteger(at: readerIndex + offset, as: UInt8.self) }
    mutating func srtpTruncate(to length: Int) { moveWriterIndex(to: readerIndex + length) }
}
