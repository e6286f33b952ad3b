import NIOConcurrencyHelpers
import NIOCore
import RTCSession

/// The sending half of a transceiver (W3C `RTCRtpSender`, Ktor's `RtpSender`): which local
/// track it sends, switchable with ``replaceTrack(_:)`` without renegotiation.
public final class RTPSender: Sendable, CustomStringConvertible {
    /// The transceiver this sender belongs to (its handle in the session).
    let handle: Int
    /// Audio or video.
    public let kind: RTPCodec.Kind
    private struct State {
        var track: LocalMediaTrack?
        weak var connection: PeerConnection?
        /// Video starts (and restarts after a switch) at a key frame, so the peer can decode.
        var waitingForKeyFrame = true
        var framesDroppedBeforeKeyFrame = 0
        /// Negotiation settled on a codec for this sender.
        var negotiated = false
        /// Negotiated and the connection is up: frames reach the peer.
        var canSend = false
    }
    private let state: NIOLockedValueBox<State>

    init(handle: Int, kind: RTPCodec.Kind, connection: PeerConnection) {
        self.handle = handle
        self.kind = kind
        self.state = NIOLockedValueBox(State(connection: connection))
    }

    /// `RTPSender(video, track …)`.
    public var description: String { "RTPSender(\(kind.rawValue), track \(track?.id ?? "none"))" }

    /// The track being sent, or `nil`.
    public var track: LocalMediaTrack? { state.withLockedValue { $0.track } }

    /// Sends `track` instead of the current one, at once and without renegotiation (W3C
    /// `replaceTrack`, the screen-share switch): same SSRC, RTP timestamps and sequence numbers
    /// run on, and video resumes at the new track's next key frame. `nil` sends nothing.
    ///
    /// - Throws: `WebRTCError.invalidTrack` when the new track's kind or codec differs from
    ///   what was negotiated for this sender (a different codec needs `removeTrack`/`addTrack`
    ///   and a new offer).
    public func replaceTrack(_ track: LocalMediaTrack?) async throws {
        if let track {
            guard track.kind == kind else {
                throw WebRTCError.invalidTrack("a \(track.kind.rawValue) track cannot replace a \(kind.rawValue) sender's")
            }
            if let current = self.track, current.codec != track.codec {
                throw WebRTCError.invalidTrack("replaceTrack keeps the negotiated codec \(current.codec); \(track.codec) needs removeTrack, addTrack and a new offer")
            }
        }
        setTrack(track)
        if let track, let connection = state.withLockedValue({ $0.connection }) {
            try await connection.senderTrackReplaced(handle: handle, track: track)
        }
    }

    func setTrack(_ track: LocalMediaTrack?) {
        let old: LocalMediaTrack? = state.withLockedValue { s in
            defer {
                s.track = track
                s.waitingForKeyFrame = kind == .video
            }
            return s.track
        }
        if old !== track {
            old?.detach(self)
            track?.attach(self)
            if state.withLockedValue({ $0.canSend }) { track?.senderCanSend() }
        }
    }

    /// Sending (re)started after negotiation: wait for a key frame and ask the track for one.
    func restartAtKeyFrame() {
        let track: LocalMediaTrack? = state.withLockedValue { s in
            s.waitingForKeyFrame = kind == .video
            s.negotiated = true
            return s.track
        }
        track?.requestKeyFrame()
    }

    /// Whether negotiation settled on a codec for this sender.
    var isNegotiated: Bool { state.withLockedValue { $0.negotiated } }

    /// Negotiated and connected: what the track writes now reaches the peer, so a file track
    /// starts playing (from its beginning, for the first connection it is on).
    func canSend() {
        let track: LocalMediaTrack? = state.withLockedValue { s in
            s.canSend = true
            return s.track
        }
        track?.senderCanSend()
    }

    /// The connection closed or the track was removed: stop reading the track.
    func detach() {
        let track: LocalMediaTrack? = state.withLockedValue { s in
            defer {
                s.track = nil
                s.connection = nil
                s.canSend = false
            }
            return s.track
        }
        track?.detach(self)
    }

    /// Frames skipped while waiting for a key frame (after joining or a switch).
    public var framesDroppedBeforeKeyFrame: Int { state.withLockedValue { $0.framesDroppedBeforeKeyFrame } }

    /// Hands a frame of the track to the connection, on its event loop (no task per frame).
    func deliver(_ frame: ByteBuffer, isKeyFrame: Bool, captureTime: NIODeadline, audioLevel: RTPAudioLevel?) {
        let connection: PeerConnection? = state.withLockedValue { s in
            if s.waitingForKeyFrame {
                guard isKeyFrame else {
                    s.framesDroppedBeforeKeyFrame += 1
                    return nil
                }
                s.waitingForKeyFrame = false
            }
            return s.connection
        }
        guard let connection else { return }
        let handle = self.handle
        connection.eventLoop.execute {
            connection.assumeIsolated { $0.sendFrame(frame, on: handle, captureTime: captureTime, audioLevel: audioLevel) }
        }
    }

    /// Hands a forwarded RTP packet of the track to the connection, on its event loop. No key-frame
    /// gating: the forwarder starts and switches its streams at key frames itself.
    func deliver(_ packet: RTPPacket) {
        guard let connection = state.withLockedValue({ $0.connection }) else { return }
        let handle = self.handle
        connection.eventLoop.execute {
            connection.assumeIsolated { $0.sendRTP(packet, on: handle) }
        }
    }

    /// Frames that must start over at a key frame (the connection could not send the last one).
    func needKeyFrame() {
        state.withLockedValue { s in s.waitingForKeyFrame = kind == .video }
    }
}
