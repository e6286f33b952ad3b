extension JSEP {
    /// Whether the local sections ask for a new offer/answer exchange, given the current local
    /// and remote descriptions — the `negotiationneeded` check (W3C webrtc-pc §4.7.3, RFC 8829
    /// §4.1.8). It is needed when:
    /// - there is no current local description and there are sections;
    /// - a section's mid is not in the local description (a transceiver or data channel added);
    /// - a stopped transceiver's m-section is still in use in the local or remote description;
    /// - a live transceiver's m-section was stopped or rejected;
    /// - a sending transceiver's `a=msid` differs from the local description's;
    /// - its direction differs: from the local offer's, or, in a local answer, from
    ///   ``MediaDirection/answer(offered:local:)`` of the remote offer's direction.
    ///
    /// Descriptions that cannot be read count as needing negotiation.
    public static func isNegotiationNeeded(sections: [JSEPLocalSection], localDescription: SDPDocument?,
                                           remoteDescription: SDPDocument?, localIsOfferer: Bool) -> Bool {
        guard let localDescription else { return !sections.isEmpty }
        guard let local = try? JSEPDescription(localDescription) else { return true }
        let remote = remoteDescription.flatMap { try? JSEPDescription($0) }
        if remoteDescription != nil, remote == nil { return true }
        for section in sections {
            guard let written = local.sections.first(where: { $0.mid == section.mid }) else {
                if case .media(let t) = section, t.isStopped { continue }
                return true
            }
            guard case .media(let transceiver) = section else {
                if written.isStopped { return true }
                continue
            }
            let remoteSection = remote?.sections.first { $0.mid == section.mid }
            if transceiver.isStopped {
                if !written.isStopped || (remoteSection.map { !$0.isStopped } ?? false) { return true }
                continue
            }
            guard case .media(let m) = written, !m.isStopped else { return true }
            if transceiver.direction.sends, let sender = transceiver.sender, m.msids != sender.msids { return true }
            if localIsOfferer {
                if m.direction != transceiver.direction { return true }
            } else if case .media(let offered)? = remoteSection {
                if m.direction != MediaDirection.answer(offered: offered.direction, local: transceiver.direction) { return true }
            }
        }
        return false
    }
}
