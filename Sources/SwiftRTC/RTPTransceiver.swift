import NIOConcurrencyHelpers
import RTCSession

/// A transceiver (W3C `RTCRtpTransceiver`): a sender and, when the peer sends, a remote track,
/// on one m-section.
public final class RTPTransceiver: Sendable, CustomStringConvertible {
    let handle: Int
    /// Audio or video.
    public let kind: RTPCodec.Kind
    /// Its sender (with or without a track).
    public let sender: RTPSender
    private let connection: NIOLockedValueBox<PeerConnection?>

    init(handle: Int, kind: RTPCodec.Kind, sender: RTPSender, connection: PeerConnection) {
        self.handle = handle
        self.kind = kind
        self.sender = sender
        self.connection = NIOLockedValueBox(connection)
    }

    /// `RTPTransceiver(video, #3)`.
    public var description: String { "RTPTransceiver(\(kind.rawValue), #\(handle))" }

    /// Its state in the session: mid, directions, stopped, negotiated codec.
    public var info: SessionTransceiverInfo? {
        get async {
            guard let c = connection.withLockedValue({ $0 }) else { return nil }
            return await c.transceiverInfo(handle)
        }
    }

    /// Changes the wished direction (takes effect with the next negotiation).
    public func setDirection(_ direction: MediaDirection) async throws {
        guard let c = connection.withLockedValue({ $0 }) else { throw WebRTCError.closed }
        try await c.setDirection(direction, of: handle)
    }

    /// Restricts and orders the codecs this transceiver offers and accepts (W3C
    /// `setCodecPreferences`), e.g. `[.h264]` to receive H.264 only; empty restores all.
    /// Takes effect with the next offer or answer.
    public func setCodecPreferences(_ codecs: [RTPCodec]) async throws {
        guard let c = connection.withLockedValue({ $0 }) else { throw WebRTCError.closed }
        try await c.setCodecPreferences(codecs, of: handle)
    }

    /// Stops the transceiver for good: sending ends, the remote track ends, its m-section is
    /// rejected in the next offer.
    public func stop() async throws {
        guard let c = connection.withLockedValue({ $0 }) else { throw WebRTCError.closed }
        try await c.stopTransceiver(handle)
    }

    func detach() { connection.withLockedValue { $0 = nil } }
}
