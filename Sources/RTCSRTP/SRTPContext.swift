import NIOCore
import RTCCore

/// Protects and unprotects RTP packets of one direction (RFC 3711 §3.3, RFC 7714 §8), in place
/// on a `ByteBuffer`: protection encrypts the payload and appends the tag; unprotection checks
/// the replay window and tag, decrypts and removes the tag.
///
/// One context per direction: the local master key protects what we send, the remote one
/// unprotects what the peer sends. The context keeps a rollover counter per SSRC for each
/// (sender side and receiver side) and, on the receiver side, a replay window.
///
/// The RTP header length (fixed header, CSRCs, extension) is parsed here, not with RTCRTP, so
/// this module needs only RTCCore.
public struct SRTPContext: Sendable {
    /// The protection profile (cipher, tag length).
    public let profile: SRTPProtectionProfile
    /// When non-`nil`, only these SSRCs are protected or unprotected; others throw
    /// `SRTPError.unknownSSRC`.
    public var allowedSSRCs: Set<UInt32>?
    /// Width of each receive-side replay window, in packets (RFC 3711 §3.3.2 asks for ≥ 64).
    public let replayWindowWidth: Int

    /// What `unprotect` accepted and dropped, per reason.
    public private(set) var statistics = SRTPStatistics()

    private let cipher: SRTPCipher
    /// Send-side counters of every SSRC but the one in `lastSendCounter`.
    private var sendCounters: [UInt32: SRTPRolloverCounter] = [:]
    /// The SSRC protected last, when there was one, and its counter (its dictionary entry may
    /// be stale).
    private var hasLastSend = false
    private var lastSendSSRC: UInt32 = 0
    private var lastSendCounter = SRTPRolloverCounter(firstSequence: 0)
    private var receiveStreams: [UInt32: ReceiveStream] = [:]

    private struct ReceiveStream: Sendable {
        var counter: SRTPRolloverCounter
        var window: ReplayWindow
    }

    /// A context keyed from one direction's master key and salt (RFC 3711 §4.3).
    public init(profile: SRTPProtectionProfile, master: SRTPMasterKey, replayWindowWidth: Int = 128) throws(SRTPError) {
        try self.init(profile: profile, keys: SRTPSessionKeys(profile: profile, master: master, rtcp: false),
                      replayWindowWidth: replayWindowWidth)
    }

    /// A context keyed directly with session keys (SDES-style keying, test vectors).
    public init(profile: SRTPProtectionProfile, keys: SRTPSessionKeys, replayWindowWidth: Int = 128) throws(SRTPError) {
        self.profile = profile
        self.replayWindowWidth = max(64, replayWindowWidth)
        cipher = try SRTPCipher(profile: profile, keys: keys)
    }

    /// `true` when this context runs on CRTCCrypto rather than swift-crypto.
    var usesNativeCrypto: Bool { cipher.isNative }

    /// The receive-side rollover counter of `ssrc`, once a packet of it authenticated.
    public func receiveRolloverCounter(ssrc: UInt32) -> SRTPRolloverCounter? { receiveStreams[ssrc]?.counter }

    /// The send-side rollover counter of `ssrc`, once a packet of it was protected.
    public func sendRolloverCounter(ssrc: UInt32) -> SRTPRolloverCounter? {
        if hasLastSend, lastSendSSRC == ssrc { return lastSendCounter }
        return sendCounters[ssrc]
    }

    /// Starts the send side of `ssrc` at a known rollover counter (e.g. when taking over a
    /// stream); without it a stream starts at ROC 0 with its first sequence number.
    public mutating func setSendRolloverCounter(_ counter: SRTPRolloverCounter, ssrc: UInt32) {
        if hasLastSend, lastSendSSRC == ssrc { hasLastSend = false }
        sendCounters[ssrc] = counter
    }

    /// Encrypts the payload of the RTP packet in `packet` and appends the tag (RFC 3711 §3.3).
    ///
    /// The packet index comes from the send-side rollover counter of its SSRC, estimated like a
    /// receiver's, so re-protecting an older sequence number (a plain retransmission) gets its
    /// original index. That reuses its keystream: retransmit the same payload only.
    /// Throws `indexExhausted` when the index cannot be formed (before the stream's first
    /// rollover, or past 2^48).
    public mutating func protect(_ packet: inout ByteBuffer) throws(SRTPError) {
        let length = packet.readableBytes
        let (header, ssrc, seq) = try Self.plainLayout(packet)
        try checkAllowed(ssrc)
        // The last SSRC's counter is kept beside the dictionary: a send context protects one or
        // two SSRCs, and one lookup and store per packet cost more than the rest of this.
        var counter: SRTPRolloverCounter
        if hasLastSend, lastSendSSRC == ssrc {
            counter = lastSendCounter
        } else {
            if hasLastSend { sendCounters[lastSendSSRC] = lastSendCounter }
            counter = sendCounters[ssrc] ?? SRTPRolloverCounter(firstSequence: seq)
        }
        guard let index = counter.estimateIndex(seq) else { throw .indexExhausted }
        counter.update(index)
        hasLastSend = true
        lastSendSSRC = ssrc
        lastSendCounter = counter
        let roc = UInt32(truncatingIfNeeded: index >> 16)
        if profile.isAEAD {
            try cipher.seal(&packet, aad: 0..<header, extraAAD: nil, plaintext: header..<length, ssrc: ssrc, middle: index)
        } else {
            try cipher.applyKeystream(&packet, range: header..<length, ssrc: ssrc, index: index)
            cipher.appendTag(&packet, length: length, trailer: roc, tagLength: profile.srtpTagLength)
        }
    }

    /// Turns an SRTP packet that this context protected back into the plain RTP packet: the
    /// tag is checked and removed and the payload decrypted, with the index the send side gave
    /// it (estimated from the send-side rollover counter, as ``protect(_:)`` does, so the packet
    /// must be among the last 2^15 of its SSRC). Nothing in the context changes: no counter,
    /// no replay window, no statistics. For a sender that keeps protected packets for
    /// retransmission and needs the plain packet back only to wrap it in RTX (RFC 4588).
    /// Throws `unknownSSRC` for an SSRC this context never protected, `authenticationFailed`
    /// when the tag does not match (the bytes are not what this context sent).
    public func recoverProtected(_ packet: inout ByteBuffer) throws(SRTPError) {
        let (header, body, ssrc, seq) = try protectedLayout(packet)
        guard let counter = sendRolloverCounter(ssrc: ssrc) else { throw .unknownSSRC(ssrc) }
        guard let index = counter.estimateIndex(seq) else { throw .indexExhausted }
        try decrypt(&packet, header: header, body: body, ssrc: ssrc, index: index)
    }

    /// Where the parts of a protected packet are: the header length, where the tag starts, the
    /// SSRC and the sequence number.
    private func protectedLayout(_ packet: ByteBuffer) throws(SRTPError) -> (header: Int, body: Int, ssrc: UInt32, seq: UInt16) {
        let length = packet.readableBytes
        guard length >= 12 + profile.srtpTagLength else { throw .tooShort }
        let body = length - profile.srtpTagLength
        let header = try Self.headerLength(packet, available: body)
        return (header, body, packet.srtpUInt32(at: 8)!, packet.srtpUInt16(at: 2)!)
    }

    /// Checks the tag after `body` and decrypts bytes `header..<body` with packet `index`, then
    /// drops the tag.
    private func decrypt(_ packet: inout ByteBuffer, header: Int, body: Int, ssrc: UInt32, index: UInt64) throws(SRTPError) {
        if profile.isAEAD {
            try cipher.open(&packet, aad: 0..<header, extraAAD: nil, ciphertext: header..<body, tagOffset: body,
                            ssrc: ssrc, middle: index)
        } else {
            guard cipher.tagMatches(packet, length: body, trailer: UInt32(truncatingIfNeeded: index >> 16),
                                    tagOffset: body, tagLength: profile.srtpTagLength) else { throw .authenticationFailed }
            try cipher.applyKeystream(&packet, range: header..<body, ssrc: ssrc, index: index)
        }
        packet.srtpTruncate(to: body)
    }

    /// Verifies and decrypts the SRTP packet in `packet`, leaving the plain RTP packet
    /// (RFC 3711 §3.3). On any error the packet must be dropped; the stream state is unchanged.
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
        let (header, body, ssrc, seq) = try protectedLayout(packet)
        try checkAllowed(ssrc)
        guard let index = receiveIndex(ssrc: ssrc, seq: seq) else { throw .replayed }
        try decrypt(&packet, header: header, body: body, ssrc: ssrc, index: index)
        // Update the stored stream in place: a copy taken out of the dictionary would share the
        // replay window's bit array and make `accept` copy it (an allocation per packet).
        if receiveStreams[ssrc] != nil {
            receiveStreams[ssrc]!.counter.update(index)
            receiveStreams[ssrc]!.window.accept(index)
        } else {
            var stream = ReceiveStream(counter: SRTPRolloverCounter(firstSequence: seq), window: ReplayWindow(width: replayWindowWidth))
            stream.counter.update(index)
            stream.window.accept(index)
            receiveStreams[ssrc] = stream
        }
    }

    /// The index `seq` of `ssrc` estimates to, if the replay window has not seen it.
    private func receiveIndex(ssrc: UInt32, seq: UInt16) -> UInt64? {
        guard let stream = receiveStreams[ssrc] else {
            return SRTPRolloverCounter(firstSequence: seq).estimateIndex(seq)
        }
        guard let index = stream.counter.estimateIndex(seq), stream.window.check(index) else { return nil }
        return index
    }

    private func checkAllowed(_ ssrc: UInt32) throws(SRTPError) {
        if let allowedSSRCs, !allowedSSRCs.contains(ssrc) { throw .unknownSSRC(ssrc) }
    }

    /// The header length, SSRC and sequence number of a plain RTP packet, read in one buffer
    /// access (each `getInteger` is a bounds- and exclusivity-checked access of its own).
    static func plainLayout(_ packet: ByteBuffer) throws(SRTPError) -> (header: Int, ssrc: UInt32, seq: UInt16) {
        let layout = packet.withUnsafeReadableBytes { bytes -> (Int, UInt32, UInt16)? in
            guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return nil }
            var length = 12 + 4 * Int(bytes[0] & 0x0F)
            guard bytes.count >= length else { return nil }
            if bytes[0] & 0x10 != 0 {
                guard bytes.count >= length + 4 else { return nil }
                length += 4 + 4 * (Int(bytes[length + 2]) << 8 | Int(bytes[length + 3]))
                guard bytes.count >= length else { return nil }
            }
            let ssrc = UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11])
            return (length, ssrc, UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        }
        guard let layout else {
            // The same errors as ``headerLength(_:available:)``.
            _ = try headerLength(packet, available: packet.readableBytes)
            throw .malformedHeader
        }
        return layout
    }

    /// The RTP header length: 12 + 4·CC, plus 4 + 4·length when X is set (RFC 3550 §5.1,
    /// §5.3.1), checked to fit in the first `available` bytes.
    static func headerLength(_ packet: ByteBuffer, available: Int) throws(SRTPError) -> Int {
        guard available >= 12, let b0 = packet.srtpByte(at: 0) else { throw .tooShort }
        guard b0 >> 6 == 2 else { throw .malformedHeader }
        var length = 12 + 4 * Int(b0 & 0x0F)
        guard available >= length else { throw .malformedHeader }
        if b0 & 0x10 != 0 {
            guard available >= length + 4, let words = packet.srtpUInt16(at: length + 2) else { throw .malformedHeader }
            length += 4 + 4 * Int(words)
            guard available >= length else { throw .malformedHeader }
        }
        return length
    }
}
