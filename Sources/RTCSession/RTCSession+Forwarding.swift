import NIOCore
import RTCRTP

extension RTCSession {
    // MARK: Forwarded RTP (an SFU's subscriber legs)

    /// Sends one RTP packet a forwarder built on a sending transceiver: its payload, marker,
    /// sequence number and timestamp go out as given (an SFU's router numbers each subscriber's
    /// stream without gaps of its own, so a gap is a loss upstream the peer may NACK); the
    /// transceiver's SSRC, negotiated payload type and header extensions (mid, transport-wide
    /// sequence number, abs-send-time) replace the packet's. The packet is cached for the
    /// peer's NACKs (answered with RTX when negotiated), counted in the sender's statistics and
    /// described by its sender reports; the peer's PLI/FIR arrive as `.keyFrameRequested`.
    ///
    /// The transceiver's sender must have a track of the packet's codec (`addTransceiver` or
    /// `setSender` with a ``SessionMediaSender``), so negotiation settles its payload type.
    ///
    /// `audioLevel` goes out in the audio level extension (RFC 6464)
    /// when the sender asked for it (``SessionMediaSender/sendsAudioLevel``) and it was negotiated.
    ///
    /// - Throws: `.unknownTransceiver`; `.mediaNotSending` when negotiation has not (yet)
    ///   settled a sending direction with the sender's codec, or SRTP keys are not there yet
    ///   (the packet is dropped).
    public mutating func sendRTP(_ packet: RTPPacket, on handle: Int, audioLevel: RTPAudioLevel? = nil,
                                 now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        guard let i = transceiverIndex(handle) else { throw .unknownTransceiver(handle) }
        guard transceivers[i].sendStream != nil, srtpOut != nil else { throw .mediaNotSending(handle) }
        transceivers[i].sendStream!.sendPayload(packet.payload, sequenceNumber: packet.header.sequenceNumber,
                                                timestamp: packet.header.timestamp, marker: packet.header.marker,
                                                audioLevel: audioLevel, now: now)
        flushSendStream(i, now: now)
        pump(now: now)
    }
}
