import Foundation
import NIOCore
import RTCSession
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

@Suite("Signaling hub: typed errors, limits and authentication")
struct SignalingHubRejectsTests {
    @Test func duplicatePeerIDInRoom() {
        var h = HubHarness()
        h.join(1, "alice")
        #expect(h.join(2, "alice").errorCode == .duplicatePeerID)
        #expect(h.hub.peers(in: "r") == ["alice"])
    }

    @Test func secondJoinOnOneConnection() {
        var h = HubHarness()
        h.join(1, "alice")
        #expect(h.send(1, .join(peerID: "alice2", roomID: "r2")).errorCode == .alreadyJoined)
    }

    @Test func roomFull() {
        var h = HubHarness(SignalingHubConfiguration(maxRoomSize: 2))
        h.join(1, "a")
        h.join(2, "b")
        #expect(h.join(3, "c").errorCode == .roomFull)
        #expect(h.join(4, "d", room: "other").errorCode == nil)
    }

    @Test func unknownTargetAndSelfTarget() {
        var h = HubHarness()
        h.join(1, "alice")
        #expect(h.send(1, .offer(.init(type: .offer, sdp: "v=0"), target: "nobody")).errorCode == .unknownTarget)
        #expect(h.send(1, .offer(.init(type: .offer, sdp: "v=0"), target: "alice")).errorCode == .unknownTarget)
        #expect(h.send(1, #"{"type":"offer","offer":{"type":"offer","sdp":""}}"#).errorCode == .invalidMessage)
    }

    @Test func messagesBeforeJoin() {
        var h = HubHarness()
        h.connect(1)
        #expect(h.send(1, .offer(.init(type: .offer, sdp: "v=0"), target: "x")).errorCode == .notJoined)
        #expect(h.send(1, .iceCandidate(.init(candidate: ""), target: "x")).errorCode == .notJoined)
        #expect(h.send(1, .leave).errorCode == .notJoined)
        // The connection stays usable.
        #expect(h.send(1, .join(peerID: "a", roomID: "r")).errorCode == nil)
    }

    @Test func malformedJSON() {
        var h = HubHarness()
        h.connect(1)
        for bad in ["{", "[]", "42", "\"join\"", "{\"peer_id\":\"a\"}", "{\"type\":7}", "\u{0}"] {
            #expect(h.send(1, bad).errorCode == .malformedJSON, "for \(bad)")
        }
    }

    @Test func unknownAndServerOnlyTypes() {
        var h = HubHarness()
        h.connect(1)
        #expect(h.send(1, #"{"type":"dance"}"#).errorCode == .unknownType)
        #expect(h.send(1, #"{"type":"peer_joined","peer_id":"x"}"#).errorCode == .unknownType)
        #expect(h.send(1, #"{"type":"room_peers","peers":[]}"#).errorCode == .unknownType)
    }

    @Test func invalidFieldsSayWhichField() throws {
        var h = HubHarness()
        h.connect(1)
        let out = h.send(1, #"{"type":"join","peer_id":"a"}"#)
        #expect(out.errorCode == .invalidMessage)
        guard case .send(.error(_, let message), _) = try #require(out.first) else { Issue.record("no error"); return }
        #expect(message.contains("room_id"))
        #expect(h.send(1, #"{"type":"join","peer_id":"","room_id":"r"}"#).errorCode == .invalidMessage)
        #expect(h.send(1, .join(peerID: String(repeating: "x", count: 65), roomID: "r")).errorCode == .invalidMessage)
        #expect(h.send(1, .join(peerID: "a\nb", roomID: "r")).errorCode == .invalidMessage)
        #expect(h.send(1, #"{"type":"join","peer_id":5,"room_id":"r"}"#).errorCode == .invalidMessage)
    }

    @Test func oversizeMessageIsRefusedButConnectionStays() {
        var h = HubHarness(SignalingHubConfiguration(maxMessageBytes: 100))
        h.join(1, "alice")
        h.join(2, "bob")
        let big = SignalingMessage.offer(.init(type: .offer, sdp: String(repeating: "a", count: 200)), target: "bob")
        #expect(h.send(1, big).errorCode == .messageTooLarge)
        #expect(h.send(1, .offer(.init(type: .offer, sdp: "v=0"), target: "bob")).count == 1)
        #expect(h.hub.stats.messagesRelayed == 1)
    }

    @Test func rateLimitDropsThenClosesAnAbusiveClient() {
        var h = HubHarness(SignalingHubConfiguration(rateLimit: SignalingRateLimit(messagesPerSecond: 10, burst: 5, maxViolations: 3)))
        h.join(1, "alice")  // uses 1 token
        h.join(2, "bob")
        let candidate = SignalingMessage.iceCandidate(.init(candidate: "", sdpMid: "0"), target: "bob")
        for _ in 0..<4 { #expect(h.send(1, candidate).errorCode == nil) }
        #expect(h.send(1, candidate).errorCode == .rateLimited)
        // Time refills the bucket: 100 ms at 10/s is one message.
        h.now = h.now + .milliseconds(100)
        #expect(h.send(1, candidate).errorCode == nil)
        // A client that keeps going is closed, and the room hears it left.
        #expect(h.send(1, candidate).errorCode == .rateLimited)
        #expect(h.send(1, candidate).errorCode == .rateLimited)
        let last = h.send(1, candidate)
        #expect(last.count == 3)
        #expect(last.last == .close(HubHarness.id(1), reason: .rateLimited))
        #expect(last.contains(.send(.peerLeft(peerID: "alice"), to: HubHarness.id(2))))
        #expect(h.hub.stats.connections == 1)
        #expect(h.send(1, candidate).isEmpty)  // forgotten
    }

    @Test func joinTokenAcceptExpiredAndBadSignature() {
        let secret = "join-secret"
        var h = HubHarness(SignalingHubConfiguration(joinTokenSecret: secret))
        h.connect(1)
        #expect(h.send(1, .join(peerID: "a", roomID: "r")).errorCode == .unauthorized)
        let expired = SignalingJoinToken.make(secret: secret, peerID: "a", roomID: "r", expiry: h.unixTime - 1)
        #expect(h.send(1, .join(peerID: "a", roomID: "r", token: expired)).errorCode == .tokenExpired)
        let wrongKey = SignalingJoinToken.make(secret: "other", peerID: "a", roomID: "r", expiry: h.unixTime + 60)
        #expect(h.send(1, .join(peerID: "a", roomID: "r", token: wrongKey)).errorCode == .unauthorized)
        let otherRoom = SignalingJoinToken.make(secret: secret, peerID: "a", roomID: "r2", expiry: h.unixTime + 60)
        #expect(h.send(1, .join(peerID: "a", roomID: "r", token: otherRoom)).errorCode == .unauthorized)
        #expect(h.send(1, .join(peerID: "a", roomID: "r", token: "garbage")).errorCode == .unauthorized)
        let good = SignalingJoinToken.make(secret: secret, peerID: "a", roomID: "r", expiry: h.unixTime + 60)
        #expect(h.send(1, .join(peerID: "a", roomID: "r", token: good)) == [.send(.roomPeers(roomID: "r", peers: []), to: HubHarness.id(1))])
    }

    @Test func errorsAreCounted() {
        var h = HubHarness()
        h.connect(1)
        _ = h.send(1, "{")
        _ = h.send(1, #"{"type":"x"}"#)
        #expect(h.hub.stats.errorsSent == 2)
    }
}
