import NIOConcurrencyHelpers
import NIOCore
import RTCSession

/// A track the peer sends (Ktor's remote `WebRtcMedia.Track`): an AsyncSequence of encoded
/// frames — whole, in order, repaired by NACK/RTX where the network lost packets — that ends
/// when the peer stops sending it, removes it, or the connection closes.
///
/// ```swift
/// for await event in pc.trackEvents {
///     if case .add(let track) = event {
///         for try await frame in track { print(track.kind, frame.codec, frame.frame.data.readableBytes) }
///     }
/// }
/// ```
/// Forwarders read raw RTP instead with ``rtpPackets()``. Frames not read are kept up to
/// ``bufferLimit``; beyond that the oldest are dropped and counted in ``framesDroppedUnread``.
public final class RemoteTrack: AsyncSequence, Sendable, CustomStringConvertible {
    /// Frames are what the sequence yields.
    public typealias Element = ReceivedMediaFrame
    /// The peer's track id (its `a=msid`).
    public let id: String
    /// Audio or video.
    public let kind: RTPCodec.Kind
    /// The peer's stream ids.
    public let streamIDs: [String]
    /// The transceiver's mid.
    public let mid: String
    /// How many unread frames are kept.
    public let bufferLimit: Int
    let handle: Int
    private let queue = MessageQueue<ReceivedMediaFrame>()
    private let packetSink = NIOLockedValueBox<AsyncStream<RTPPacket>.Continuation?>(nil)
    private struct State {
        var codec: RTPCodec?
        var framesReceived = 0
        var framesDroppedUnread = 0
        var ended = false
        weak var connection: PeerConnection?
    }
    private let state: NIOLockedValueBox<State>

    init(_ track: SessionRemoteTrack, connection: PeerConnection, bufferLimit: Int) {
        self.id = track.trackID
        self.kind = track.kind
        self.streamIDs = track.streamIDs
        self.mid = track.mid
        self.handle = track.handle
        self.bufferLimit = bufferLimit
        self.state = NIOLockedValueBox(State(connection: connection))
    }

    /// `RemoteTrack(video, id …, mid 1)`.
    public var description: String { "RemoteTrack(\(kind.rawValue), id \(id), mid \(mid))" }

    /// The codec of the frames, once one arrived.
    public var codec: RTPCodec? { state.withLockedValue { $0.codec } }
    /// Frames received so far.
    public var framesReceived: Int { state.withLockedValue { $0.framesReceived } }
    /// Frames dropped because nobody read them in time.
    public var framesDroppedUnread: Int { state.withLockedValue { $0.framesDroppedUnread } }
    /// Whether the track ended (its sequence finishes once read out).
    public var isEnded: Bool { state.withLockedValue { $0.ended } }
    /// Muted until media arrives, and once the track ended (W3C `muted`).
    public var isMuted: Bool { state.withLockedValue { $0.ended || $0.framesReceived == 0 } }

    /// Asks the peer for a key frame (PLI), e.g. when a recorder starts writing.
    public func requestKeyFrame() async {
        guard let c = state.withLockedValue({ $0.connection }) else { return }
        await c.requestKeyFrame(on: handle)
    }

    /// Counters of the transceiver receiving this track (packets, bytes, frames, loss, jitter).
    public func stats() async -> SessionMediaStatistics? {
        guard let c = state.withLockedValue({ $0.connection }) else { return nil }
        return await c.mediaStatistics(of: handle)
    }

    /// The track's RTP packets as they arrive (SRTP removed, before reordering), for forwarders;
    /// once asked for, frames are no longer assembled for this track. Newest 1,024 kept unread.
    public func rtpPackets() async throws -> AsyncStream<RTPPacket> {
        let (stream, sink) = AsyncStream.makeStream(of: RTPPacket.self, bufferingPolicy: .bufferingNewest(1_024))
        packetSink.withLockedValue { $0 = sink }
        guard let c = state.withLockedValue({ $0.connection }) else {
            sink.finish()
            return stream
        }
        try await c.setDelivery(.packets, on: handle)
        return stream
    }

    /// Iterates the frames until the track ends.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: MessageQueue<ReceivedMediaFrame>
        /// The next frame, or `nil` once the track ended.
        public mutating func next() async throws -> ReceivedMediaFrame? { try await queue.next() }
    }

    /// An iterator over received frames.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue) }

    func deliver(_ frame: ReceivedMediaFrame) {
        state.withLockedValue { s in
            s.codec = frame.codec
            s.framesReceived += 1
        }
        if queue.push(frame, limit: bufferLimit) {
            state.withLockedValue { $0.framesDroppedUnread += 1 }
        }
    }

    func deliver(_ packet: RTPPacket) {
        _ = packetSink.withLockedValue { $0 }?.yield(packet)
    }

    func end() {
        state.withLockedValue { s in
            s.ended = true
            s.connection = nil
        }
        queue.finish()
        packetSink.withLockedValue { $0 }?.finish()
    }
}

/// A remote track arriving or leaving (Ktor's `TrackEvent`).
public enum TrackEvent: Sendable {
    /// The peer started sending a track.
    case add(RemoteTrack)
    /// The peer's track ended (it stopped sending, removed it, or the connection closed).
    case remove(RemoteTrack)
}
