import Foundation
import NIOCore
import RTCCore
import RTCSDP
@testable import RTCSession
import RTCTestSupport
import Testing

/// ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1) through two sessions on virtual time: new
/// credentials in both descriptions, checks again, and the DTLS/SCTP association and its
/// channels carry on untouched.
@Suite struct SessionICERestartTests {
    static func iceStates(_ events: [SessionEvent]) -> [ICEConnectionState] {
        events.compactMap { if case .ice(.connectionStateChanged(let s)) = $0 { s } else { nil } }
    }

    static func ufrag(_ description: SessionDescription) -> String? {
        description.sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=ice-ufrag:") }
            .map { String($0.dropFirst("a=ice-ufrag:".count)) }
    }

    /// A pair with one channel from A, open on both sides; returns A's and B's handles.
    static func connectedPair(seed: UInt64 = 1) throws -> (SessionPair, Int, Int) {
        var pair = try SessionPair(seed: seed)
        let handle = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        try pair.negotiate()
        pair.run(for: .seconds(10)) {
            !SessionOpensDataChannelTests.opened($0.eventsA).isEmpty && !SessionOpensDataChannelTests.opened($0.eventsB).isEmpty
        }
        let atB = try #require(SessionOpensDataChannelTests.opened(pair.eventsB).first?.handle)
        return (pair, handle, atB)
    }

    /// The restart exchange, non-trickle: `aOffers` says who restarts (and offers).
    /// Returns (offer, answer).
    static func renegotiate(_ pair: inout SessionPair, aOffers: Bool) throws -> (SessionDescription, SessionDescription) {
        func on<T>(offerer: Bool, _ body: (inout RTCSession, NIODeadline) throws -> T) rethrows -> T {
            offerer == aOffers ? try pair.withA(body) : try pair.withB(body)
        }
        let offer = try on(offerer: true) { s, now in
            s.restartICE(now: now)
            try s.setLocalDescription(try s.createOffer(), now: now)
            return s.localDescription!
        }
        let answer = try on(offerer: false) { s, now in
            try s.setRemoteDescription(offer, now: now)
            try s.setLocalDescription(try s.createAnswer(), now: now)
            return s.localDescription!
        }
        try on(offerer: true) { s, now in try s.setRemoteDescription(answer, now: now) }
        return (offer, answer)
    }

    @Test(arguments: [true, false])
    func restartKeepsTheChannelAndItsOrder(offererRestarts: Bool) throws {
        var (pair, handle, _) = try Self.connectedPair()
        let ufragA = try #require(Self.ufrag(pair.a.localDescription!))
        let ufragB = try #require(Self.ufrag(pair.b.localDescription!))
        var sent: [DataChannelMessage] = []
        func send(_ text: String, _ pair: inout SessionPair) throws {
            try pair.withA { a, now in try a.send(.text(text), on: handle, now: now) }
            sent.append(.text(text))
        }
        for i in 0..<5 { try send("before \(i)", &pair) }
        pair.run(for: .seconds(2)) { SessionOpensDataChannelTests.messages($0.eventsB).count == 5 }
        let startedA = pair.eventsA.count, startedB = pair.eventsB.count

        // The side that restarts offers: A (the original offerer) or B (the original answerer).
        try send("during 0", &pair)
        let (offer, answer) = try Self.renegotiate(&pair, aOffers: offererRestarts)
        try send("during 1", &pair)
        pair.run(for: .milliseconds(20))
        try send("during 2", &pair)
        let newA = try #require(Self.ufrag(offererRestarts ? offer : answer))
        let newB = try #require(Self.ufrag(offererRestarts ? answer : offer))
        #expect(newA != ufragA && newB != ufragB)
        #expect(pair.a.statistics.iceRestarts == 1 && pair.b.statistics.iceRestarts == 1)

        pair.run(for: .seconds(10)) {
            Self.iceStates(Array($0.eventsA[startedA...])).last == .connected
                && Self.iceStates(Array($0.eventsB[startedB...])).last == .connected
        }
        let statesA = Self.iceStates(Array(pair.eventsA[startedA...]))
        let statesB = Self.iceStates(Array(pair.eventsB[startedB...]))
        #expect(statesA.contains(.checking) && statesA.last == .connected)
        #expect(statesB.contains(.checking) && statesB.last == .connected)
        // New candidates were reported under the new ufrag.
        let trickledA = SessionTrickleTests.localCandidates(Array(pair.eventsA[startedA...]))
        #expect(!trickledA.isEmpty && trickledA.allSatisfy { $0.usernameFragment == newA })

        for i in 0..<5 { try send("after \(i)", &pair) }
        pair.run(for: .seconds(5)) { SessionOpensDataChannelTests.messages($0.eventsB).count == sent.count }
        #expect(SessionOpensDataChannelTests.messages(pair.eventsB) == sent)
        // Same association: no channel opened again, the connection is connected.
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).count == 1)
        #expect(SessionOpensDataChannelTests.opened(pair.eventsB).count == 1)
        #expect(pair.eventsA.last { if case .connectionStateChanged = $0 { true } else { false } }
                .map { if case .connectionStateChanged(.connected) = $0 { true } else { false } } == true)
    }

    /// Consent fails while the link is cut (RFC 7675): ICE goes disconnected, then failed. Once
    /// the link heals, a restart brings ICE back to connected and the channel still works.
    @Test func restartAfterConsentFailureRecovers() throws {
        var (pair, handle, atB) = try Self.connectedPair(seed: 3)
        let started = pair.eventsA.count
        pair.link.conditions.loss = 1.0
        pair.run(for: .seconds(40))
        #expect(Self.iceStates(Array(pair.eventsA[started...])).suffix(2) == [.disconnected, .failed])
        #expect(Self.iceStates(pair.eventsB).last == .failed)
        #expect(SessionDataChannelLifecycleTests.closed(pair.eventsA).isEmpty)

        pair.link.conditions.loss = 0
        let restarted = pair.eventsA.count, restartedB = pair.eventsB.count
        _ = try Self.renegotiate(&pair, aOffers: true)
        pair.run(for: .seconds(10)) {
            Self.iceStates(Array($0.eventsA[restarted...])).last == .connected
                && Self.iceStates(Array($0.eventsB[restartedB...])).last == .connected
        }
        #expect(Self.iceStates(Array(pair.eventsA[restarted...])).last == .connected)
        #expect(Self.iceStates(Array(pair.eventsB[restartedB...])).last == .connected)
        try pair.withA { a, now in try a.send(.text("back"), on: handle, now: now) }
        try pair.withB { b, now in try b.send(.text("here too"), on: atB, now: now) }
        pair.run(for: .seconds(10)) {
            SessionOpensDataChannelTests.messages($0.eventsB).last == .text("back")
                && SessionOpensDataChannelTests.messages($0.eventsA).last == .text("here too")
        }
        #expect(SessionOpensDataChannelTests.messages(pair.eventsB).last == .text("back"))
        #expect(SessionOpensDataChannelTests.messages(pair.eventsA).last == .text("here too"))
        #expect(pair.eventsA.contains { if case .connectionStateChanged(.failed) = $0 { true } else { false } })
        #expect(pair.eventsA.last { if case .connectionStateChanged = $0 { true } else { false } }
                .map { if case .connectionStateChanged(.connected) = $0 { true } else { false } } == true)
    }

    static func withoutCandidates(_ d: SessionDescription) -> SessionDescription {
        let lines = d.sdp.components(separatedBy: "\r\n").filter { !$0.hasPrefix("a=candidate") && $0 != "a=end-of-candidates" }
        return SessionDescription(type: d.type, sdp: lines.joined(separator: "\r\n"))
    }

    /// Trickled restart: the restart offer carries no candidates; they follow under the new
    /// ufrag, B's reach A before B's answer (kept until it arrives), and a late candidate of
    /// the old generation is not applied.
    @Test func trickledRestartUsesOnlyTheNewGeneration() throws {
        var (pair, handle, _) = try Self.connectedPair(seed: 5)
        let oldUfragB = try #require(Self.ufrag(pair.b.localDescription!))
        let startedA = pair.eventsA.count, startedB = pair.eventsB.count
        let offer = try pair.withA { a, now in
            a.restartICE(now: now)
            #expect(a.isICERestartPending)
            let offer = try a.createOffer()
            try a.setLocalDescription(offer, now: now)
            #expect(!a.isICERestartPending)
            return offer
        }
        #expect(!offer.sdp.contains("a=candidate") && !offer.sdp.contains("a=end-of-candidates"))
        pair.drain()
        let fromA = SessionTrickleTests.localCandidates(Array(pair.eventsA[startedA...]))
        #expect(fromA.count == 1 && fromA.first?.usernameFragment == Self.ufrag(offer))
        let answer = try pair.withB { b, now in
            try b.setRemoteDescription(offer, now: now)
            let answer = try b.createAnswer()
            try b.setLocalDescription(answer, now: now)
            return answer
        }
        pair.drain()
        let fromB = SessionTrickleTests.localCandidates(Array(pair.eventsB[startedB...]))
        #expect(fromB.count == 1 && fromB.first?.usernameFragment == Self.ufrag(answer))
        // A stale candidate of B's old generation (an address B never had) arrives late.
        let stale = ICECandidateInit(candidate: "candidate:9 1 udp 2130706431 10.9.9.9 9999 typ host", sdpMid: "0",
                                     sdpMLineIndex: 0, usernameFragment: oldUfragB)
        try pair.withA { a, now in
            try a.addRemoteCandidate(stale, now: now)
            for c in fromB { try a.addRemoteCandidate(c, now: now) }
            try a.setRemoteDescription(Self.withoutCandidates(answer), now: now)
        }
        try pair.withB { b, now in for c in fromA { try b.addRemoteCandidate(c, now: now) } }
        pair.run(for: .seconds(10)) {
            Self.iceStates(Array($0.eventsA[startedA...])).last == .connected
                && Self.iceStates(Array($0.eventsB[startedB...])).last == .connected
        }
        #expect(Self.iceStates(Array(pair.eventsA[startedA...])).last == .connected)
        #expect(Self.iceStates(Array(pair.eventsB[startedB...])).last == .connected)
        #expect(pair.a.statistics.selectedCandidatePair == "\(SessionPair.addressA) -> \(SessionPair.addressB)")
        // The stale candidate was never given to the agent; B's trickled one was.
        #expect(!pair.a.ice.remoteCandidates.contains { $0.address.description.hasPrefix("10.9.9.9") })
        #expect(pair.a.ice.remoteCandidates.contains { $0.address == SessionPair.addressB })
        try pair.withA { a, now in try a.send(.text("new generation"), on: handle, now: now) }
        pair.run(for: .seconds(2)) { SessionOpensDataChannelTests.messages($0.eventsB).last == .text("new generation") }
        #expect(SessionOpensDataChannelTests.messages(pair.eventsB).last == .text("new generation"))
    }

    /// A restart offer rolled back before the peer saw it: the old credentials come back and
    /// ICE checks again with them, instead of waiting forever for an answer.
    @Test func rollingBackARestartOfferRestoresTheOldCredentials() throws {
        var (pair, handle, _) = try Self.connectedPair(seed: 7)
        let oldUfrag = try #require(Self.ufrag(pair.a.localDescription!))
        let started = pair.eventsA.count
        try pair.withA { a, now in
            a.restartICE(now: now)
            try a.setLocalDescription(try a.createOffer(), now: now)
        }
        #expect(Self.ufrag(pair.a.localDescription!) != oldUfrag)
        try pair.withA { a, now in try a.setLocalDescription(SessionDescription(type: .rollback, sdp: ""), now: now) }
        #expect(pair.a.signalingState == .stable)
        #expect(Self.ufrag(pair.a.localDescription!) == oldUfrag)
        pair.run(for: .seconds(10)) { Self.iceStates(Array($0.eventsA[started...])).last == .connected }
        let states = Self.iceStates(Array(pair.eventsA[started...]))
        #expect(states.contains(.checking) && states.last == .connected)
        try pair.withA { a, now in try a.send(.text("still here"), on: handle, now: now) }
        pair.run(for: .seconds(2)) { SessionOpensDataChannelTests.messages($0.eventsB).last == .text("still here") }
        #expect(SessionOpensDataChannelTests.messages(pair.eventsB).last == .text("still here"))
        // Consent keeps running on the restored pair: no failure 40 s later.
        pair.run(for: .seconds(40))
        #expect(Self.iceStates(Array(pair.eventsA[started...])).last == .connected)
    }
}
