import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCSFU
import RTCTestSupport
import Testing

/// An `SFUCore`'s rooms, sans-IO, with `RTCSession`s playing the members (descriptions only,
/// no datagrams): a room over its member limit refuses with a typed error; a member's offer that
/// crosses the server's renegotiation offer (glare) makes the server roll its own back, answer,
/// and offer again once stable — perfect negotiation with the server as the polite peer.
@Suite struct SFURoomNegotiatesPolitelyAndLimitsMembersTests {
    static let t0 = NIODeadline.virtualStart
    static let room = SFURoomID("r")

    static func roomEvents(_ core: inout SFUCore) -> [SFURoomEvent] {
        var out: [SFURoomEvent] = []
        while let event = core.pollEvent() { if case .room(let e) = event { out.append(e) } }
        while core.pollTransmit() != nil {}
        return out
    }

    /// A member session sending one track of `codec`.
    static func member(_ certificate: DTLSCertificate, sending codec: RTPCodec) throws -> RTCSession {
        var member = RTCSession(certificate: certificate)
        member.addLocalAddresses([TransportAddress(ip: IPAddress("10.99.0.2")!, port: 6000)], now: t0)
        _ = try member.addTransceiver(kind: codec.kind, direction: .sendonly,
                                      sender: SessionMediaSender(trackID: "t", streamIDs: ["s"], codec: codec), now: t0)
        return member
    }

    static func server(_ core: inout SFUCore, _ certificate: DTLSCertificate) -> SFUSessionKey {
        var session = RTCSession(certificate: certificate)
        session.addLocalAddresses([TransportAddress(ip: IPAddress("10.99.0.1")!, port: 4000)], now: t0)
        return core.addSession(session, now: t0)
    }

    @Test func aRoomOverItsLimitRefusesWithATypedError() throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var configuration = SFURoomConfiguration()
        configuration.maximumMembers = 2
        var core = SFUCore(rooms: configuration, rng: SeededRandom(seed: 1))
        let keys = (0..<3).map { _ in Self.server(&core, certificate) }
        try core.join(keys[0], room: Self.room, now: Self.t0)
        try core.join(keys[1], room: Self.room, now: Self.t0)
        #expect(throws: SFUCoreError.roomFull(Self.room, limit: 2)) { try core.join(keys[2], room: Self.room, now: Self.t0) }
        #expect(throws: SFUCoreError.alreadyInRoom(keys[0], Self.room)) { try core.join(keys[0], room: Self.room, now: Self.t0) }
        #expect(throws: SFUCoreError.unknownSession(SFUSessionKey(rawValue: 99))) {
            try core.join(SFUSessionKey(rawValue: 99), room: Self.room, now: Self.t0)
        }
        // Another room is not full; a leaver makes room.
        try core.join(keys[2], room: SFURoomID("other"), now: Self.t0)
        core.leave(keys[1], now: Self.t0)
        #expect(core.members(of: Self.room) == [keys[0]])
        #expect(core.room(of: keys[1]) == nil)
    }

    @Test func aCrossingOfferRollsTheServersBackAndItOffersAgain() throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var core = SFUCore(rng: SeededRandom(seed: 2))
        let t = Self.t0

        // Member 1 joins with video; member 2 joins with video.
        var m1 = try Self.member(certificate, sending: .vp8)
        let s1 = Self.server(&core, certificate)
        try core.join(s1, room: Self.room, now: t)
        let offer1 = try m1.createOffer()
        try m1.setLocalDescription(offer1, now: t)
        try core.handleRemoteDescription(try #require(m1.localDescription), from: s1, now: t)
        var events = Self.roomEvents(&core)
        let answers = events.compactMap { e -> SessionDescription? in if case .answer(s1, let d) = e { d } else { nil } }
        #expect(answers.count == 1, "\(events)")
        let answer1 = try #require(answers.first)
        try m1.setRemoteDescription(answer1, now: t)
        #expect(events.contains { if case .published(Self.room, s1, _, .video) = $0 { true } else { false } })

        var m2 = try Self.member(certificate, sending: .vp8)
        let s2 = Self.server(&core, certificate)
        try core.join(s2, room: Self.room, now: t)
        try m2.setLocalDescription(try m2.createOffer(), now: t)
        try core.handleRemoteDescription(try #require(m2.localDescription), from: s2, now: t)
        events = Self.roomEvents(&core)
        // The server answers member 2 first, then offers it member 1's track, and offers member
        // 1 member 2's track.
        let kinds = events.compactMap { e -> String? in
            switch e {
            case .answer(let k, _): "answer \(k == s1 ? 1 : 2)"
            case .offer(let k, _): "offer \(k == s1 ? 1 : 2)"
            default: nil
            }
        }
        #expect(kinds == ["answer 2", "offer 2", "offer 1"] || kinds == ["answer 2", "offer 1", "offer 2"], "\(kinds)")
        #expect(core.sessions.session(s1)?.signalingState == .haveLocalOffer)

        // Glare: member 1 offers (it added audio) instead of answering. The server rolls back.
        _ = try m1.addTransceiver(kind: .audio, direction: .sendonly,
                                  sender: SessionMediaSender(trackID: "a", streamIDs: ["s"], codec: .opus), now: t)
        try m1.setLocalDescription(try m1.createOffer(), now: t)
        try core.handleRemoteDescription(try #require(m1.localDescription), from: s1, now: t)
        #expect(core.roomStatistics.rollbacks == 1)
        events = Self.roomEvents(&core)
        guard case .answer(s1, let answer2)? = events.first else { Issue.record("no answer first: \(events)"); return }
        try m1.setRemoteDescription(answer2, now: t)
        // …publishes member 1's audio to member 2, and offers member 2's video to member 1 again.
        #expect(events.contains { if case .published(Self.room, s1, _, .audio) = $0 { true } else { false } })
        let again = events.compactMap { e -> SessionDescription? in if case .offer(s1, let d) = e { d } else { nil } }
        #expect(again.count == 1, "\(events)")
        let offer = try #require(again.first)
        #expect(offer.sdp.contains("msid:member-\(s2.rawValue) "), "member 2's stream in the new offer")

        // An answer to the rolled-back offer would be ignored; the real one completes it.
        try m1.setRemoteDescription(offer, now: t)
        try m1.setLocalDescription(try m1.createAnswer(), now: t)
        try core.handleRemoteDescription(try #require(m1.localDescription), from: s1, now: t)
        #expect(core.sessions.session(s1)?.signalingState == .stable)
        #expect(core.sessions.session(s1)?.isNegotiationNeeded == false)
        #expect(m1.transceiverInfos.contains { $0.kind == .video && $0.currentDirection == .recvonly })
        events = Self.roomEvents(&core)
        #expect(!events.contains { if case .offer(s1, _) = $0 { true } else { false } }, "nothing more to offer member 1")
    }
}
