import CRTCCrypto
import NIOCore

/// The AES-GCM state of one direction of one epoch on CRTCCrypto (AES-NI and a PCLMULQDQ
/// GHASH): the expanded key and the hash-key powers, prepared once in memory this object owns.
/// Records are sealed and opened in place in their `ByteBuffer`, with the nonce and the
/// additional data on the stack, so a record costs no heap allocation (swift-crypto's
/// `AES.GCM` allocates the sealed box, its `Data` and the plaintext copy per record).
///
/// Exists only where the CPU runs that code (`isSupported`); elsewhere records take
/// swift-crypto. Immutable after `init`, so sharing it between threads is safe.
final class DTLSNativeGCM: @unchecked Sendable {
    private let key: UnsafeMutablePointer<crtc_gcm_key>

    /// `true` when this CPU runs CRTCCrypto's AES-NI / PCLMULQDQ code.
    static let isSupported: Bool = crtc_cpu_has_aes_gcm() != 0

    /// Keys the state from a 16- or 32-byte AES key, or `nil` when the CPU cannot run it.
    init?(key bytes: [UInt8]) {
        guard Self.isSupported else { return nil }
        let state = UnsafeMutablePointer<crtc_gcm_key>.allocate(capacity: 1)
        guard bytes.withUnsafeBufferPointer({ crtc_gcm_init(state, $0.baseAddress, $0.count) }) == 0 else {
            state.deallocate()
            return nil
        }
        key = state
    }

    deinit {
        key.update(repeating: crtc_gcm_key(), count: 1)  // wipe the key material
        key.deallocate()
    }

    /// The 13 bytes of additional data (RFC 6347 §4.1.2.1: epoch ‖ 48-bit sequence ‖ type ‖
    /// version ‖ length) and the 12-byte nonce (RFC 5288 §3: fixed IV ‖ explicit nonce), on
    /// the stack, for `body`.
    @inline(__always)
    private static func withAADAndNonce<R>(fixedIV: UInt32, explicitNonce: UInt64, epochAndSequence es: UInt64, type: UInt8,
                                           version: UInt16, length: Int,
                                           _ body: (UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> R) -> R {
        // 16 bytes of raw stack memory each; only the first 13 and 12 are used.
        var aad: (UInt64, UInt64) = (0, 0)
        var nonce: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &aad) { a in
            a.storeBytes(of: es.bigEndian, toByteOffset: 0, as: UInt64.self)
            a[8] = type
            a.storeBytes(of: version.bigEndian, toByteOffset: 9, as: UInt16.self)
            a.storeBytes(of: UInt16(truncatingIfNeeded: length).bigEndian, toByteOffset: 11, as: UInt16.self)
            return withUnsafeMutableBytes(of: &nonce) { n in
                n.storeBytes(of: fixedIV.bigEndian, toByteOffset: 0, as: UInt32.self)
                n.storeBytes(of: explicitNonce.bigEndian, toByteOffset: 4, as: UInt64.self)
                return body(a.baseAddress!.assumingMemoryBound(to: UInt8.self), n.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// Appends the protected fragment of `plaintext` to `out`: explicit nonce (the epoch and
    /// sequence number, RFC 5288 §3) ‖ ciphertext ‖ tag, encrypting in `out` itself.
    func seal(_ plaintext: UnsafeRawBufferPointer, fixedIV: UInt32, epoch: UInt16, sequence: UInt64, type: UInt8, version: UInt16,
              into out: inout ByteBuffer) {
        let es = UInt64(epoch) << 48 | sequence
        out.writeInteger(es)
        let start = out.writerIndex - out.readerIndex
        out.writeBytes(plaintext)
        out.writeRepeatingByte(0, count: 16)
        let key = self.key
        Self.withAADAndNonce(fixedIV: fixedIV, explicitNonce: es, epochAndSequence: es, type: type, version: version,
                             length: plaintext.count) { aad, nonce in
            out.withUnsafeMutableReadableBytes { bytes in
                let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
                crtc_gcm_seal(key, nonce, aad, 13, nil, 0, base, plaintext.count, base + plaintext.count)
            }
        }
    }

    /// Opens the protected fragment of `length` bytes at reader offset `offset` of `buffer`
    /// (explicit nonce ‖ ciphertext ‖ tag) in place; returns the plaintext's reader offset and
    /// length, or `nil` when the fragment is too short or fails authentication (the bytes are
    /// then left as they were).
    func open(_ buffer: inout ByteBuffer, offset: Int, length: Int, fixedIV: UInt32, epoch: UInt16, sequence: UInt64,
              type: UInt8, version: UInt16) -> (offset: Int, length: Int)? {
        guard length >= 24, offset >= 0, offset + length <= buffer.readableBytes else { return nil }
        let ctLength = length - 24
        // The nonce is the fixed IV ‖ the explicit nonce as sent (RFC 5288 §3), not our own
        // idea of epoch and sequence.
        guard let explicit = buffer.getInteger(at: buffer.readerIndex + offset, as: UInt64.self) else { return nil }
        let es = UInt64(epoch) << 48 | sequence
        let key = self.key
        let ok = Self.withAADAndNonce(fixedIV: fixedIV, explicitNonce: explicit, epochAndSequence: es, type: type, version: version,
                                      length: ctLength) { aad, nonce in
            buffer.withUnsafeMutableReadableBytes { bytes in
                let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset + 8
                return crtc_gcm_open(key, nonce, aad, 13, nil, 0, base, ctLength, base + ctLength)
            }
        }
        return ok == 0 ? (offset + 8, ctLength) : nil
    }
}
