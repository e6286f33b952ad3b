/// A W3C webrtc-stats report (`RTCStatsReport`): the entries of one connection by id, from
/// ``PeerConnection/statistics()``.
///
/// Entries reference each other by id (`transport.selectedCandidatePairId` names a
/// `candidate-pair`, whose `localCandidateId` names a `local-candidate`, …). It encodes as one
/// JSON object from id to entry, the shape of `Object.fromEntries(await pc.getStats())` in a
/// browser:
///
/// ```swift
/// let report = await pc.statistics()
/// for pair in report.entries(ofType: .candidatePair) where pair.nominated == true {
///     print(pair.currentRoundTripTime ?? 0)
/// }
/// let json = try JSONEncoder().encode(report)
/// ```
public struct RTCStatsReport: Codable, Sendable, Hashable {
    /// Every entry by its id.
    public var stats: [String: RTCStats]

    /// A report of these entries.
    public init(_ entries: [RTCStats] = []) {
        stats = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The entry with `id`.
    public subscript(id: String) -> RTCStats? { stats[id] }

    /// The entries of one type, ordered by id.
    public func entries(ofType type: RTCStatsType) -> [RTCStats] {
        stats.values.filter { $0.type == type }.sorted { $0.id < $1.id }
    }

    /// The transport entry (there is one: everything is bundled).
    public var transport: RTCStats? { entries(ofType: .transport).first }

    /// The selected candidate pair, when there is one.
    public var selectedCandidatePair: RTCStats? { transport?.selectedCandidatePairId.flatMap { stats[$0] } }

    /// Decodes a JSON object from id to entry.
    public init(from decoder: any Decoder) throws {
        stats = try decoder.singleValueContainer().decode([String: RTCStats].self)
    }

    /// Encodes as a JSON object from id to entry.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(stats)
    }
}
