import Crypto
import NIOCore

/// AEAD protection of one direction of one epoch (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2).
/// The key object is built once per epoch and reused for every record.
///
/// AES-GCM records go through CRTCCrypto (``DTLSNativeGCM``: in place, nothing allocated per
/// record) where the CPU runs it; ChaCha20-Poly1305, and AES-GCM on other CPUs, through
/// swift-crypto. Both produce the same bytes.
struct DTLSRecordProtection {
    let suite: DTLSCipherSuite
    let key: SymmetricKey
    let fixedIV: [UInt8]
    /// The AES-GCM fixed IV as a number (RFC 5288 §3: 4 bytes).
    private let fixedIVWord: UInt32
    /// CRTCCrypto's state for an AES-GCM suite, `nil` for ChaCha20 or when the CPU cannot run it.
    let native: DTLSNativeGCM?

    /// - Parameter native: `false` keeps AES-GCM on swift-crypto (for tests comparing the two).
    init(suite: DTLSCipherSuite, key: [UInt8], fixedIV: [UInt8], native: Bool = true) {
        self.suite = suite
        self.key = SymmetricKey(data: key)
        self.fixedIV = fixedIV
        let isGCM = suite != .ecdheECDSAWithChaCha20Poly1305SHA256 && fixedIV.count == 4
        fixedIVWord = isGCM ? fixedIV.reduce(0) { $0 << 8 | UInt32($1) } : 0
        self.native = isGCM && native ? DTLSNativeGCM(key: key) : nil
    }

    /// Additional data: seq_num (epoch ‖ 48-bit sequence) ‖ type ‖ version ‖ length (RFC 6347 §4.1.2.1).
    @inline(__always)
    static func additionalData(epoch: UInt16, sequence: UInt64, type: UInt8, version: UInt16, length: Int) -> [UInt8] {
        var aad = [UInt8]()
        aad.reserveCapacity(13)
        aad.put16(epoch)
        aad.put48(sequence)
        aad.put8(type)
        aad.put16(version)
        aad.put16(UInt16(truncatingIfNeeded: length))
        return aad
    }

    /// Nonce for a record: GCM = fixed IV ‖ explicit 8 bytes; ChaCha20 = fixed IV XOR padded seq.
    @inline(__always)
    private func nonceBytes(epochAndSequence: UInt64) -> [UInt8] {
        if suite == .ecdheECDSAWithChaCha20Poly1305SHA256 {
            var n = fixedIV
            for i in 0..<8 { n[4 + i] ^= UInt8(truncatingIfNeeded: epochAndSequence >> UInt64(56 - 8 * i)) }
            return n
        }
        var n = fixedIV
        for i in 0..<8 { n.append(UInt8(truncatingIfNeeded: epochAndSequence >> UInt64(56 - 8 * i))) }
        return n
    }

    /// Protects `plaintext` and appends the record fragment (explicit nonce ‖ ciphertext ‖ tag)
    /// to `out`.
    func seal(_ plaintext: UnsafeRawBufferPointer, epoch: UInt16, sequence: UInt64, type: UInt8,
              version: UInt16, into out: inout ByteBuffer) throws {
        if let native {
            native.seal(plaintext, fixedIV: fixedIVWord, epoch: epoch, sequence: sequence, type: type, version: version, into: &out)
            return
        }
        let es = UInt64(epoch) << 48 | sequence
        let aad = Self.additionalData(epoch: epoch, sequence: sequence, type: type, version: version, length: plaintext.count)
        let nonce = nonceBytes(epochAndSequence: es)
        do {
            if suite == .ecdheECDSAWithChaCha20Poly1305SHA256 {
                let box = try ChaChaPoly.seal(plaintext, using: key, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: aad)
                out.writeBytes(box.ciphertext)
                out.writeBytes(box.tag)
            } else {
                let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: aad)
                out.writeBytes(nonce[4..<12])
                out.writeBytes(box.ciphertext)
                out.writeBytes(box.tag)
            }
        } catch {
            throw DTLSError.cryptoFailure("seal: \(error)")
        }
    }

    /// Opens the protected fragment of `length` bytes at reader offset `offset` of `buffer` in
    /// place when this is an AES-GCM suite on CRTCCrypto; returns the plaintext's reader offset
    /// and length, or `nil` when it is malformed or fails authentication. Only valid when
    /// ``native`` is set.
    func openInPlace(_ buffer: inout ByteBuffer, offset: Int, length: Int, epoch: UInt16, sequence: UInt64,
                     type: UInt8, version: UInt16) -> (offset: Int, length: Int)? {
        native?.open(&buffer, offset: offset, length: length, fixedIV: fixedIVWord, epoch: epoch, sequence: sequence,
                     type: type, version: version)
    }

    /// Opens a protected record fragment; `nil` if it is malformed or fails authentication.
    func open(_ fragment: ArraySlice<UInt8>, epoch: UInt16, sequence: UInt64, type: UInt8, version: UInt16) -> [UInt8]? {
        guard fragment.count >= suite.recordOverhead else { return nil }
        let start = fragment.startIndex
        if suite == .ecdheECDSAWithChaCha20Poly1305SHA256 {
            let ctLen = fragment.count - 16
            let nonce = nonceBytes(epochAndSequence: UInt64(epoch) << 48 | sequence)
            let aad = Self.additionalData(epoch: epoch, sequence: sequence, type: type, version: version, length: ctLen)
            guard let n = try? ChaChaPoly.Nonce(data: nonce),
                  let box = try? ChaChaPoly.SealedBox(nonce: n, ciphertext: fragment[start..<(start + ctLen)], tag: fragment[(start + ctLen)...]),
                  let pt = try? ChaChaPoly.open(box, using: key, authenticating: aad) else { return nil }
            return Array(pt)
        }
        let ctLen = fragment.count - 24
        var nonce = fixedIV
        nonce.append(contentsOf: fragment[start..<(start + 8)])
        let aad = Self.additionalData(epoch: epoch, sequence: sequence, type: type, version: version, length: ctLen)
        guard let n = try? AES.GCM.Nonce(data: nonce),
              let box = try? AES.GCM.SealedBox(nonce: n, ciphertext: fragment[(start + 8)..<(start + 8 + ctLen)], tag: fragment[(start + 8 + ctLen)...]),
              let pt = try? AES.GCM.open(box, using: key, authenticating: aad) else { return nil }
        return Array(pt)
    }
}
