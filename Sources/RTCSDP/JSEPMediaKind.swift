/// The media type of an m-section as JSEP uses it (RFC 8866 §5.14, RFC 8829 §5.2.1):
/// RTP audio, RTP video, or the `application` section that carries data channels.
public enum JSEPMediaKind: String, Hashable, Sendable, CaseIterable {
    /// `m=audio` — RTP audio.
    case audio
    /// `m=video` — RTP video.
    case video
    /// `m=application` — data channels over SCTP (RFC 8841).
    case application

    /// Whether this kind is carried in RTP (audio or video).
    public var isRTP: Bool { self != .application }
}
