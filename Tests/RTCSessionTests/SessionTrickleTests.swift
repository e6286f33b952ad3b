import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// Trickle ICE (RFC 8838) through the session: descriptions leave before gathering, candidates
/// follow on their own and may reach the peer before the description does. Virtual time.
@Suite struct SessionTrickleTests {
    static func localCandidates(_ events: [SessionEvent]) -> [ICECandidateInit] {
        events.compactMap { if case .ice(.localCandidate(let c)) = $0 { c } else { nil } }
    }

    static func endOfCandidates(mid: String) -> ICECandidateInit {
        ICECandidateInit(candidate: "", sdpMid: mid, sdpMLineIndex: 0)
    }

    /// Only A's candidates are signaled, and they reach B before A's offer does. If B dropped
    /// (or refused) them, neither side would know an address to check and nothing would open:
    /// B must keep them until the offer arrives, then check A (A learns B peer-reflexively).
    @Test func candidatesThatArriveBeforeTheOfferAreKeptAndUsed() throws {
        var pair = try SessionPair()
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.a.createOffer()
        try pair.a.setLocalDescription(offer, now: pair.now)
        #expect(!offer.sdp.contains("a=candidate"))
        pair.a.addLocalAddresses([SessionPair.addressA], now: pair.now)
        pair.drain()
        let fromA = Self.localCandidates(pair.eventsA)
        #expect(fromA.count == 1)

        for candidate in fromA { try pair.b.addRemoteCandidate(candidate, now: pair.now) }
        try pair.b.addRemoteCandidate(Self.endOfCandidates(mid: "0"), now: pair.now)
        try pair.b.setRemoteDescription(offer, now: pair.now)
        let answer = try pair.b.createAnswer()
        try pair.b.setLocalDescription(answer, now: pair.now)
        pair.b.addLocalAddresses([SessionPair.addressB], now: pair.now)
        #expect(!answer.sdp.contains("a=candidate"))
        try pair.a.setRemoteDescription(answer, now: pair.now)

        pair.run(for: .seconds(10)) {
            !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty && !SessionOpensDataChannelTests.opened($0.eventsB).isEmpty
        }
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).map(\.label) == ["chat"])
        #expect(SessionOpensDataChannelTests.opened(pair.eventsB).map(\.label) == ["chat"])
        #expect(pair.b.statistics.selectedCandidatePair == "\(SessionPair.addressB) -> \(SessionPair.addressA)")
        #expect(pair.b.statistics.remoteCandidatesIgnored == 0)
    }

    /// Both sides trickle; each side's candidates reach the other before its description.
    @Test func bothSidesTrickleAheadOfTheirDescriptions() throws {
        var pair = try SessionPair()
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.a.createOffer()
        try pair.a.setLocalDescription(offer, now: pair.now)
        pair.a.addLocalAddresses([SessionPair.addressA], now: pair.now)
        pair.drain()
        for candidate in Self.localCandidates(pair.eventsA) { try pair.b.addRemoteCandidate(candidate, now: pair.now) }
        try pair.b.setRemoteDescription(offer, now: pair.now)
        let answer = try pair.b.createAnswer()
        try pair.b.setLocalDescription(answer, now: pair.now)
        pair.b.addLocalAddresses([SessionPair.addressB], now: pair.now)
        pair.drain()
        let fromB = Self.localCandidates(pair.eventsB)
        #expect(fromB.count == 1)
        for candidate in fromB { try pair.a.addRemoteCandidate(candidate, now: pair.now) }
        try pair.a.addRemoteCandidate(Self.endOfCandidates(mid: "0"), now: pair.now)
        try pair.a.setRemoteDescription(answer, now: pair.now)

        pair.run(for: .seconds(10)) {
            !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty && !SessionOpensDataChannelTests.opened($0.eventsB).isEmpty
        }
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).count == 1)
        #expect(SessionOpensDataChannelTests.opened(pair.eventsB).count == 1)
        #expect(pair.a.statistics.selectedCandidatePair == "\(SessionPair.addressA) -> \(SessionPair.addressB)")
    }

    /// A peer that hides its host address behind an mDNS name (what browsers do by default)
    /// sends a candidate we cannot resolve: it is ignored, not an error, and the connection
    /// still forms because the peer's checks reveal its address (peer-reflexive).
    @Test func anUnresolvableMDNSCandidateIsIgnoredAndThePeerIsReachedPeerReflexively() throws {
        var pair = try SessionPair()
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.a.createOffer()
        try pair.a.setLocalDescription(offer, now: pair.now)
        pair.a.addLocalAddresses([SessionPair.addressA], now: pair.now)
        pair.drain()
        try pair.b.setRemoteDescription(offer, now: pair.now)
        for candidate in Self.localCandidates(pair.eventsA) { try pair.b.addRemoteCandidate(candidate, now: pair.now) }
        let answer = try pair.b.createAnswer()
        try pair.b.setLocalDescription(answer, now: pair.now)
        pair.b.addLocalAddresses([SessionPair.addressB], now: pair.now)
        try pair.a.setRemoteDescription(answer, now: pair.now)

        let mdns = ICECandidateInit(candidate: "candidate:1 1 udp 2122260223 6d0c2b4e-41bf-4f27-9c41-1a0d9b6c3e55.local 6000 typ host generation 0",
                                    sdpMid: "0", sdpMLineIndex: 0)
        let tcp = ICECandidateInit(candidate: "candidate:2 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active", sdpMid: "0", sdpMLineIndex: 0)
        try pair.a.addRemoteCandidate(mdns, now: pair.now)
        try pair.a.addRemoteCandidate(tcp, now: pair.now)
        try pair.a.addRemoteCandidate(Self.endOfCandidates(mid: "0"), now: pair.now)
        #expect(pair.a.statistics.remoteCandidatesIgnored == 2)
        #expect(throws: SessionError.self) {
            try pair.a.addRemoteCandidate(ICECandidateInit(candidate: "candidate:garbage"), now: pair.now)
        }

        pair.run(for: .seconds(10)) {
            !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty && !SessionOpensDataChannelTests.opened($0.eventsB).isEmpty
        }
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).count == 1)
        #expect(pair.a.statistics.selectedCandidatePair == "\(SessionPair.addressA) -> \(SessionPair.addressB)")
    }

    /// An early candidate carrying another ICE generation's ufrag (RFC 8838 §11.4) is not
    /// applied when the description arrives; one without a ufrag or with the right one is.
    @Test func earlyCandidatesOfAnotherUfragAreDropped() throws {
        var pair = try SessionPair()
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.a.createOffer()
        try pair.a.setLocalDescription(offer, now: pair.now)
        pair.a.addLocalAddresses([SessionPair.addressA], now: pair.now)
        pair.drain()
        var stale = try #require(Self.localCandidates(pair.eventsA).first)
        stale.usernameFragment = "stale"
        try pair.b.addRemoteCandidate(stale, now: pair.now)
        try pair.b.setRemoteDescription(offer, now: pair.now)
        let answer = try pair.b.createAnswer()
        try pair.b.setLocalDescription(answer, now: pair.now)
        pair.b.addLocalAddresses([SessionPair.addressB], now: pair.now)
        try pair.a.setRemoteDescription(answer, now: pair.now)
        // Nobody has a usable remote candidate: nothing may connect.
        pair.run(for: .seconds(3))
        #expect(SessionOpensDataChannelTests.opened(pair.eventsB).isEmpty)
        #expect(pair.b.statistics.datagramsSent == 0)
    }

    /// Checks are already running (and failing) on a candidate nobody answers when the peer's
    /// real candidate is trickled: it is paired and checked, and it connects. Only A learns
    /// candidates, so only A's checks can make the connection.
    @Test func aCandidateTrickledWhileChecksAreFailingStillConnects() throws {
        var pair = try SessionPair()
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        let offer = try pair.a.createOffer()
        try pair.a.setLocalDescription(offer, now: pair.now)
        pair.a.addLocalAddresses([SessionPair.addressA], now: pair.now)
        try pair.b.setRemoteDescription(offer, now: pair.now)
        let answer = try pair.b.createAnswer()
        try pair.b.setLocalDescription(answer, now: pair.now)
        pair.b.addLocalAddresses([SessionPair.addressB], now: pair.now)
        try pair.a.setRemoteDescription(answer, now: pair.now)
        pair.drain()
        let fromB = try #require(Self.localCandidates(pair.eventsB).first)

        let unanswered = ICECandidateInit(candidate: "candidate:9 1 udp 2130706431 10.0.0.9 7000 typ host", sdpMid: "0", sdpMLineIndex: 0)
        try pair.a.addRemoteCandidate(unanswered, now: pair.now)
        pair.run(for: .seconds(1))
        #expect(pair.eventsA.contains { if case .ice(.connectionStateChanged(.checking)) = $0 { true } else { false } })
        #expect(pair.a.statistics.selectedCandidatePair == nil)

        try pair.a.addRemoteCandidate(fromB, now: pair.now)
        // The channels may open on the valid pair before A nominates it (RFC 8445 §12.1).
        pair.run(for: .seconds(10)) {
            !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty && !SessionOpensDataChannelTests.opened($0.eventsB).isEmpty
                && $0.a.statistics.selectedCandidatePair != nil
        }
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).count == 1)
        #expect(SessionOpensDataChannelTests.opened(pair.eventsB).count == 1)
        #expect(pair.a.statistics.selectedCandidatePair == "\(SessionPair.addressA) -> \(SessionPair.addressB)")
    }
}
