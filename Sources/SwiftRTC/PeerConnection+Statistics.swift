import NIOCore
import RTCSession

extension PeerConnection {
    /// The connection's W3C webrtc-stats report (`getStats()`): peer-connection, transport,
    /// candidate pairs and candidates, certificates, data channels, and for media the codecs,
    /// inbound-rtp, outbound-rtp, remote-inbound-rtp and media-source entries, with W3C field
    /// names and ids that reference each other. Read from the session's counters on demand;
    /// every entry is stamped with the wall-clock time of the call.
    ///
    /// ```swift
    /// let report = await pc.statistics()
    /// print(report.selectedCandidatePair?.currentRoundTripTime ?? 0)
    /// let json = try JSONEncoder().encode(report)   // {"T01": {"type": "transport", …}, …}
    /// ```
    public func statistics() -> RTCStatsReport {
        let snapshot = driver.core.statisticsSnapshot
        // The tracks the senders have now (replaceTrack changes them without the session knowing).
        var sources: [Int: RTCStatsReport.MediaSource] = [:]
        for (handle, transceiver) in events.transceivers {
            if let track = transceiver.sender.track {
                sources[handle] = RTCStatsReport.MediaSource(trackID: track.id, framesWritten: track.kind == .video ? track.framesWritten : nil)
            }
        }
        return RTCStatsReport(snapshot, sources: sources, now: .now(), wallMilliseconds: WallClock.unixSeconds() * 1000)
    }
}
