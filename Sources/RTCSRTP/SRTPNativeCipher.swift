import CRTCCrypto
import NIOCore
import RTCCore

/// The keyed state of one SRTP or SRTCP context for CRTCCrypto: the expanded AES key (and, for
/// AES-GCM, the GHASH key powers) and the HMAC-SHA1 inner/outer states, prepared once in
/// aligned memory owned by this object. Per packet nothing is allocated: IVs live on the stack
/// and the buffer is changed in place.
///
/// Immutable after `init` (the C calls only read it), so sharing it between threads is safe.
final class SRTPNativeCipher: @unchecked Sendable {
    private let gcm: UnsafeMutablePointer<crtc_gcm_key>
    private let mac: UnsafeMutablePointer<crtc_hmac_sha1_key>?

    /// `true` when this CPU runs CRTCCrypto's AES-NI / PCLMULQDQ code.
    static let isSupported: Bool = crtc_cpu_has_aes_gcm() != 0

    /// Keys the state, or `nil` when the CPU cannot run it (the caller falls back).
    init?(profile: SRTPProtectionProfile, keys: SRTPSessionKeys, accelerateSHA1: Bool = true) {
        guard Self.isSupported else { return nil }
        let state = UnsafeMutablePointer<crtc_gcm_key>.allocate(capacity: 1)
        let ok = keys.encryptionKey.withUnsafeBufferPointer { crtc_gcm_init(state, $0.baseAddress, $0.count) } == 0
        guard ok else {
            state.deallocate()
            return nil
        }
        gcm = state
        if profile.isAEAD {
            mac = nil
        } else {
            let m = UnsafeMutablePointer<crtc_hmac_sha1_key>.allocate(capacity: 1)
            keys.authenticationKey.withUnsafeBufferPointer {
                crtc_hmac_sha1_init(m, $0.baseAddress, $0.count, accelerateSHA1 ? 1 : 0)
            }
            mac = m
        }
    }

    deinit {
        // Wipe the key material before giving the memory back.
        gcm.update(repeating: crtc_gcm_key(), count: 1)
        gcm.deallocate()
        if let mac {
            mac.update(repeating: crtc_hmac_sha1_key(), count: 1)
            mac.deallocate()
        }
    }

    /// XORs AES-CM keystream from the 16-byte `counter` over bytes `range` of `buffer`.
    func applyKeystream(_ buffer: inout ByteBuffer, range: Range<Int>, counter: UnsafeRawBufferPointer) {
        guard !range.isEmpty else { return }
        // The AES key is the first member of the GCM key (offset 0).
        let aes = UnsafeRawPointer(gcm).assumingMemoryBound(to: crtc_aes_key.self)
        buffer.withUnsafeMutableReadableBytes { bytes in
            crtc_aes_ctr_xor(aes, counter.baseAddress!.assumingMemoryBound(to: UInt8.self),
                             bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + range.lowerBound, range.count)
        }
    }

    /// Appends the first `tagLength` bytes of HMAC-SHA1(bytes `0..<length` ‖ `trailer`).
    func appendTag(_ buffer: inout ByteBuffer, length: Int, trailer: UInt32?, tagLength: Int) {
        guard let mac else { return }
        var code: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &code) { out in
            buffer.withUnsafeReadableBytes { bytes in
                Self.withTrailer(trailer) { t in
                    crtc_hmac_sha1(mac, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), length,
                                   t.baseAddress?.assumingMemoryBound(to: UInt8.self), t.count,
                                   out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: out[0..<tagLength]))
        }
    }

    /// `true` if the `tagLength` bytes at `tagOffset` are HMAC-SHA1(bytes `0..<length` ‖
    /// `trailer`)'s first bytes (compared in constant time).
    func tagMatches(_ buffer: ByteBuffer, length: Int, trailer: UInt32?, tagOffset: Int, tagLength: Int) -> Bool {
        guard let mac, tagOffset >= 0, tagOffset + tagLength <= buffer.readableBytes else { return false }
        return buffer.withUnsafeReadableBytes { bytes in
            Self.withTrailer(trailer) { t in
                let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                return crtc_hmac_sha1_verify(mac, base, length, t.baseAddress?.assumingMemoryBound(to: UInt8.self), t.count,
                                             base + tagOffset, tagLength) == 1
            }
        }
    }

    /// Seals bytes `plaintext` of `buffer` in place and appends the 16-byte tag; the
    /// authenticated data is bytes `aad` of the buffer followed by `extraAAD` (big-endian).
    func seal(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: UInt32?, plaintext: Range<Int>, nonce: UnsafeRawBufferPointer) {
        let gcm = self.gcm
        let tagOffset = buffer.readableBytes
        buffer.writeRepeatingByte(0, count: 16)
        buffer.withUnsafeMutableReadableBytes { bytes in
            let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            Self.withTrailer(extraAAD) { extra in
                crtc_gcm_seal(gcm, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                              base + aad.lowerBound, aad.count, extra.baseAddress?.assumingMemoryBound(to: UInt8.self), extra.count,
                              base + plaintext.lowerBound, plaintext.count, base + tagOffset)
            }
        }
    }

    /// Opens ciphertext `ciphertext` against the 16-byte tag at `tagOffset`, decrypting in
    /// place only when the tag is right (returns `false` and leaves the bytes otherwise); the
    /// buffer's length is left to the caller.
    func open(_ buffer: inout ByteBuffer, aad: Range<Int>, extraAAD: UInt32?, ciphertext: Range<Int>, tagOffset: Int,
              nonce: UnsafeRawBufferPointer) -> Bool {
        let gcm = self.gcm
        return buffer.withUnsafeMutableReadableBytes { bytes in
            let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return Self.withTrailer(extraAAD) { extra in
                crtc_gcm_open(gcm, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                              base + aad.lowerBound, aad.count, extra.baseAddress?.assumingMemoryBound(to: UInt8.self), extra.count,
                              base + ciphertext.lowerBound, ciphertext.count, base + tagOffset)
            }
        } == 0
    }

    /// Calls `body` with the 4 big-endian bytes of `word`, or no bytes when it is `nil`.
    @inline(__always)
    private static func withTrailer<R>(_ word: UInt32?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard let word else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return withUnsafeBytes(of: word.bigEndian, body)
    }
}
