import NIOCore
import RTCCore

/// Protects and unprotects (compound) RTCP packets of one direction (RFC 3711 §3.4, RFC 7714
/// §9), in place on a `ByteBuffer`.
///
/// Each sent packet carries a 31-bit SRTCP index per SSRC and the E bit (encrypted or not);
/// received indexes go through a replay window per SSRC. Layouts:
/// - AES-CM: header(8) ‖ encrypted ‖ E|index(4) ‖ HMAC-SHA1 tag(10);
/// - AES-GCM: header(8) ‖ encrypted ‖ tag(16) ‖ E|index(4).
public struct SRTCPContext: Sendable {
    /// The protection profile (cipher, tag length).
    public let profile: SRTPProtectionProfile
    /// `true` (the default and what WebRTC does) sets the E bit and encrypts; `false` only
    /// authenticates (RFC 3711 §3.4).
    public var encrypts: Bool
    /// When non-`nil`, only these sender SSRCs are protected or unprotected; others throw
    /// `SRTPError.unknownSSRC`.
    public var allowedSSRCs: Set<UInt32>?
    /// Width of each receive-side replay window, in packets.
    public let replayWindowWidth: Int

    /// What `unprotect` accepted and dropped, per reason.
    public private(set) var statistics = SRTPStatistics()

    private let cipher: SRTPCipher
    private var nextIndex: [UInt32: UInt32] = [:]
    private var windows: [UInt32: ReplayWindow] = [:]

    private static let headerLength = 8
    private static let trailerLength = 4

    /// A context keyed from one direction's master key and salt (RFC 3711 §4.3, SRTCP labels).
    public init(profile: SRTPProtectionProfile, master: SRTPMasterKey, encrypts: Bool = true,
                replayWindowWidth: Int = 128) throws(SRTPError) {
        try self.init(profile: profile, keys: SRTPSessionKeys(profile: profile, master: master, rtcp: true),
                      encrypts: encrypts, replayWindowWidth: replayWindowWidth)
    }

    /// A context keyed directly with SRTCP session keys (SDES-style keying, test vectors).
    public init(profile: SRTPProtectionProfile, keys: SRTPSessionKeys, encrypts: Bool = true,
                replayWindowWidth: Int = 128) throws(SRTPError) {
        self.profile = profile
        self.encrypts = encrypts
        self.replayWindowWidth = max(64, replayWindowWidth)
        cipher = try SRTPCipher(profile: profile, keys: keys)
    }

    /// The SRTCP index the next packet of `ssrc` will carry.
    public func nextSendIndex(ssrc: UInt32) -> UInt32 { nextIndex[ssrc] ?? 0 }

    /// Sets the SRTCP index the next packet of `ssrc` will carry (below 2^31).
    public mutating func setNextSendIndex(_ index: UInt32, ssrc: UInt32) {
        nextIndex[ssrc] = index & 0x7FFF_FFFF
    }

    /// Encrypts (when `encrypts`) the RTCP packet in `packet` after its first 8 bytes and
    /// appends index and tag (RFC 3711 §3.4, RFC 7714 §9).
    public mutating func protect(_ packet: inout ByteBuffer) throws(SRTPError) {
        let length = packet.readableBytes
        guard length >= Self.headerLength, let b0 = packet.srtpByte(at: 0) else { throw .tooShort }
        guard b0 >> 6 == 2 else { throw .malformedHeader }
        let ssrc = packet.srtpUInt32(at: 4)!
        if let allowedSSRCs, !allowedSSRCs.contains(ssrc) { throw .unknownSSRC(ssrc) }
        let index = nextIndex[ssrc] ?? 0
        guard index <= 0x7FFF_FFFF else { throw .indexExhausted }
        nextIndex[ssrc] = index + 1
        let word = (encrypts ? 0x8000_0000 : 0) | index
        if profile.isAEAD {
            if encrypts {
                try cipher.seal(&packet, aad: 0..<Self.headerLength, extraAAD: word,
                                plaintext: Self.headerLength..<length, ssrc: ssrc, middle: UInt64(index))
            } else {
                try cipher.seal(&packet, aad: 0..<length, extraAAD: word, plaintext: length..<length, ssrc: ssrc, middle: UInt64(index))
            }
            packet.writeInteger(word)
        } else {
            if encrypts {
                try cipher.applyKeystream(&packet, range: Self.headerLength..<length, ssrc: ssrc, index: UInt64(index))
            }
            packet.writeInteger(word)
            cipher.appendTag(&packet, length: length + Self.trailerLength, trailer: nil, tagLength: profile.srtcpTagLength)
        }
    }

    /// Verifies and (if the E bit is set) decrypts the SRTCP packet in `packet`, leaving the
    /// plain RTCP packet. On any error the packet must be dropped; the state is unchanged.
    public mutating func unprotect(_ packet: inout ByteBuffer) throws(SRTPError) {
        do {
            try open(&packet)
            statistics.unprotected += 1
        } catch {
            statistics.record(error)
            throw error
        }
    }

    private mutating func open(_ packet: inout ByteBuffer) throws(SRTPError) {
        let length = packet.readableBytes
        let tagLength = profile.srtcpTagLength
        guard length >= Self.headerLength + Self.trailerLength + tagLength else { throw .tooShort }
        guard let b0 = packet.srtpByte(at: 0), b0 >> 6 == 2 else { throw .malformedHeader }
        let ssrc = packet.srtpUInt32(at: 4)!
        if let allowedSSRCs, !allowedSSRCs.contains(ssrc) { throw .unknownSSRC(ssrc) }
        // The plain RTCP ends before the tag and index, in whichever order the profile uses.
        let body = length - Self.trailerLength - tagLength
        let wordOffset = profile.isAEAD ? length - Self.trailerLength : body
        let word = packet.srtpUInt32(at: wordOffset)!
        let encrypted = word & 0x8000_0000 != 0, index = word & 0x7FFF_FFFF
        guard windows[ssrc]?.check(UInt64(index)) ?? true else { throw .replayed }
        if profile.isAEAD {
            if encrypted {
                try cipher.open(&packet, aad: 0..<Self.headerLength, extraAAD: word,
                                ciphertext: Self.headerLength..<body, tagOffset: body, ssrc: ssrc, middle: UInt64(index))
            } else {
                try cipher.open(&packet, aad: 0..<body, extraAAD: word, ciphertext: body..<body,
                                tagOffset: body, ssrc: ssrc, middle: UInt64(index))
            }
        } else {
            guard cipher.tagMatches(packet, length: body + Self.trailerLength, trailer: nil,
                                    tagOffset: body + Self.trailerLength, tagLength: tagLength) else {
                throw .authenticationFailed
            }
            if encrypted {
                try cipher.applyKeystream(&packet, range: Self.headerLength..<body, ssrc: ssrc, index: UInt64(index))
            }
        }
        packet.srtpTruncate(to: body)
        // In place: a copy of the window would share its bit array and make `accept` copy it.
        if windows[ssrc] != nil {
            windows[ssrc]!.accept(UInt64(index))
        } else {
            var window = ReplayWindow(width: replayWindowWidth)
            window.accept(UInt64(index))
            windows[ssrc] = window
        }
    }

    /// `true` when this context runs on CRTCCrypto rather than swift-crypto.
    var usesNativeCrypto: Bool { cipher.isNative }
}
