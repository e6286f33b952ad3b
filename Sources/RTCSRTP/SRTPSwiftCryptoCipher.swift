import Crypto
import CryptoExtras
import NIOCore
import RTCCore

/// The portable SRTP transforms over swift-crypto: the fallback where CRTCCrypto's
/// accelerated code cannot run (not x86-64, or no AES-NI/PCLMULQDQ), and the reference the
/// tests hold the native path to.
///
/// Cost note: swift-crypto's `AES._CTR` and `AES.GCM` redo the AES key schedule and return a
/// fresh `Data` on every call, so each packet allocates (the keystream or sealed box, the small
/// IV/nonce arrays); the HMAC's inner and outer pads are computed once and copied per packet.
struct SRTPSwiftCryptoCipher: Sendable {
    private let key: SymmetricKey
    private let mac: HMAC<Insecure.SHA1>?

    init(profile: SRTPProtectionProfile, keys: SRTPSessionKeys) {
        key = SymmetricKey(data: keys.encryptionKey)
        mac = profile.isAEAD ? nil : HMAC<Insecure.SHA1>(key: SymmetricKey(data: keys.authenticationKey))
    }

    /// XORs AES-CM keystream for the 16-byte `iv` over bytes `range` of `buffer`.
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

    /// The full 20-byte HMAC-SHA1 over bytes `0..<length` of `buffer`, then `trailer`.
    func hmac(_ buffer: ByteBuffer, length: Int, trailer: UInt32?) -> HashedAuthenticationCode<Insecure.SHA1>? {
        guard var h = mac else { return nil }
        buffer.withUnsafeReadableBytes { h.update(data: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        if let trailer {
            withUnsafeBytes(of: trailer.bigEndian) { h.update(data: $0) }
        }
        return h.finalize()
    }

    /// Appends the first `tagLength` bytes of the HMAC over `0..<length` ‖ `trailer`.
    func appendTag(_ buffer: inout ByteBuffer, length: Int, trailer: UInt32?, tagLength: Int) {
        guard let code = hmac(buffer, length: length, trailer: trailer) else { return }
        code.withUnsafeBytes { _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<tagLength])) }
    }

    /// `true` if the `tagLength` bytes at `tagOffset` equal the HMAC's first bytes, compared
    /// without an early exit.
    func tagMatches(_ buffer: ByteBuffer, length: Int, trailer: UInt32?, tagOffset: Int, tagLength: Int) -> Bool {
        guard let code = hmac(buffer, length: length, trailer: trailer),
              tagOffset >= 0, tagOffset + tagLength <= buffer.readableBytes else { return false }
        return buffer.withUnsafeReadableBytes { got in
            code.withUnsafeBytes { want in
                var diff: UInt8 = 0
                for i in 0..<tagLength { diff |= got[tagOffset + i] ^ want[i] }
                return diff == 0
            }
        }
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
