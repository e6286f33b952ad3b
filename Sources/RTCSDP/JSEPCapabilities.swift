/// What this endpoint can send and receive, per media kind: the codecs (with the payload types
/// an offer of ours uses) and the header extensions (with the ids an offer of ours uses).
///
/// An answer keeps the offerer's payload types and extension ids and takes from here only the
/// codecs' format parameters and feedback (RFC 8829 §5.3.1).
public struct JSEPCapabilities: Hashable, Sendable {
    /// Audio codecs in preference order.
    public var audioCodecs: [JSEPCodec]
    /// Video codecs in preference order, each with its RTX payload type.
    public var videoCodecs: [JSEPCodec]
    /// Header extensions for audio sections.
    public var audioExtensions: [JSEPHeaderExtension]
    /// Header extensions for video sections.
    public var videoExtensions: [JSEPHeaderExtension]

    /// Creates a set of capabilities.
    public init(audioCodecs: [JSEPCodec], videoCodecs: [JSEPCodec],
                audioExtensions: [JSEPHeaderExtension], videoExtensions: [JSEPHeaderExtension]) {
        self.audioCodecs = audioCodecs
        self.videoCodecs = videoCodecs
        self.audioExtensions = audioExtensions
        self.videoExtensions = videoExtensions
    }

    /// The codecs for `kind` (none for `application`).
    public func codecs(for kind: JSEPMediaKind) -> [JSEPCodec] {
        switch kind {
        case .audio: return audioCodecs
        case .video: return videoCodecs
        case .application: return []
        }
    }

    /// The header extensions for `kind` (none for `application`).
    public func headerExtensions(for kind: JSEPMediaKind) -> [JSEPHeaderExtension] {
        switch kind {
        case .audio: return audioExtensions
        case .video: return videoExtensions
        case .application: return []
        }
    }

    /// Video feedback: NACK, PLI, FIR, REMB and transport-wide CC (RFC 4585, RFC 5104).
    public static let videoFeedback: [JSEPFeedback] = [.remb, .transportCC, .fir, .nack, .pli]

    /// Opus/48000/2 with in-band FEC and 10 ms minimum packets (RFC 7587 §7), transport-wide CC.
    public static let opus = JSEPCodec(payloadType: 111, name: "opus", clockRate: 48_000, channels: 2,
                                       parameters: "minptime=10;useinbandfec=1", feedback: [.transportCC])
    /// VP8 with RTX (RFC 7741).
    public static let vp8 = JSEPCodec(payloadType: 96, name: "VP8", clockRate: 90_000, feedback: videoFeedback, rtxPayloadType: 97)
    /// VP9 profile 0 with RTX (RFC 9628).
    public static let vp9 = JSEPCodec(payloadType: 98, name: "VP9", clockRate: 90_000, parameters: "profile-id=0",
                                      feedback: videoFeedback, rtxPayloadType: 99)

    /// H.264 with `packetization-mode=1` and `profile-level-id` `profileLevelID`, with RTX (RFC 6184).
    public static func h264(payloadType: UInt8, rtxPayloadType: UInt8, profileLevelID: String) -> JSEPCodec {
        JSEPCodec(payloadType: payloadType, name: "H264", clockRate: 90_000,
                  parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=\(profileLevelID)",
                  feedback: videoFeedback, rtxPayloadType: rtxPayloadType)
    }

    /// The profiles browsers offer: Baseline, Constrained Baseline, Main (level 3.1), and High.
    public static let h264Codecs: [JSEPCodec] = [
        h264(payloadType: 102, rtxPayloadType: 103, profileLevelID: "42001f"),
        h264(payloadType: 108, rtxPayloadType: 109, profileLevelID: "42e01f"),
        h264(payloadType: 116, rtxPayloadType: 117, profileLevelID: "4d001f"),
        h264(payloadType: 112, rtxPayloadType: 113, profileLevelID: "64001f"),
    ]

    /// AV1 (profile 0) with RTX, at Chromium's payload types (AV1 RTP specification §7).
    public static let av1 = JSEPCodec(payloadType: 45, name: "AV1", clockRate: 90_000, feedback: videoFeedback, rtxPayloadType: 46)

    /// The defaults: Opus; VP8, VP9, H.264 and AV1 each with RTX; the extensions `sdes:mid`,
    /// `rtp-stream-id`, `repaired-rtp-stream-id`, `abs-send-time`, transport-wide CC, and
    /// `ssrc-audio-level` for audio — with Chromium's ids, so one URI has one id in a BUNDLE.
    public static let `default` = JSEPCapabilities(
        audioCodecs: [opus],
        videoCodecs: [vp8, vp9] + h264Codecs + [av1],
        audioExtensions: [
            JSEPHeaderExtension(id: 1, uri: JSEPHeaderExtension.audioLevelURI),
            JSEPHeaderExtension(id: 2, uri: JSEPHeaderExtension.absoluteSendTimeURI),
            JSEPHeaderExtension(id: 3, uri: JSEPHeaderExtension.transportWideCCURI),
            JSEPHeaderExtension(id: 4, uri: JSEPHeaderExtension.midURI),
        ],
        videoExtensions: [
            JSEPHeaderExtension(id: 2, uri: JSEPHeaderExtension.absoluteSendTimeURI),
            JSEPHeaderExtension(id: 3, uri: JSEPHeaderExtension.transportWideCCURI),
            JSEPHeaderExtension(id: 4, uri: JSEPHeaderExtension.midURI),
            JSEPHeaderExtension(id: 10, uri: JSEPHeaderExtension.ridURI),
            JSEPHeaderExtension(id: 11, uri: JSEPHeaderExtension.repairedRIDURI),
        ])
}
