import Crypto
import CryptoExtras
import NIOCore
import RTCCore

/// The keyed transforms of one SRTP or SRTCP session: AES counter mode with a prepared
/// HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1), or AES-GCM (RFC 7714). All offsets are relative to the
/// buffer's reader index; the buffer is changed in place and grows only by the tag.
///
/// Cost note: swift-crypto's `AES._CTR` and `AES.GCM` redo the AES key schedule and return a
/// fresh `Data` on every call, so each packet still allocates (the keystream or sealed box, and
/// the small IV/nonce arrays); the HMAC's inner and outer pads, however, are computed once here
/// and copied per packet, and tags are compared and appended without copies.
struct SRTPCipher: Sendable {
    let profile: SRTPProtectionProfile
    private let key: SymmetricKey
    private let salt: [UInt8]
    private let mac: HMAC<Insecure.SHA1>?

    init(profile: SRTPProtectionProfile, keys: SRTPSessionKeys) throws(SRTPError) {
        guard keys.encryptionKey.count == profile.keyLength, keys.salt.count == profile.saltLength,
              keys.authenticationKey.count == profile.authKeyLength else { throw .invalidKeyLength }
        self.profile = profile
        key = SymmetricKey(data: keys.encryptionKey)
        salt = keys.salt
        mac = profile.isAEAD ? nil : HMAC<Insecure.SHA1>(key: SymmetricKey(data: keys.authenticationKey))
    }

    // MARK: AES-CM + HMAC-SHA1

    /// The AES-CM IV of RFC 3711 §4.1.1: (k_s·2^16) XOR (SSRC·2^64) XOR (index·2^16).
    func counterIV(ssrc: UInt32, index: UInt64) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 16)
        for i in salt.indices { iv[i] = salt[i] }
        for i in 0..<4 { iv[4 + i] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * i)) }
        for i in 0..<6 { iv[8 + i] ^= UInt8(truncatingIfNeeded: index >> (40 - 8 * i)) }
        return iv
    }

    /// XORs AES-CM keystream for `iv` over bytes `range` of `buffer` (encrypts or decrypts).
    /// Throws rather than ever leaving the bytes unencrypted (cannot happen with the key lengths
    /// `init` checked).
    func applyKeystream(_ buffer: inout ByteBuffer, range: Range<Int>, iv: [UInt8]) throws(SRTPError) {
        guard !range.isEmpty else { return }
        let key = self.key
        do {
            let nonce = try AES._CTR.Nonce(nonceBytes: iv)
            let out = try buffer.withUnsafeReadableBytes { bytes in
                try AES._CTR.encrypt(UnsafeRawBufferPointer(rebasing: bytes[range]), using: key, nonce: nonce)
            }
            buffer.setBytes(out, at: buffer.readerIndex + range.lowerBound)
        } catch {
            throw .invalidKeyLength
        }
    }

    /// The full 20-byte HMAC-SHA1 over bytes `0..<length` of `buffer`, then `trailer` (the ROC
    /// for SRTP, RFC 3711 §4.2; nothing for SRTCP, whose index is inside the packet). The MAC's
    /// pads were prepared once; this copies that state and allocates nothing.
    func hmac(_ buffer: ByteBuffer, length: Int, trailer: UInt32?) -> HashedAuthenticationCode<Insecure.SHA1>? {
        guard var h = mac else { return nil }
        buffer.withUnsafeReadableBytes { h.update(data: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        if let trailer {
            withUnsafeBytes(of: trailer.bigEndian) { h.update(data: $0) }
        }
        return h.finalize()
    }

    /// Appends the first `length` bytes of `code` to `buffer`.
    func appendTag(_ code: HashedAuthenticationCode<Insecure.SHA1>?, length: Int, to buffer: inout ByteBuffer) {
        guard let code else { return }
        code.withUnsafeBytes { _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// `true` if the `length` bytes at `offset` equal the first bytes of `code`, compared
    /// without an early exit.
    func tagMatches(_ buffer: ByteBuffer, at offset: Int, length: Int, expected code: HashedAuthenticationCode<Insecure.SHA1>?) -> Bool {
        guard let code, offset >= 0, offset + length <= buffer.readableBytes else { return false }
        return buffer.withUnsafeReadableBytes { got in
            code.withUnsafeBytes { want in
                var diff: UInt8 = 0
                for i in 0..<length { diff |= got[offset + i] ^ want[i] }
                return diff == 0
            }
        }
    }

    // MARK: AES-GCM

    /// The 12-byte AEAD IV of RFC 7714 §8.1 (SRTP: 00 00 ‖ SSRC ‖ ROC ‖ SEQ) and §9.1 (SRTCP:
    /// 00 00 ‖ SSRC ‖ 00 00 ‖ 0 ‖ SRTCP index), XORed with the session salt. `middle` is the
    /// 48-bit value after the SSRC: ROC·2^16 + SEQ, or the 31-bit SRTCP index.
    func gcmNonce(ssrc: UInt32, middle: UInt64) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 12)
        for i in 0..<4 { iv[2 + i] = UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * i)) }
        for i in 0..<6 { iv[6 + i] = UInt8(truncatingIfNeeded: middle >> (40 - 8 * i)) }
        for i in 0..<12 { iv[i] ^= salt[i] }
        return iv
    }

    /// Seals bytes `plaintext` of `buffer` in place and appends the 16-byte tag; the
    /// authenticated data is bytes `aad` of the buffer followed by `extraAAD`.
    func seal(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: [UInt8], plaintext: Range<Int>, nonce: [UInt8]) throws(SRTPError) {
        let key = self.key
        let box: AES.GCM.SealedBox
        do {
            let n = try AES.GCM.Nonce(data: nonce)
            box = try buffer.withUnsafeReadableBytes { bytes in
                let pt = UnsafeRawBufferPointer(rebasing: bytes[plaintext])
                return try AES.GCM.seal(pt, using: key, nonce: n, authenticating: Self.joined(bytes, aad, extraAAD))
            }
        } catch {
            throw .invalidKeyLength
        }
        buffer.setBytes(box.ciphertext, at: buffer.readerIndex + plaintext.lowerBound)
        buffer.writeBytes(box.tag)
    }

    /// Opens ciphertext `ciphertext` followed by the 16-byte tag at `tagOffset`, writing the
    /// plaintext back in place; the buffer's length is left to the caller.
    func open(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: [UInt8], ciphertext: Range<Int>, tagOffset: Int, nonce: [UInt8]) throws(SRTPError) {
        let key = self.key
        let plaintext: [UInt8]
        do {
            let n = try AES.GCM.Nonce(data: nonce)
            plaintext = try buffer.withUnsafeReadableBytes { bytes in
                let box = try AES.GCM.SealedBox(nonce: n, ciphertext: UnsafeRawBufferPointer(rebasing: bytes[ciphertext]),
                                                tag: UnsafeRawBufferPointer(rebasing: bytes[tagOffset..<(tagOffset + 16)]))
                return Array(try AES.GCM.open(box, using: key, authenticating: Self.joined(bytes, aad, extraAAD)))
            }
        } catch {
            throw .authenticationFailed
        }
        buffer.setBytes(plaintext, at: buffer.readerIndex + ciphertext.lowerBound)
    }

    private static func joined(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ extra: [UInt8]) -> [UInt8] {
        var aad = [UInt8](bytes[range])
        aad.append(contentsOf: extra)
        return aad
    }
}

/// Big-endian helpers on `ByteBuffer` offsets relative to the reader index.
extension ByteBuffer {
    func srtpUInt16(at offset: Int) -> UInt16? { getInteger(at: readerIndex + offset, as: UInt16.self) }
    func srtpUInt32(at offset: Int) -> UInt32? { getInteger(at: readerIndex + offset, as: UInt32.self) }
    func srtpByte(at offset: Int) -> UInt8? { getInteger(at: readerIndex + offset, as: UInt8.self) }
    mutating func srtpTruncate(to length: Int) { moveWriterIndex(to: readerIndex + length) }
}
