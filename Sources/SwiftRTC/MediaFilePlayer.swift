import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCMedia

/// Plays a media file into its local tracks in real time: the edge around RTCMedia's
/// sans-IO ``MediaPacer``. One NIO timer at a time on one event loop (no task per frame, per
/// file or per connection, and nothing waiting for Swift's cooperative thread pool, which busy
/// async code elsewhere in the process could starve) fires when the next sample is due and
/// writes it to the track of its kind, which fans it out to every connection the track is on
/// — so a file sent to a whole room is read and paced once.
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
        var pacer: MediaPacer<MediaFileSource>?
        var tracks: [RTPCodec.Kind: WeakTrack] = [:]
    }
    private let state: NIOLockedValueBox<State>
    private let eventLoop: any EventLoop

    init(source: MediaFileSource, eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        path = source.path
        self.eventLoop = eventLoop
        state = NIOLockedValueBox(State(source: source))
    }

    /// Registers the track that plays the file's samples of `kind`.
    func setTrack(_ track: LocalMediaTrack, for kind: RTPCodec.Kind) {
        state.withLockedValue { $0.tracks[kind] = WeakTrack(track: track) }
    }

    /// Starts playback (once; later calls do nothing).
    func start() {
        let started: Bool = state.withLockedValue { s in
            guard s.pacer == nil, let source = s.source else { return false }
            s.source = nil
            s.pacer = MediaPacer(source: source, start: .now(), maximumLateness: .milliseconds(200))
            return true
        }
        if started { eventLoop.execute { self.tick() } }
    }

    /// The tracks still playing, by kind.
    private var liveTracks: [RTPCodec.Kind: LocalMediaTrack] {
        state.withLockedValue { s in s.tracks.compactMapValues { $0.track.flatMap { $0.isEnded ? nil : $0 } } }
    }

    /// Releases what is due, then sets the timer for the next sample (on the event loop).
    private func tick() {
        let tracks = liveTracks
        let (due, next, finished): ([(sample: MediaSample, captureTime: NIODeadline)], NIODeadline?, Bool) = state.withLockedValue { s in
            guard var pacer = s.pacer else { return ([], nil, false) }
            guard !tracks.isEmpty else {
                s.pacer = nil
                return ([], nil, false)
            }
            var due: [(sample: MediaSample, captureTime: NIODeadline)] = []
            while let sample = pacer.pollSample(now: .now()) {
                due.append((sample, pacer.start + sample.timestamp))  // start as shifted for this sample
            }
            s.pacer = pacer
            return (due, pacer.nextDeadline, pacer.isFinished)
        }
        for (sample, captureTime) in due {
            tracks[sample.kind]?.write(sample.data, isKeyFrame: sample.isKeyFrame, captureTime: captureTime)
        }
        if finished {
            for track in tracks.values { track.finishedSource() }
            return
        }
        if let next { eventLoop.scheduleTask(deadline: next) { self.tick() } }
    }
}
