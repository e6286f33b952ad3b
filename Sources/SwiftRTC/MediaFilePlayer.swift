import NIOConcurrencyHelpers
import NIOCore
import RTCMedia

/// Plays a media file into its local tracks in real time: the edge around RTCMedia's
/// sans-IO ``MediaPacer``. One task per file (not per frame or per connection) sleeps until
/// the next sample is due and writes it to the track of its kind, which fans it out to every
/// connection the track is on — so a file sent to a whole room is read and paced once.
///
/// Playback starts when a sender of one of its tracks can first reach its peer and stops when the
/// file ends (unless it loops) or every one of its tracks was stopped. A pacer that falls more
/// than 200 ms behind (a stalled process) moves on from where it is instead of bursting.
final class MediaFilePlayer: Sendable {
    /// The file's path.
    let path: String
    /// Tracks are held weakly: a track the app let go of stops its part of the playback.
    private struct WeakTrack {
        weak var track: LocalMediaTrack?
    }
    private struct State {
        var source: MediaFileSource?
        var tracks: [RTPCodec.Kind: WeakTrack] = [:]
        var task: Task<Void, Never>?
    }
    private let state: NIOLockedValueBox<State>

    init(source: MediaFileSource) {
        path = source.path
        state = NIOLockedValueBox(State(source: source))
    }

    /// Registers the track that plays the file's samples of `kind`.
    func setTrack(_ track: LocalMediaTrack, for kind: RTPCodec.Kind) {
        state.withLockedValue { $0.tracks[kind] = WeakTrack(track: track) }
    }

    /// Starts playback (once; later calls do nothing).
    func start() {
        state.withLockedValue { s in
            guard s.task == nil, let source = s.source else { return }
            s.source = nil
            s.task = Task { [self] in await play(source) }
        }
    }

    /// The tracks still playing, by kind.
    private var liveTracks: [RTPCodec.Kind: LocalMediaTrack] {
        state.withLockedValue { s in s.tracks.compactMapValues { $0.track.flatMap { $0.isEnded ? nil : $0 } } }
    }

    private func play(_ source: MediaFileSource) async {
        var pacer = MediaPacer(source: source, start: .now(), maximumLateness: .milliseconds(200))
        while let deadline = pacer.nextDeadline, !Task.isCancelled {
            let wait = deadline - .now()
            if wait > .zero {
                do { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) } catch { break }
            }
            let tracks = liveTracks
            if tracks.isEmpty { break }
            while let sample = pacer.pollSample(now: .now()) {
                tracks[sample.kind]?.write(sample.data, isKeyFrame: sample.isKeyFrame,
                                            captureTime: pacer.start + sample.timestamp)
            }
        }
        if pacer.isFinished {
            for track in liveTracks.values { track.finishedSource() }
        }
    }
}
