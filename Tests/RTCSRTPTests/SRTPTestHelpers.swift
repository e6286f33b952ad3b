import NIOCore
import RTCCore
@testable import RTCSRTP

/// Hex with whitespace allowed; traps on bad input (test literals only).
func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

/// The bytes readable in `buffer`.
func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

/// Runs `body` and returns the `SRTPError` it threw, or `nil` if it succeeded (any other
/// error traps: the API throws only `SRTPError`).
func srtpError(_ body: () throws -> Void) -> SRTPError? {
    do { try body(); return nil } catch let error as SRTPError { return error } catch { fatalError("\(error)") }
}

/// A plain RTP packet: version 2, payload type 96, optional CSRCs and a one-byte-header
/// extension of `extensionWords` 32-bit words.
func rtpPacket(seq: UInt16, ssrc: UInt32, timestamp: UInt32 = 0x1234_5678, csrcs: [UInt32] = [],
               extensionWords: Int = 0, payload: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0x80 | (extensionWords > 0 ? 0x10 : 0) | UInt8(csrcs.count), 96]
    func put32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { b.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    b += [UInt8(seq >> 8), UInt8(seq & 0xFF)]
    put32(timestamp)
    put32(ssrc)
    for c in csrcs { put32(c) }
    if extensionWords > 0 {
        b += [0xBE, 0xDE, 0, UInt8(extensionWords)]
        for i in 0..<(4 * extensionWords) { b.append(UInt8(i & 0xFF)) }
    }
    return b + payload
}

/// A plain RTCP receiver report from `ssrc` with `blocks` report blocks of filler.
func rtcpPacket(ssrc: UInt32, blocks: Int = 1) -> [UInt8] {
    let words = 1 + 6 * blocks
    var b: [UInt8] = [0x80 | UInt8(blocks), 201, UInt8(words >> 8), UInt8(words & 0xFF)]
    for s in stride(from: 24, through: 0, by: -8) { b.append(UInt8(truncatingIfNeeded: ssrc >> UInt32(s))) }
    for i in 0..<(24 * blocks) { b.append(UInt8((i * 7) & 0xFF)) }
    return b
}

/// A master key and salt of the profile's lengths, filled from `seed`.
func testMaster(_ profile: SRTPProtectionProfile, seed: UInt64) -> SRTPMasterKey {
    var rng = SeededRandom(seed: seed)
    return SRTPMasterKey(key: rng.bytes(profile.keyLength), salt: rng.bytes(profile.saltLength))
}

/// Both cipher implementations: every context test runs on CRTCCrypto and on swift-crypto.
let implementations = SRTPCipher.Implementation.allCases

/// `true` when this CPU runs CRTCCrypto's accelerated path (`.automatic` then uses it).
let nativeCryptoAvailable = SRTPNativeCipher.isSupported

/// Runs `body` with contexts created inside it using `implementation`.
func using<R>(_ implementation: SRTPCipher.Implementation, _ body: () throws -> R) rethrows -> R {
    try SRTPCipher.$implementation.withValue(implementation, operation: body)
}
