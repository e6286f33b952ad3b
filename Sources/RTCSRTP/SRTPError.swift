/// Why a packet could not be protected or unprotected. Every dropped packet has exactly one of
/// these reasons, so a receiver can count them.
public enum SRTPError: Error, Sendable, Equatable, Hashable {
    /// The packet is shorter than its header, trailer and tag need.
    case tooShort
    /// The RTP or RTCP header is not version 2, or its length fields overrun the packet.
    case malformedHeader
    /// The authentication tag (HMAC-SHA1 or AES-GCM) did not verify: forged, corrupted or
    /// protected with another key.
    case authenticationFailed
    /// The packet index was already accepted, or is too old for the replay window
    /// (RFC 3711 §3.3.2), or lies before the first rollover (index estimation gave ROC −1).
    case replayed
    /// The SSRC is not one this context was told to accept.
    case unknownSSRC(UInt32)
    /// The master or session key or salt does not have the profile's length.
    case invalidKeyLength
    /// The rollover counter (2^32) or SRTCP index (2^31) is exhausted: the session must be
    /// rekeyed (RFC 3711 §9.2).
    case indexExhausted
}
