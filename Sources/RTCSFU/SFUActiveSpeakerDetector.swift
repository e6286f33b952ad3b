import NIOCore

/// How ``SFUActiveSpeakerDetector`` decides.
public struct SFUActiveSpeakerConfiguration: Hashable, Sendable {
    /// The window levels are averaged over; a decision is taken when a window ends.
    public var window: TimeAmount = .milliseconds(300)
    /// The least average loudness (127 − level in −dBov, RFC 6464 §3) that counts as speech:
    /// 127 − 60, about −60 dBov. Below it a member is silent.
    public var speechThreshold = 67
    /// How much louder, on average, a challenger must be than the current speaker.
    public var margin = 6
    /// How many windows in a row a challenger must win before it becomes the speaker (so a
    /// cough does not switch the room).
    public var windowsToSwitch = 2

    /// 300 ms windows, −60 dBov, 6 dB margin, two windows.
    public init() {}
}

/// Finds a room's dominant speaker from its members' audio levels (the client-to-mixer audio
/// level header extension, RFC 6464), sans-IO: levels and `now` in, a change of speaker out.
///
/// Each member's loudness (127 − level) is averaged over a window (a member without a packet
/// in the window counts as silent). When a window ends, the loudest member above the speech
/// threshold challenges the current speaker; it takes over when it was louder by the margin
/// for enough windows in a row, or at once when the current speaker is silent. With nobody
/// above the threshold for enough windows, the room has no speaker.
public struct SFUActiveSpeakerDetector<Member: Hashable & Sendable>: Sendable {
    /// The configuration.
    public let configuration: SFUActiveSpeakerConfiguration
    /// The dominant speaker now.
    public private(set) var speaker: Member?

    private var sums: [Member: (total: Int, count: Int)] = [:]
    private var windowEnd: NIODeadline?
    private var challenger: Member??
    private var wins = 0

    /// A detector with no speaker.
    public init(configuration: SFUActiveSpeakerConfiguration = SFUActiveSpeakerConfiguration()) {
        self.configuration = configuration
    }

    /// Takes one packet's audio level (−dBov, 0 loudest … 127 silence) from `member`; returns
    /// the new speaker (`.some(nil)` for nobody) when the window that ended at `now` changed it.
    public mutating func observe(_ member: Member, level: UInt8, now: NIODeadline) -> Member?? {
        var changed: Member?? = nil
        if let end = windowEnd, now >= end {
            changed = decide()
            windowEnd = now + configuration.window
        } else if windowEnd == nil {
            windowEnd = now + configuration.window
        }
        let loudness = 127 - Int(min(level, 127))
        sums[member, default: (0, 0)].total += loudness
        sums[member, default: (0, 0)].count += 1
        return changed
    }

    /// Forgets a member (it left); returns `.some(nil)` when it was the speaker.
    public mutating func remove(_ member: Member) -> Member?? {
        sums[member] = nil
        if challenger == .some(member) { challenger = nil; wins = 0 }
        guard speaker == member else { return nil }
        speaker = nil
        return .some(nil)
    }

    private mutating func decide() -> Member?? {
        var loudest: (member: Member, average: Int)?
        var current = 0
        for (member, sum) in sums where sum.count > 0 {
            let average = sum.total / sum.count
            if member == speaker { current = average }
            if loudest.map({ average > $0.average }) ?? true { loudest = (member, average) }
        }
        sums.removeAll(keepingCapacity: true)
        let candidate: Member?
        if let loudest, loudest.average >= configuration.speechThreshold {
            candidate = loudest.member
            if candidate == speaker { challenger = nil; wins = 0; return nil }
            if speaker != nil, current >= configuration.speechThreshold,
               loudest.average < current + configuration.margin {
                challenger = nil; wins = 0
                return nil
            }
        } else {
            candidate = nil
            if speaker == nil { challenger = nil; wins = 0; return nil }
        }
        if challenger == .some(candidate) { wins += 1 } else { challenger = .some(candidate); wins = 1 }
        // A silent speaker gives way at once to someone speaking.
        let silentSpeaker = speaker != nil && current < configuration.speechThreshold && candidate != nil
        guard wins >= configuration.windowsToSwitch || silentSpeaker else { return nil }
        speaker = candidate
        challenger = nil
        wins = 0
        return .some(candidate)
    }
}
