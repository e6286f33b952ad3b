import NIOCore
import RTCRTP
import RTCRTPStreams
import RTCSDP

/// One audio or video transceiver inside a session: what it wants (direction, sender), what
/// negotiation settled, and its RTP streams once media flows.
struct SessionTransceiver {
    let handle: Int
    let kind: RTPCodec.Kind
    var mid: String?
    var direction: MediaDirection
    var currentDirection: MediaDirection?
    var isStopped = false
    var sender: SessionMediaSender?
    /// Whether the sender ever had a track (W3C: `addTrack` reuses only transceivers whose
    /// sender never sent).
    var senderEverHadTrack = false
    /// Whether `addTrack` created it (only those may be matched to a remote offer's new m-section).
    let createdByAddTrack: Bool
    /// The media and RTX SSRCs we send with (chosen once; kept across renegotiation).
    let ssrc: UInt32
    let rtxSSRC: UInt32
    /// What the last completed negotiation settled for this mid.
    var negotiated: JSEPNegotiatedMedia?
    /// The negotiated codecs, offered again in later offers to keep their payload types.
    var negotiatedCodecs: [JSEPCodec]?
    var negotiatedExtensions: [JSEPHeaderExtension]?
    /// The sending engine, once negotiation says this side sends a codec the sender has.
    var sendStream: RTPSendStream?
    var packetizer: (any RTPPayloadFormat)?
    var sendCodec: RTPCodec?
    /// Receiving engines by the peer's media SSRC.
    var receivers: [UInt32: Receiver] = [:]
    /// The RTX SSRC → media SSRC pairs the peer declared or we learned.
    var rtxToMedia: [UInt32: UInt32] = [:]
    /// The track the peer sends, while it does.
    var remoteTrack: SessionRemoteTrack?
    var delivery: MediaDelivery = .frames
    /// The codecs this transceiver offers and accepts, in preference order (W3C
    /// `setCodecPreferences`); `nil` means every codec of the capabilities.
    var codecPreferences: [RTPCodec]?
    var statistics = SessionMediaStatistics()

    /// One receiving engine and the codec it depacketizes.
    struct Receiver {
        var stream: RTPReceiveStream
        let codec: RTPCodec
    }

    init(handle: Int, kind: RTPCodec.Kind, direction: MediaDirection, sender: SessionMediaSender?, createdByAddTrack: Bool,
         mid: String? = nil, rng: inout any RandomNumberGenerator & Sendable) {
        self.handle = handle
        self.kind = kind
        self.direction = direction
        self.sender = sender
        self.senderEverHadTrack = sender != nil
        self.createdByAddTrack = createdByAddTrack
        self.mid = mid
        var media = UInt32.random(in: 1...UInt32.max, using: &rng)
        var rtx = UInt32.random(in: 1...UInt32.max, using: &rng)
        while rtx == media { rtx = UInt32.random(in: 1...UInt32.max, using: &rng) }
        if media == rtx { media &+= 1 }
        self.ssrc = media
        self.rtxSSRC = rtx
    }

    var jsepKind: JSEPMediaKind { kind == .audio ? .audio : .video }

    /// The transceiver as JSEP writes it: the sender's codec only (every negotiated or known
    /// variant of it) when it has a track, else everything we can receive.
    func jsepTransceiver(capabilities: JSEPCapabilities, cname: String) -> JSEPTransceiver {
        var codecs = negotiatedCodecs
        if let preferences = codecPreferences {
            let all = capabilities.codecs(for: jsepKind)
            codecs = preferences.flatMap { p in all.filter { RTPCodec(encodingName: $0.name) == p } }
        }
        if let codec = sender?.codec {
            let all = codecs ?? capabilities.codecs(for: jsepKind)
            let matching = all.filter { RTPCodec(encodingName: $0.name) == codec }
            codecs = matching.isEmpty ? capabilities.codecs(for: jsepKind).filter { RTPCodec(encodingName: $0.name) == codec } : matching
        }
        let jsepSender = sender.map {
            JSEPSender(trackID: $0.trackID, streamIDs: $0.streamIDs, ssrc: ssrc, rtxSSRC: kind == .video ? rtxSSRC : nil, cname: cname)
        }
        return JSEPTransceiver(mid: mid ?? "", kind: jsepKind, direction: direction, isStopped: isStopped, sender: jsepSender,
                               codecs: codecs, headerExtensions: negotiatedExtensions)
    }

    var info: SessionTransceiverInfo {
        SessionTransceiverInfo(handle: handle, kind: kind, mid: mid, direction: direction, currentDirection: currentDirection,
                               isStopped: isStopped, sender: sender, sendCodec: sendCodec, ssrc: ssrc,
                               senderEverHadTrack: senderEverHadTrack)
    }

    /// The local SSRC that RTCP about received streams is sent from.
    var reportingSSRC: UInt32 { ssrc }
}
