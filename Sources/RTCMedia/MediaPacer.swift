import NIOCore

/// Releases a source's samples in real time without reading a clock: a sample with timestamp
/// *t* is due at `start + t`. The caller passes `now` and sleeps until ``nextDeadline``.
///
/// ```swift
/// var pacer = MediaPacer(source: try MediaFileSource(path: "clip.webm", loops: true), start: now)
/// while let deadline = pacer.nextDeadline {
///     try await sleep(until: deadline)
///     for sample in pacer.dueSamples(now: .now()) { send(sample) }
/// }
/// ```
///
/// A caller that falls behind gets every overdue sample at once. With ``maximumLateness`` the
/// pacer instead moves its start forward when a sample is later than that, so playback
/// resumes from there at normal speed rather than in a burst.
public struct MediaPacer<Source: MediaSampleSource & Sendable>: Sendable {
    /// The source the samples come from.
    public private(set) var source: Source
    /// When timestamp 0 is due (moved forward when ``maximumLateness`` applies).
    public private(set) var start: NIODeadline
    /// How late a sample may be released before the pacer shifts its start instead; nil
    /// releases overdue samples as a burst.
    public let maximumLateness: TimeAmount?
    /// Samples released so far.
    public private(set) var releasedCount = 0
    private var upcoming: MediaSample?

    /// Paces `source` from `start`.
    public init(source: Source, start: NIODeadline, maximumLateness: TimeAmount? = nil) {
        self.source = source
        self.start = start
        self.maximumLateness = maximumLateness
        upcoming = self.source.nextSample()
    }

    /// When the next sample is due, or nil when the source has no more.
    public var nextDeadline: NIODeadline? {
        upcoming.map { start + $0.timestamp }
    }

    /// Whether the source has run out.
    public var isFinished: Bool { upcoming == nil }

    /// The next sample if it is due at `now`, else nil.
    public mutating func pollSample(now: NIODeadline) -> MediaSample? {
        guard let sample = upcoming else { return nil }
        let due = start + sample.timestamp
        guard due <= now else { return nil }
        if let maximumLateness, now - due > maximumLateness { start = start + (now - due) }
        upcoming = source.nextSample()
        releasedCount += 1
        return sample
    }

    /// Every sample due at `now`, in order.
    public mutating func dueSamples(now: NIODeadline) -> [MediaSample] {
        var due: [MediaSample] = []
        while let sample = pollSample(now: now) { due.append(sample) }
        return due
    }
}
