import NIOCore

/// Everything a ``RTPSendStream`` needs to know about the one RTP stream it sends; most of it is
/// negotiated in SDP (`a=ssrc`, `a=rtpmap`, `a=ssrc-group:FID`, `a=extmap`).
public struct RTPSendStreamConfiguration: Hashable, Sendable {
    /// The retransmission stream of RFC 4588 in SSRC-multiplexing mode (RFC 4588 §8): its own
    /// SSRC (`a=ssrc-group:FID media rtx`) and the `rtx` payload type whose `apt` names the
    /// media payload type.
    public struct Retransmission: Hashable, Sendable {
        /// The SSRC retransmission packets are sent with.
        public var ssrc: UInt32
        /// The RTX payload type (RFC 4588 §8.6).
        public var payloadType: UInt8

        /// Creates an RTX association (RFC 4588 §8).
        public init(ssrc: UInt32, payloadType: UInt8) {
            self.ssrc = ssrc
            self.payloadType = payloadType & 0x7F
        }
    }

    /// The local identifiers of the header extensions negotiated with `a=extmap` (RFC 8285 §5);
    /// nil means not negotiated, so not sent.
    public struct HeaderExtensions: Hashable, Sendable {
        /// The identifier of `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 9143 §15).
        public var midID: UInt8?
        /// The `mid` value sent with ``midID``; the extension is sent only when both are set.
        public var mid: String?
        /// The identifier of the transport-wide sequence number
        /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2). The stream reserves the
        /// 2-byte value in every packet; a ``TransportWideSequencer`` fills it in.
        public var transportWideSequenceNumberID: UInt8?
        /// The identifier of abs-send-time (webrtc.org); the stream writes the send time in
        /// every packet when it is polled.
        public var absoluteSendTimeID: UInt8?
        /// The identifier of the client-to-mixer audio level (RFC 6464); the stream reserves the
        /// element in every packet and writes the level given with each payload. A payload sent
        /// without a level has the element's bytes as padding (RFC 8285 §4.2): no level is made up.
        public var audioLevelID: UInt8?

        /// Creates the set of negotiated extensions; all are off by default.
        public init(midID: UInt8? = nil, mid: String? = nil, transportWideSequenceNumberID: UInt8? = nil,
                    absoluteSendTimeID: UInt8? = nil, audioLevelID: UInt8? = nil) {
            self.midID = midID
            self.mid = mid
            self.transportWideSequenceNumberID = transportWideSequenceNumberID
            self.absoluteSendTimeID = absoluteSendTimeID
            self.audioLevelID = audioLevelID
        }
    }

    /// The media SSRC (RFC 3550 §5.1).
    public var ssrc: UInt32
    /// The media payload type (RFC 3550 §5.1).
    public var payloadType: UInt8
    /// The RTP timestamp clock rate in Hz (48 000 for Opus, 90 000 for video).
    public var clockRate: Int
    /// The canonical name sent in every compound RTCP packet's SDES (RFC 3550 §6.5.1).
    public var cname: String
    /// The RTX stream, when RTX was negotiated; otherwise NACKed packets are resent as they were.
    public var retransmission: Retransmission?
    /// The header extensions to send.
    public var headerExtensions: HeaderExtensions
    /// The largest serialized RTP packet (header included, before SRTP adds its tag). The default
    /// is a 1 200-byte UDP payload less the 16 bytes of the largest SRTP tag. When RTX is
    /// negotiated, payloads are 2 bytes smaller so that retransmissions fit too.
    public var maximumPacketSize: Int
    /// How many sent packets the retransmission cache keeps.
    public var retransmissionCacheCapacity: Int
    /// How long after sending a packet can still be retransmitted.
    public var retransmissionCacheMaximumAge: TimeAmount
    /// The shortest time between two retransmissions of the same packet while no round-trip time
    /// is known; once one is, the round-trip time is used.
    public var retransmissionIntervalWithoutRTT: TimeAmount
    /// Time between two sender reports (RFC 3550 §6.2; WebRTC sends about one per second);
    /// anything below 10 ms counts as 10 ms.
    public var senderReportInterval: TimeAmount
    /// Time from the first packet to the first sender report.
    public var firstSenderReportDelay: TimeAmount
    /// The first sequence number; nil draws one at random (RFC 3550 §5.1).
    public var initialSequenceNumber: UInt16?
    /// The RTP timestamp of the first frame; nil draws one at random (RFC 3550 §5.1).
    public var initialTimestamp: UInt32?

    /// Creates a configuration; everything after `cname` has a usable default.
    public init(ssrc: UInt32, payloadType: UInt8, clockRate: Int, cname: String,
                retransmission: Retransmission? = nil, headerExtensions: HeaderExtensions = HeaderExtensions(),
                maximumPacketSize: Int = 1_184, retransmissionCacheCapacity: Int = 1_024,
                retransmissionCacheMaximumAge: TimeAmount = .seconds(1),
                retransmissionIntervalWithoutRTT: TimeAmount = .milliseconds(100),
                senderReportInterval: TimeAmount = .seconds(1), firstSenderReportDelay: TimeAmount = .milliseconds(100),
                initialSequenceNumber: UInt16? = nil, initialTimestamp: UInt32? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType & 0x7F
        self.clockRate = clockRate
        self.cname = cname
        self.retransmission = retransmission
        self.headerExtensions = headerExtensions
        self.maximumPacketSize = maximumPacketSize
        self.retransmissionCacheCapacity = retransmissionCacheCapacity
        self.retransmissionCacheMaximumAge = retransmissionCacheMaximumAge
        self.retransmissionIntervalWithoutRTT = retransmissionIntervalWithoutRTT
        self.senderReportInterval = senderReportInterval
        self.firstSenderReportDelay = firstSenderReportDelay
        self.initialSequenceNumber = initialSequenceNumber
        self.initialTimestamp = initialTimestamp
    }
}
