import RTCCore
import RTCSDP
import RTCSession

/// The peer's `.local` host candidates. Browsers hide their host addresses behind random
/// multicast DNS names (draft-ietf-mmusic-mdns-ice-candidates) unless the page has media
/// permission; such a candidate is resolved by the process's `MDNSQuerier` (a multicast query
/// on every interface) and added with the address it resolves to. An end-of-candidates marker
/// that arrives meanwhile waits until every name pending is resolved or given up (5 s), so ICE
/// does not fail while a candidate is still on its way.
extension PeerConnection {
    /// Starts resolving `candidate` when it names a `.local` host; `true` when it did (the
    /// candidate is added later), or when it is an end-of-candidates held behind resolutions.
    func resolvingMDNS(_ candidate: ICECandidateInit) -> Bool {
        if candidate.isEndOfCandidates {
            guard mdnsResolutions > 0 else { return false }
            heldEndOfCandidates = candidate
            return true
        }
        guard configuration.resolvesMDNSCandidates, let parsed = try? ICECandidateAttribute(parsing: candidate.candidate),
              parsed.isMDNS, parsed.isUDP else { return false }
        mdnsResolutions += 1
        let name = parsed.address
        events.log.ice.debug("resolving an mDNS candidate", metadata: ["name": "\(name)"])
        Task { [weak self] in
            let address = await MDNSQuerier.shared.resolve(name)
            await self?.resolved(candidate, parsed, to: address)
        }
        return true
    }

    /// The `.local` candidates inside a remote description (a peer that does not trickle).
    func resolveMDNSCandidates(in description: SessionDescription) {
        guard configuration.resolvesMDNSCandidates, Self.containsMDNSName(description.sdp) else { return }
        var mid: String?
        var index = -1
        for line in description.sdp.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("m=") { index += 1; mid = nil }
            if line.hasPrefix("a=mid:") { mid = String(line.dropFirst(6)) }
            if line.hasPrefix("a=candidate:"), Self.containsMDNSName(line) {
                _ = resolvingMDNS(ICECandidateInit(candidate: String(line.dropFirst(2)), sdpMid: mid, sdpMLineIndex: max(index, 0)))
            }
        }
    }

    /// Whether `text` holds ".local " (an mDNS host name followed by the candidate's next
    /// field), searched in its UTF-8 bytes: every remote description passes here, and
    /// `String.contains` resolves to Foundation's here (this module imports it), a CFString
    /// search of the whole SDP.
    static func containsMDNSName(_ text: some StringProtocol) -> Bool {
        // A plain byte scan: the standard library's generic `firstRange(of:)` looked up type
        // metadata on every call and cost as much as applying the description itself.
        // '.' occurs once in the pattern, so a mismatch restarts at most one byte back.
        let pattern = mdnsSuffix
        var matched = 0
        for byte in text.utf8 {
            if byte == pattern[matched] {
                matched += 1
                if matched == pattern.count { return true }
            } else {
                matched = byte == pattern[0] ? 1 : 0
            }
        }
        return false
    }

    private static let mdnsSuffix = Array(".local ".utf8)

    private func resolved(_ candidate: ICECandidateInit, _ parsed: ICECandidateAttribute, to address: IPAddress?) {
        mdnsResolutions -= 1
        defer { releaseHeldEndOfCandidates() }
        guard !driver.isClosed else { return }
        guard let address else {
            events.log.ice.warning("an mDNS candidate did not resolve: it is ignored", metadata: ["name": "\(parsed.address)"])
            return
        }
        var resolved = parsed
        resolved.address = "\(address)"
        let init_ = ICECandidateInit(candidate: resolved.candidateString, sdpMid: candidate.sdpMid,
                                     sdpMLineIndex: candidate.sdpMLineIndex, usernameFragment: candidate.usernameFragment)
        do {
            try driver.core.addRemoteCandidate(init_, now: .now())
            events.log.ice.info("resolved an mDNS candidate", metadata: ["name": "\(parsed.address)", "address": "\(address)"])
            driver.pump()
        } catch {
            events.log.ice.warning("a resolved mDNS candidate was refused", metadata: ["name": "\(parsed.address)", "error": "\(error)"])
        }
    }

    private func releaseHeldEndOfCandidates() {
        guard mdnsResolutions == 0, let end = heldEndOfCandidates, !driver.isClosed else { return }
        heldEndOfCandidates = nil
        try? driver.core.addRemoteCandidate(end, now: .now())
        driver.pump()
    }
}
