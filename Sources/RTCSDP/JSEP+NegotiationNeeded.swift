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
        isNegotiationNeeded(sections: sections, local: localDescription.map(JSEPDescription.reading),
                            remote: remoteDescription.map(JSEPDescription.reading), localIsOfferer: localIsOfferer)
    }

    /// ``isNegotiationNeeded(sections:localDescription:remoteDescription:localIsOfferer:)`` with
    /// the descriptions already read for JSEP (`nil`: none; a failure: one that cannot be read),
    /// as a session keeps them.
    public static func isNegotiationNeeded(sections: [JSEPLocalSection], local localRead: Result<JSEPDescription, JSEPError>?,
                                           remote remoteRead: Result<JSEPDescription, JSEPError>?, localIsOfferer: Bool) -> Bool {
        guard let localRead else { return !sections.isEmpty }
        guard case .success(let local) = localRead else { return true }
        var remote: JSEPDescription?
        if let remoteRead {
            guard case .success(let read) = remoteRead else { return true }
            remote = read
        }
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
